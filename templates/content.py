"""What a licence says: a plain, validated value object and its JSON form.

The JSON form (`licence_data`) is what the PDF carries as its `licence.json` associated file and
what `licence.schema.json` describes; `content_from_data` is its inverse, so a verifier can
rebuild the exact `LicenceContent` from a PDF and compare it with the registry.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from templates.errors import InvalidLicenceContent

__all__ = [
    "DATA_FORMAT",
    "LICENCE_SCHEMA_FILE",
    "MAX_AUTHORITY_LATIN_LENGTH",
    "MAX_AUTHORITY_ZH_LENGTH",
    "MAX_CAPITAL_INTEGER_DIGITS",
    "MAX_COMPANY_TYPE_LATIN_LENGTH",
    "MAX_COMPANY_TYPE_ZH_LENGTH",
    "MAX_DOMICILE_LENGTH",
    "MAX_NAME_LATIN_LENGTH",
    "MAX_NAME_ZH_LENGTH",
    "MAX_PERSON_NAME_LENGTH",
    "MAX_SCOPE_ITEMS",
    "MAX_SCOPE_ITEM_LATIN_LENGTH",
    "MAX_SCOPE_ITEM_LENGTH",
    "MAX_SCOPE_LATIN_LENGTH",
    "MAX_SCOPE_LENGTH",
    "MAX_TERM_YEARS",
    "LanguageVariant",
    "LicenceContent",
    "LocalizedText",
    "Money",
    "PersonName",
    "content_from_data",
    "licence_data",
    "minor_units",
]

# Limits on what one A4 page can hold legibly. The layout is tested with every field at its
# maximum at once (tests/templates/test_long_values.py), so content within them always fits.
MAX_NAME_ZH_LENGTH: Final = 50
MAX_NAME_LATIN_LENGTH: Final = 150
MAX_COMPANY_TYPE_ZH_LENGTH: Final = 40
MAX_COMPANY_TYPE_LATIN_LENGTH: Final = 120
MAX_PERSON_NAME_LENGTH: Final = 60
MAX_DOMICILE_LENGTH: Final = 100
MAX_SCOPE_ITEMS: Final = 30
MAX_SCOPE_ITEM_LENGTH: Final = 60
# All items together. Printed in three languages the scope must share the page: 180
# ideographs and 700 Latin characters per language hold the whole catalogue (133 / 531 / 634
# today) with every other field at its maximum.
MAX_SCOPE_LENGTH: Final = 180
MAX_SCOPE_ITEM_LATIN_LENGTH: Final = 150
MAX_SCOPE_LATIN_LENGTH: Final = 700  # all items of one language together
# Licences issued before the scope was translated printed up to 1000 ideographs; their data
# must still read back for verification.
_MAX_SCOPE_LENGTH_CHINESE_ONLY: Final = 1000
MAX_AUTHORITY_ZH_LENGTH: Final = 30
MAX_AUTHORITY_LATIN_LENGTH: Final = 100
MAX_TERM_YEARS: Final = 99
MAX_CAPITAL_INTEGER_DIGITS: Final = 15

# The name of the embedded file holding the data (PDF/A-3 associated file), for readers that
# must not load the PDF writer to know it.
ATTACHMENT_NAME: Final = "licence.json"
DATA_FORMAT: Final = "bizreg-licence/1"
# JSON Schema (draft 2020-12) of `licence_data` output, shipped with the package.
LICENCE_SCHEMA_FILE: Final = Path(__file__).with_name("licence.schema.json")

# GB 32100-2015 §4: the USCC alphabet leaves out I, O, S, V and Z. The check character is the
# registry's business (DESIGN §3: some legally issued codes fail it), so only the shape is
# enforced here: the QR URL and the layout rely on it.
_USCC = re.compile(r"[0-9A-HJ-NP-RTUWXY]{18}")
_CURRENCY = re.compile(r"[A-Z]{3}")
# ISO 4217 currencies without minor units; every other currency is printed with two decimals.
_ZERO_DECIMAL_CURRENCIES: Final = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "PYG", "UGX"})


class LanguageVariant(StrEnum):
    """Languages printed on the licence (DESIGN §1: the Paris channel adds French)."""

    ZH_EN = "zh-en"
    ZH_EN_FR = "zh-en-fr"

    @property
    def has_french(self) -> bool:
        return self is LanguageVariant.ZH_EN_FR


@dataclass(frozen=True, slots=True)
class LocalizedText:
    """One label in Chinese (Simplified or Traditional), English and optionally French."""

    zh: str
    en: str
    fr: str | None = None


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person's name as registered, with the Latin spelling of a Chinese name if known."""

    name: str
    latin: str | None = None


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in an ISO 4217 currency; never a float."""

    amount: Decimal
    currency: str


def minor_units(currency: str) -> int:
    """Decimal places used for `currency` (ISO 4217 minor units, for the currencies we print)."""
    return 0 if currency in _ZERO_DECIMAL_CURRENCIES else 2


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenceContent:
    """Everything printed on one licence version. Validated on construction."""

    uscc: str
    version: int
    variant: LanguageVariant
    name: LocalizedText
    company_type: LocalizedText
    legal_representative: PersonName
    registered_capital: Money
    date_of_establishment: date
    business_term_years: int | None  # None: long-term (长期), as in the application contract
    domicile: str
    business_scope: tuple[str, ...]
    # The catalogue's translations, item for item. None only in data written before licences
    # printed them (bizreg-licence/1 allows both), so such a licence still re-renders as issued.
    business_scope_en: tuple[str, ...] | None = None
    business_scope_fr: tuple[str, ...] | None = None
    registration_authority: LocalizedText
    issue_date: date

    def __post_init__(self) -> None:
        _validate(self)

    def text_fields(self) -> list[tuple[str, str]]:
        """(field path, text) for every free text printed, for glyph coverage checks."""
        fields = [
            ("uscc", self.uscc),
            ("name.zh", self.name.zh),
            ("name.en", self.name.en),
            ("company_type.zh", self.company_type.zh),
            ("company_type.en", self.company_type.en),
            ("legal_representative.name", self.legal_representative.name),
            ("domicile", self.domicile),
            ("registration_authority.zh", self.registration_authority.zh),
            ("registration_authority.en", self.registration_authority.en),
        ]
        if self.legal_representative.latin is not None:
            fields.append(("legal_representative.latin", self.legal_representative.latin))
        for path, text in (
            ("name.fr", self.name.fr),
            ("company_type.fr", self.company_type.fr),
            ("registration_authority.fr", self.registration_authority.fr),
        ):
            if text is not None:
                fields.append((path, text))
        for path, items in (
            ("business_scope", self.business_scope),
            ("business_scope_en", self.business_scope_en),
            ("business_scope_fr", self.business_scope_fr),
        ):
            fields.extend((f"{path}[{i}]", item) for i, item in enumerate(items or ()))
        return fields


def _check_text(field: str, value: object, limit: int) -> None:
    if not isinstance(value, str):
        raise InvalidLicenceContent(field, f"must be a string, not {type(value).__name__}")
    if not value.strip():
        raise InvalidLicenceContent(field, "must not be empty")
    if value != value.strip():
        raise InvalidLicenceContent(field, "must not start or end with whitespace")
    if "  " in value:
        # Line breaking collapses runs of spaces: the page would not show the registered text.
        raise InvalidLicenceContent(field, "must not contain consecutive spaces")
    if len(value) > limit:
        raise InvalidLicenceContent(field, f"has {len(value)} characters, at most {limit} allowed")
    if not unicodedata.is_normalized("NFC", value):
        # reportlab does no glyph positioning: a decomposed "é" (e + U+0301) would print its
        # accent beside the letter, and two spellings of one name would compare unequal.
        raise InvalidLicenceContent(field, "must be in Unicode normalisation form NFC")
    for char in value:
        # Control and format characters would be invisible, other spaces and line separators
        # would break the layout or hide a difference between two names; a licence prints
        # exactly what the registry holds, so they are refused, not silently replaced.
        category = unicodedata.category(char)
        if category[0] == "C":
            raise InvalidLicenceContent(
                field, f"contains the invisible character U+{ord(char):04X} ({category})"
            )
        if category[0] == "Z" and char != " ":
            raise InvalidLicenceContent(
                field, f"contains the space U+{ord(char):04X}; only U+0020 is allowed"
            )


def _check_localized(
    field: str, value: LocalizedText, zh_limit: int, latin_limit: int, *, french: bool
) -> None:
    if not isinstance(value, LocalizedText):
        raise InvalidLicenceContent(field, "must be a LocalizedText")
    _check_text(f"{field}.zh", value.zh, zh_limit)
    _check_text(f"{field}.en", value.en, latin_limit)
    if value.fr is None:
        return
    if not french:
        # The embedded data must say exactly what the page prints; French is printed only in
        # the zh-en-fr variant, so French text elsewhere would be data nobody can see.
        raise InvalidLicenceContent(f"{field}.fr", "is only allowed in the zh-en-fr variant")
    _check_text(f"{field}.fr", value.fr, latin_limit)


def _validate(c: LicenceContent) -> None:
    if not isinstance(c.variant, LanguageVariant):
        raise InvalidLicenceContent(
            "variant", f"must be one of {[v.value for v in LanguageVariant]}"
        )
    if not isinstance(c.uscc, str) or not _USCC.fullmatch(c.uscc):
        raise InvalidLicenceContent(
            "uscc", "must be 18 characters of 0-9 and A-Z without I, O, S, V, Z (GB 32100-2015)"
        )
    if isinstance(c.version, bool) or not isinstance(c.version, int) or c.version < 1:
        raise InvalidLicenceContent("version", "must be an integer >= 1")
    french = c.variant.has_french
    _check_localized("name", c.name, MAX_NAME_ZH_LENGTH, MAX_NAME_LATIN_LENGTH, french=french)
    _check_localized(
        "company_type",
        c.company_type,
        MAX_COMPANY_TYPE_ZH_LENGTH,
        MAX_COMPANY_TYPE_LATIN_LENGTH,
        french=french,
    )
    _check_localized(
        "registration_authority",
        c.registration_authority,
        MAX_AUTHORITY_ZH_LENGTH,
        MAX_AUTHORITY_LATIN_LENGTH,
        french=french,
    )
    if french:
        # A French name is optional (many companies have none); the labels are not.
        for field, text in (
            ("company_type.fr", c.company_type.fr),
            ("registration_authority.fr", c.registration_authority.fr),
        ):
            if text is None:
                raise InvalidLicenceContent(field, "is required for the zh-en-fr variant")
    if not isinstance(c.legal_representative, PersonName):
        raise InvalidLicenceContent("legal_representative", "must be a PersonName")
    _check_text("legal_representative.name", c.legal_representative.name, MAX_PERSON_NAME_LENGTH)
    if c.legal_representative.latin is not None:
        _check_text(
            "legal_representative.latin", c.legal_representative.latin, MAX_PERSON_NAME_LENGTH
        )
    _validate_money(c.registered_capital)
    for field, value in (
        ("date_of_establishment", c.date_of_establishment),
        ("issue_date", c.issue_date),
    ):
        if not isinstance(value, date):
            raise InvalidLicenceContent(field, "must be a datetime.date")
    if c.issue_date < c.date_of_establishment:
        raise InvalidLicenceContent("issue_date", "must not precede the date of establishment")
    term = c.business_term_years
    if term is not None and (
        isinstance(term, bool) or not isinstance(term, int) or not 1 <= term <= MAX_TERM_YEARS
    ):
        raise InvalidLicenceContent(
            "business_term_years", f"must be None (long-term) or 1..{MAX_TERM_YEARS}"
        )
    _check_text("domicile", c.domicile, MAX_DOMICILE_LENGTH)
    if not isinstance(c.business_scope, tuple):
        raise InvalidLicenceContent("business_scope", "must be a tuple of strings")
    if not 1 <= len(c.business_scope) <= MAX_SCOPE_ITEMS:
        raise InvalidLicenceContent(
            "business_scope", f"must have 1..{MAX_SCOPE_ITEMS} items, not {len(c.business_scope)}"
        )
    for i, item in enumerate(c.business_scope):
        _check_text(f"business_scope[{i}]", item, MAX_SCOPE_ITEM_LENGTH)
    total = sum(len(item) for item in c.business_scope)
    limit = MAX_SCOPE_LENGTH if c.business_scope_en is not None else _MAX_SCOPE_LENGTH_CHINESE_ONLY
    if total > limit:
        raise InvalidLicenceContent(
            "business_scope", f"has {total} characters in all, at most {limit} allowed"
        )
    _validate_scope_translation("business_scope_en", c.business_scope_en, c)
    if c.business_scope_fr is not None and not french:
        raise InvalidLicenceContent("business_scope_fr", "is only allowed in the zh-en-fr variant")
    if french and c.business_scope_en is not None and c.business_scope_fr is None:
        # A trilingual licence that translates its scope translates it into both languages.
        raise InvalidLicenceContent("business_scope_fr", "is required with business_scope_en")
    _validate_scope_translation("business_scope_fr", c.business_scope_fr, c)


def _validate_scope_translation(
    field: str, items: tuple[str, ...] | None, c: LicenceContent
) -> None:
    if items is None:
        return
    if not isinstance(items, tuple):
        raise InvalidLicenceContent(field, "must be a tuple of strings or None")
    if len(items) != len(c.business_scope):
        # Item for item: a reader compares each translation with the Chinese it renders.
        raise InvalidLicenceContent(
            field, f"has {len(items)} items, business_scope has {len(c.business_scope)}"
        )
    for i, item in enumerate(items):
        _check_text(f"{field}[{i}]", item, MAX_SCOPE_ITEM_LATIN_LENGTH)
    total = sum(len(item) for item in items)
    if total > MAX_SCOPE_LATIN_LENGTH:
        raise InvalidLicenceContent(
            field, f"has {total} characters in all, at most {MAX_SCOPE_LATIN_LENGTH} allowed"
        )


def _validate_money(money: Money) -> None:
    if not isinstance(money, Money):
        raise InvalidLicenceContent("registered_capital", "must be a Money")
    if not isinstance(money.currency, str) or not _CURRENCY.fullmatch(money.currency):
        raise InvalidLicenceContent(
            "registered_capital.currency", "must be an ISO 4217 code (three capital letters)"
        )
    amount = money.amount
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise InvalidLicenceContent(
            "registered_capital.amount", "must be a finite, positive Decimal"
        )
    places = minor_units(money.currency)
    exponent = amount.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked above
    if -exponent > places:
        # Rounding a legal amount silently would print a different capital than registered.
        raise InvalidLicenceContent(
            "registered_capital.amount",
            f"has more than {places} decimal places for {money.currency}",
        )
    if amount.adjusted() + 1 > MAX_CAPITAL_INTEGER_DIGITS:
        raise InvalidLicenceContent(
            "registered_capital.amount",
            f"has more than {MAX_CAPITAL_INTEGER_DIGITS} integer digits",
        )


def canonical_amount(money: Money) -> str:
    """The amount as a plain decimal string with the currency's minor units ("500000.00")."""
    places = minor_units(money.currency)
    return format(money.amount.quantize(Decimal(1).scaleb(-places)), "f")


