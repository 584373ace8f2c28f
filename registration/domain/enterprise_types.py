"""The enterprise type a licence prints, derived from who holds the company.

A Chinese licence's 类型 is not the applicant's choice of form alone: the registry appends who
the shareholders are — natural or legal persons, from the mainland, from Hong Kong, Macao or
Taiwan, or from abroad — in a fixed vocabulary, e.g. 有限责任公司（自然人独资） for a company
with one natural-person shareholder.

Source of the vocabulary: the enterprise type code table (企业类型代码) of the former State
Administration for Industry and Commerce, which SAMR's registration system and the National
Enterprise Credit Information Publicity System still print (codes 1130, 1151, 1123, 5140,
5150, 6140, 6150, …; the codes below). It was transcribed from registry data sets that carry
it, not from the published standard text, and is not GB/T 12402 (that standard classifies
economic types such as 国有/私有, not these wordings). Since the Foreign Investment Law
(1 January 2020) licences of foreign- and Hong Kong/Macao/Taiwan-invested companies with
several shareholders read （外商投资、非独资） / （港澳台投资、非独资）, which replaced the
中外合资/台港澳与境内合资 family; those wordings have no code in the old table. The two
orders 台港澳 and 港澳台 are both SAMR's: the old codes say 台港澳, the 2020 wordings 港澳台.

English and French are the registry's own translations; Chinese is the legal text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "ENTERPRISE_TYPES",
    "EnterpriseType",
    "Form",
    "Holder",
    "Kind",
    "Origin",
    "enterprise_type",
    "investor_origin",
    "origin_of",
]


class Kind(StrEnum):
    NATURAL_PERSON = "natural_person"
    LEGAL_PERSON = "legal_person"


class Origin(StrEnum):
    MAINLAND = "mainland"
    HONG_KONG_MACAO_TAIWAN = "hong_kong_macao_taiwan"
    FOREIGN = "foreign"


class Form(StrEnum):
    LIMITED_LIABILITY = "limited_liability"
    JOINT_STOCK = "joint_stock"


@dataclass(frozen=True)
class Holder:
    kind: Kind
    origin: Origin
    # A mainland company that is itself foreign-invested (外商投资企业): SAMR names its
    # wholly owned subsidiary after it (1123), not after an ordinary legal person.
    foreign_invested: bool = False


@dataclass(frozen=True)
class EnterpriseType:
    key: str
    samr_code: str | None  # None: a 2020 wording the old code table does not have
    zh: str
    en: str
    fr: str


def _type(key: str, code: str | None, zh: str, en: str, fr: str) -> EnterpriseType:
    return EnterpriseType(key, code, zh, en, fr)


_LLC_EN: Final = "Limited liability company"
_LLC_FR: Final = "Société à responsabilité limitée"
_JSC_EN: Final = "Company limited by shares"
_JSC_FR: Final = "Société anonyme"

ENTERPRISE_TYPES: Final = {
    t.key: t
    for t in (
        _type(
            "llc_natural_person_sole",
            "1151",
            "有限责任公司（自然人独资）",
            f"{_LLC_EN} (wholly owned by a natural person)",
            f"{_LLC_FR} (détenue en totalité par une personne physique)",
        ),
        _type(
            "llc_natural_persons",
            "1130",
            "有限责任公司（自然人投资或控股）",
            f"{_LLC_EN} (invested or controlled by natural persons)",
            f"{_LLC_FR} (détenue ou contrôlée par des personnes physiques)",
        ),
        _type(
            # 1152 and 1153 split this by who controls the parent, which an application does
            # not say; licences print the undivided form.
            "llc_legal_person_sole",
            "1152/1153",
            "有限责任公司（法人独资）",
            f"{_LLC_EN} (wholly owned by a legal person)",
            f"{_LLC_FR} (détenue en totalité par une personne morale)",
        ),
        _type(
            "llc_fie_sole",
            "1123",
            "有限责任公司（外商投资企业法人独资）",
            f"{_LLC_EN} (wholly owned by a foreign-invested enterprise)",
            f"{_LLC_FR} (détenue en totalité par une entreprise à capitaux étrangers)",
        ),
        _type(
            "llc_fie_invested",
            "1120",
            "有限责任公司（外商投资企业投资）",
            f"{_LLC_EN} (invested by foreign-invested enterprises)",
            f"{_LLC_FR} (à capitaux d'entreprises à capitaux étrangers)",
        ),
        _type(
            "llc_other",
            "1190",
            "其他有限责任公司",
            "Other limited liability company",
            "Autre société à responsabilité limitée",
        ),
        _type(
            "llc_hmt_natural_person_sole",
            "6140",
            "有限责任公司（台港澳自然人独资）",
            f"{_LLC_EN} (wholly owned by a Taiwan, Hong Kong or Macao natural person)",
            f"{_LLC_FR} (détenue en totalité par une personne physique de Taïwan, "
            "Hong Kong ou Macao)",
        ),
        _type(
            "llc_hmt_legal_person_sole",
            "6150",
            "有限责任公司（台港澳法人独资）",
            f"{_LLC_EN} (wholly owned by a Taiwan, Hong Kong or Macao legal person)",
            f"{_LLC_FR} (détenue en totalité par une personne morale de Taïwan, "
            "Hong Kong ou Macao)",
        ),
        _type(
            "llc_hmt_invested",
            None,
            "有限责任公司（港澳台投资、非独资）",
            f"{_LLC_EN} (Hong Kong, Macao or Taiwan invested, not wholly owned)",
            f"{_LLC_FR} (capitaux de Hong Kong, Macao ou Taïwan, non exclusivement)",
        ),
        _type(
            "llc_foreign_natural_person_sole",
            "5140",
            "有限责任公司（外国自然人独资）",
            f"{_LLC_EN} (wholly owned by a foreign natural person)",
            f"{_LLC_FR} (détenue en totalité par une personne physique étrangère)",
        ),
        _type(
            "llc_foreign_legal_person_sole",
            "5150",
            "有限责任公司（外国法人独资）",
            f"{_LLC_EN} (wholly owned by a foreign legal person)",
            f"{_LLC_FR} (détenue en totalité par une personne morale étrangère)",
        ),
        _type(
            "llc_foreign_invested",
            None,
            "有限责任公司（外商投资、非独资）",
            f"{_LLC_EN} (foreign-invested, not wholly owned)",
            f"{_LLC_FR} (à capitaux étrangers, non exclusivement)",
        ),
        _type(
            "jsc_natural_persons",
            "1222",
            "股份有限公司（非上市、自然人投资或控股）",
            f"{_JSC_EN} (unlisted, invested or controlled by natural persons)",
            f"{_JSC_FR} (non cotée, détenue ou contrôlée par des personnes physiques)",
        ),
        _type(
            "jsc_unlisted",
            "1220",
            "股份有限公司（非上市）",
            f"{_JSC_EN} (unlisted)",
            f"{_JSC_FR} (non cotée)",
        ),
        _type(
            "jsc_hmt_invested",
            None,
            "股份有限公司（港澳台投资、未上市）",
            f"{_JSC_EN} (Hong Kong, Macao or Taiwan invested, unlisted)",
            f"{_JSC_FR} (capitaux de Hong Kong, Macao ou Taïwan, non cotée)",
        ),
        _type(
            "jsc_foreign_invested",
            None,
            "股份有限公司（外商投资、未上市）",
            f"{_JSC_EN} (foreign-invested, unlisted)",
            f"{_JSC_FR} (à capitaux étrangers, non cotée)",
        ),
    )
}

# ISO 3166-1 alpha-3 codes of the regions registration treats as neither mainland nor foreign.
_HONG_KONG_MACAO_TAIWAN: Final = frozenset({"HKG", "MAC", "TWN"})


def origin_of(country: str) -> Origin:
    """Origin of a shareholder from its nationality or country of registration."""
    if country == "CHN":
        return Origin.MAINLAND
    if country in _HONG_KONG_MACAO_TAIWAN:
        return Origin.HONG_KONG_MACAO_TAIWAN
    return Origin.FOREIGN


def investor_origin(holders: Sequence[Holder]) -> Origin:
    """Whose investment the company counts as: any foreign holder makes it foreign-invested
    (Foreign Investment Law art. 2), else any Hong Kong, Macao or Taiwan holder makes it so
    invested (its implementing regulations, art. 48, apply the law to those investors)."""
    origins = {holder.origin for holder in holders}
    for origin in (Origin.FOREIGN, Origin.HONG_KONG_MACAO_TAIWAN):
        if origin in origins:
            return origin
    return Origin.MAINLAND


def enterprise_type(form: Form, holders: Sequence[Holder]) -> EnterpriseType:
    """The SAMR wording for a company of `form` held by `holders`: the investors' origin
    (`investor_origin`), then a sole holder names the company after its kind."""
    origin = investor_origin(holders)
    sole = holders[0] if len(holders) == 1 else None
    if form is Form.JOINT_STOCK:
        if origin is Origin.FOREIGN:
            key = "jsc_foreign_invested"
        elif origin is Origin.HONG_KONG_MACAO_TAIWAN:
            key = "jsc_hmt_invested"
        elif any(holder.kind is Kind.NATURAL_PERSON for holder in holders):
            key = "jsc_natural_persons"
        else:
            key = "jsc_unlisted"
        return ENTERPRISE_TYPES[key]
    if origin is Origin.FOREIGN:
        if sole is None:
            key = "llc_foreign_invested"
        elif sole.kind is Kind.NATURAL_PERSON:
            key = "llc_foreign_natural_person_sole"
        else:
            key = "llc_foreign_legal_person_sole"
    elif origin is Origin.HONG_KONG_MACAO_TAIWAN:
        if sole is None:
            key = "llc_hmt_invested"
        elif sole.kind is Kind.NATURAL_PERSON:
            key = "llc_hmt_natural_person_sole"
        else:
            key = "llc_hmt_legal_person_sole"
    elif sole is not None:
        if sole.kind is Kind.NATURAL_PERSON:
            key = "llc_natural_person_sole"
        elif sole.foreign_invested:
            key = "llc_fie_sole"
        else:
            key = "llc_legal_person_sole"
    elif any(holder.kind is Kind.NATURAL_PERSON for holder in holders):
        key = "llc_natural_persons"
    elif any(holder.foreign_invested for holder in holders):
        key = "llc_fie_invested"
    else:
        key = "llc_other"
    return ENTERPRISE_TYPES[key]
