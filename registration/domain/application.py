"""The application payload integrators send, and the rules that tie its parts together.

Shapes mirror `shared/examples/*.json` (the banks' contract). Money and shares are decimal
strings, never floats: a float cannot represent 0.1 and registered capital is a legal amount.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from registration.domain import catalogue, enterprise_types
from registration.domain.enterprise_types import Holder, Kind, origin_of

MAX_CAPITAL = Decimal("1000000000000")  # 10^12: above any plausible registered capital
ISO_4217 = frozenset({"CNY", "HKD", "EUR", "USD", "GBP", "MOP", "TWD", "JPY", "CHF", "SGD"})
Language = Literal["zh-Hans", "zh-Hant", "en", "fr"]


def _decimal_from_string(value: Any) -> Any:
    # JSON numbers would pass through a binary float on the way in; insist on strings.
    if isinstance(value, bool) or not isinstance(value, str | Decimal):
        raise ValueError('must be a decimal string such as "1000000.00", not a number')
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        raise ValueError("is not a decimal number") from None
    if not parsed.is_finite():
        raise ValueError("must be a finite decimal")
    return parsed


DecimalString = Annotated[Decimal, BeforeValidator(_decimal_from_string)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Money(_Strict):
    amount: DecimalString = Field(gt=0, le=MAX_CAPITAL, decimal_places=2)
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class CompanyName(_Strict):
    zh: str = Field(min_length=4, max_length=50)
    en: str | None = Field(default=None, min_length=2, max_length=120)
    fr: str | None = Field(default=None, min_length=2, max_length=120)


class ArticlesOfAssociation(_Strict):
    template: Literal["standard", "uploaded"]


class Company(_Strict):
    name: CompanyName
    type: str = Field(min_length=1, max_length=40)
    registered_capital: Money
    business_term_years: int | None = Field(default=None, ge=1, le=100)  # None: long-term
    domicile: str = Field(min_length=6, max_length=100)
    business_scope: list[str] = Field(min_length=1, max_length=30)
    articles_of_association: ArticlesOfAssociation


class IdentityDocument(_Strict):
    type: Literal["cn_id_card", "hkid", "passport"]
    number: str = Field(min_length=5, max_length=30)
    mrz: list[str] | None = Field(default=None, min_length=2, max_length=2)


class Person(_Strict):
    ref: str = Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=80)
    name_latin: str | None = Field(default=None, max_length=80)
    nationality: str = Field(pattern=r"^[A-Z]{3}$")
    birth_date: date
    sex: Literal["M", "F", "X"]
    document: IdentityDocument


class EntityRegistration(_Strict):
    scheme: Literal["fr_siren", "cn_uscc"]
    number: str = Field(min_length=9, max_length=18)


class Entity(_Strict):
    name: str = Field(min_length=1, max_length=120)
    country: str = Field(pattern=r"^[A-Z]{3}$")
    registration: EntityRegistration
    # A mainland company that is itself foreign-invested: the licence of a company it wholly
    # owns reads 有限责任公司（外商投资企业法人独资）. Optional, so existing payloads keep meaning.
    foreign_invested: bool = False


class Shareholder(_Strict):
    person: str | None = None
    entity: Entity | None = None
    contribution: Money
    share_percent: DecimalString = Field(gt=0, le=100, decimal_places=4)


class Contact(_Strict):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    phone: str = Field(pattern=r"^\+[1-9][0-9]{6,14}$")


class ApplicationPayload(_Strict):
    channel: Literal["yinzhengtong", "hong_kong", "paris"]
    language: Language
    company: Company
    persons: list[Person] = Field(min_length=1, max_length=50)
    legal_representative: str
    shareholders: list[Shareholder] = Field(min_length=1, max_length=50)
    directors: list[str] = Field(min_length=1, max_length=20)
    supervisor: str | None = None
    contact: Contact


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    code: str


def field_path(location: Iterable[str | int], prefix: str = "") -> str:
    """A validator's location as the field paths our errors use: `shareholders[0].share_percent`
    (list indexes in brackets, names joined by dots); "body" for the body as a whole."""
    path = prefix
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def check_consistency(payload: ApplicationPayload) -> list[FieldError]:
    """Rules across fields that a schema cannot express; every violation, not just the first."""
    errors: list[FieldError] = []

    def fail(field: str, code: str, message: str) -> None:
        errors.append(FieldError(field=field, message=message, code=code))

    company = payload.company
    types = catalogue.company_types()
    capital = company.registered_capital
    errors.extend(
        catalogue_errors(
            payload.channel,
            payload.language,
            company.type,
            capital.currency,
            list(company.business_scope),
            [person.document.type for person in payload.persons],
        )
    )

    refs: dict[str, Person] = {}
    for i, person in enumerate(payload.persons):
        if person.ref in refs:
            fail(f"persons[{i}].ref", "duplicate_ref", f"ref {person.ref!r} is used twice")
        refs[person.ref] = person
        if person.document.type == "passport" and person.document.mrz is None:
            fail(
                f"persons[{i}].document.mrz",
                "mrz_required",
                "a passport needs both lines of its machine-readable zone",
            )

    def check_ref(field: str, ref: str | None) -> None:
        if ref is not None and ref not in refs:
            fail(field, "unknown_person_ref", f"no person with ref {ref!r}")

    check_ref("legal_representative", payload.legal_representative)
    check_ref("supervisor", payload.supervisor)
    for i, director in enumerate(payload.directors):
        check_ref(f"directors[{i}]", director)
    # PRC Company Law art. 76: directors and senior managers may not serve as supervisors.
    if payload.supervisor is not None and payload.supervisor in payload.directors:
        fail("supervisor", "supervisor_is_director", "a director may not also be the supervisor")

    total_share = Decimal(0)
    total_contribution = Decimal(0)
    for i, holder in enumerate(payload.shareholders):
        if (holder.person is None) == (holder.entity is None):
            fail(
                f"shareholders[{i}]",
                "shareholder_kind",
                "a shareholder is either a person (ref) or an entity, exactly one",
            )
        check_ref(f"shareholders[{i}].person", holder.person)
        if holder.contribution.currency != capital.currency:
            fail(
                f"shareholders[{i}].contribution.currency",
                "currency_mismatch",
                f"contributions must be in the capital's currency {capital.currency}",
            )
        total_share += holder.share_percent
        total_contribution += holder.contribution.amount
    if total_share != 100:
        fail("shareholders", "shares_not_100", f"shares total {total_share}%, not exactly 100%")
    if total_contribution != capital.amount:
        fail(
            "shareholders",
            "contributions_not_capital",
            f"contributions total {total_contribution}, registered capital is {capital.amount}",
        )
    declared = types.get(company.type)
    if declared is not None and declared.origin is not None:
        origin = enterprise_types.investor_origin(holders_of(payload))
        if origin != declared.origin:
            fail(
                "company.type",
                "company_type_mismatch",
                f"{company.type} stands for {declared.origin} investors; "
                f"the shareholders make the company {origin.value}-invested",
            )
    persons_held = [h.person for h in payload.shareholders if h.person is not None]
    if len(persons_held) != len(set(persons_held)):
        fail("shareholders", "duplicate_shareholder", "a person is listed as shareholder twice")
    return errors


def catalogue_errors(
    channel_code: str,
    language: object,
    company_type: object,
    currency: object,
    scope: Sequence[object],
    document_types: Sequence[object],
) -> list[FieldError]:
    """The catalogue's verdict on a payload's choices, from plain values: shared by
    `check_consistency` and by `raw_findings`, which runs it on a payload that failed the
    schema, so a bank learns every problem in one round."""
    errors: list[FieldError] = []

    def fail(field: str, code: str, message: str) -> None:
        errors.append(FieldError(field=field, message=message, code=code))

    channel = catalogue.channels().get(channel_code)
    if channel is None:
        return errors  # the schema names the unknown channel
    types = catalogue.company_types()
    if isinstance(company_type, str):
        if company_type not in types:
            fail("company.type", "unknown_company_type", f"unknown company type {company_type!r}")
        elif company_type not in channel.company_types:
            allowed = ", ".join(sorted(channel.company_types))
            fail(
                "company.type",
                "company_type_not_allowed",
                f"channel {channel_code} registers {allowed}, not {company_type}",
            )
    if isinstance(language, str) and language not in channel.languages:
        fail(
            "language",
            "language_not_offered",
            f"channel {channel_code} works in {', '.join(channel.languages)}",
        )
    if isinstance(currency, str):
        if currency not in ISO_4217:
            fail(
                "company.registered_capital.currency",
                "unknown_currency",
                f"{currency} is not a supported ISO 4217 currency",
            )
        elif currency not in channel.currencies:
            fail(
                "company.registered_capital.currency",
                "currency_not_allowed",
                f"channel {channel_code} accepts {', '.join(sorted(channel.currencies))}",
            )
    known_scope = catalogue.business_scope()
    seen: set[str] = set()
    for i, item in enumerate(scope):
        if not isinstance(item, str):
            continue
        if item not in known_scope:
            fail(
                f"company.business_scope[{i}]",
                "unknown_scope_item",
                f"{item!r} is not a standard business scope expression in the catalogue",
            )
        if item in seen:
            fail(
                f"company.business_scope[{i}]", "duplicate_scope_item", f"{item!r} is listed twice"
            )
        seen.add(item)
    for i, document_type in enumerate(document_types):
        if isinstance(document_type, str) and document_type not in channel.document_types:
            fail(
                f"persons[{i}].document.type",
                "document_type_not_allowed",
                f"channel {channel_code} accepts {', '.join(sorted(channel.document_types))}",
            )
    return errors


def _get(data: object, *path: str) -> object:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def raw_findings(data: object) -> list[FieldError]:
    """The catalogue's errors in a payload that did not parse (the schema's errors are listed
    beside them): read defensively, anything of the wrong shape is left to the schema."""
    channel = _get(data, "channel")
    if not isinstance(channel, str):
        return []
    persons = _list(_get(data, "persons"))
    return catalogue_errors(
        channel,
        _get(data, "language"),
        _get(data, "company", "type"),
        _get(data, "company", "registered_capital", "currency"),
        _list(_get(data, "company", "business_scope")),
        [_get(person, "document", "type") for person in persons],
    )


def merge_findings(first: Sequence[FieldError], more: Sequence[FieldError]) -> list[FieldError]:
    """`first` then what `more` adds (the same field and code once)."""
    seen = {(e.field, e.code) for e in first}
    return [*first, *(e for e in more if (e.field, e.code) not in seen)]


def holders_of(payload: ApplicationPayload) -> list[Holder]:
    """The shareholders' kinds and origins; entries the payload cannot resolve (an unknown
    person ref, a holder that is neither person nor entity) are left out: submission reports
    them, and a type is still derived from the rest."""
    persons = {person.ref: person for person in payload.persons}
    holders = []
    for holder in payload.shareholders:
        if holder.entity is not None and holder.person is None:
            entity = holder.entity
            holders.append(
                Holder(
                    Kind.LEGAL_PERSON,
                    origin_of(entity.country),
                    entity.foreign_invested,
                )
            )
        elif holder.person is not None and holder.entity is None:
            person = persons.get(holder.person)
            if person is not None:
                holders.append(
                    Holder(
                        Kind.NATURAL_PERSON,
                        origin_of(person.nationality),
                    )
                )
    return holders