def licence_data(content: LicenceContent, *, verification_url: str) -> dict[str, Any]:
    """The machine-readable form embedded as `licence.json` (see licence.schema.json)."""
    c = content
    data: dict[str, Any] = {
        "format": DATA_FORMAT,
        "uscc": c.uscc,
        "version": c.version,
        "variant": c.variant.value,
        "name": _localized_data(c.name),
        "company_type": _localized_data(c.company_type),
        "legal_representative": {
            "name": c.legal_representative.name,
            "latin": c.legal_representative.latin,
        },
        "registered_capital": {
            "amount": canonical_amount(c.registered_capital),
            "currency": c.registered_capital.currency,
        },
        "date_of_establishment": c.date_of_establishment.isoformat(),
        "business_term_years": c.business_term_years,
        "domicile": c.domicile,
        "business_scope": list(c.business_scope),
        "registration_authority": _localized_data(c.registration_authority),
        "issue_date": c.issue_date.isoformat(),
        "verification_url": verification_url,
    }
    # Left out rather than null when absent: a licence issued before they were printed
    # re-renders with the very attachment it was signed with.
    if c.business_scope_en is not None:
        data["business_scope_en"] = list(c.business_scope_en)
    if c.business_scope_fr is not None:
        data["business_scope_fr"] = list(c.business_scope_fr)
    return data


def _localized_data(text: LocalizedText) -> dict[str, str | None]:
    return {"zh": text.zh, "en": text.en, "fr": text.fr}


def content_from_data(data: dict[str, Any]) -> LicenceContent:
    """Rebuild the `LicenceContent` from `licence_data` output; raises InvalidLicenceContent."""
    try:
        if data["format"] != DATA_FORMAT:
            raise InvalidLicenceContent("format", f"must be {DATA_FORMAT!r}")
        capital = data["registered_capital"]
        try:
            amount = Decimal(capital["amount"])
        except (InvalidOperation, TypeError) as exc:
            raise InvalidLicenceContent("registered_capital.amount", "is not a decimal") from exc
        return LicenceContent(
            uscc=data["uscc"],
            version=data["version"],
            variant=LanguageVariant(data["variant"]),
            name=_localized_from(data["name"]),
            company_type=_localized_from(data["company_type"]),
            legal_representative=PersonName(
                name=data["legal_representative"]["name"],
                latin=data["legal_representative"]["latin"],
            ),
            registered_capital=Money(amount=amount, currency=capital["currency"]),
            date_of_establishment=date.fromisoformat(data["date_of_establishment"]),
            business_term_years=data["business_term_years"],
            domicile=data["domicile"],
            business_scope=tuple(data["business_scope"]),
            business_scope_en=_items_from(data.get("business_scope_en")),
            business_scope_fr=_items_from(data.get("business_scope_fr")),
            registration_authority=_localized_from(data["registration_authority"]),
            issue_date=date.fromisoformat(data["issue_date"]),
        )
    except KeyError as exc:
        raise InvalidLicenceContent(str(exc.args[0]), "is missing") from exc
    except (TypeError, ValueError) as exc:
        if isinstance(exc, InvalidLicenceContent):
            raise
        raise InvalidLicenceContent("licence.json", str(exc)) from exc


def _localized_from(data: dict[str, Any]) -> LocalizedText:
    return LocalizedText(zh=data["zh"], en=data["en"], fr=data.get("fr"))


def _items_from(items: Any) -> tuple[str, ...] | None:
    if items is None:
        return None
    if not isinstance(items, list):
        raise TypeError("business scope translations must be a list")
    return tuple(items)
