"""What goes on a licence, taken from the application as approved."""

from __future__ import annotations

import unicodedata
from datetime import date

from registration.domain import catalogue, enterprise_types
from registration.domain.application import ApplicationPayload, FieldError, holders_of
from registration.settings import Settings
from templates import (
    LanguageVariant,
    LicenceContent,
    LicenceTemplateError,
    LocalizedText,
    Money,
    PersonName,
    UnrenderableCharacter,
    check_printable,
)

# A syntactically valid code for the dry run at submission; never issued (body 'MA000000' is
# sequence 0, which the allocator never hands out).
PREVIEW_USCC = "91441900MA0000000X"
_PREVIEW_AUTHORITY = LocalizedText(
    zh="东莞市市场监督管理局",
    en="Dongguan Administration for Market Regulation",
    fr="Administration de la régulation des marchés de Dongguan",
)
_FIELD_OF = {
    "name.zh": "company.name.zh",
    "name.en": "company.name.en",
    "name.fr": "company.name.fr",
    "domicile": "company.domicile",
    "legal_representative.name": "legal_representative",
    "legal_representative.latin": "legal_representative",
}


def authority_text(settings: Settings) -> LocalizedText:
    return LocalizedText(
        zh=settings.authority_name_zh, en=settings.authority_name_en, fr=settings.authority_name_fr
    )


def _clean(text: str) -> str:
    # The licence prints NFC text with single spaces; the registered meaning is unchanged.
    return " ".join(unicodedata.normalize("NFC", text).split())


def _item(scope: dict[str, catalogue.ScopeItem], expression: str) -> catalogue.ScopeItem:
    # Submission refuses items outside the catalogue, so an issued licence always has the
    # catalogue's translations; only the printability dry run meets an unknown item, and
    # there the Chinese stands in (its error is reported as unknown_scope_item).
    found = scope.get(expression)
    if found is None:
        return catalogue.ScopeItem(expression, expression, expression, False, "")
    return found


def licence_content(
    payload: ApplicationPayload,
    *,
    uscc: str,
    version: int,
    established: date,
    issued: date,
    authority: LocalizedText,
) -> LicenceContent:
    company = payload.company
    # The printed type says who holds the company, as SAMR's vocabulary does; an unknown
    # type (refused at submission, checked here only for printability) counts as an LLC.
    company_type = catalogue.company_types().get(company.type)
    form = enterprise_types.Form(company_type.form) if company_type else None
    wording = enterprise_types.enterprise_type(
        form or enterprise_types.Form.LIMITED_LIABILITY, holders_of(payload)
    )
    scope = catalogue.business_scope()
    persons = {person.ref: person for person in payload.persons}
    representative = persons[payload.legal_representative]
    french = payload.channel == "paris"
    return LicenceContent(
        uscc=uscc,
        version=version,
        variant=LanguageVariant.ZH_EN_FR if french else LanguageVariant.ZH_EN,
        # An English name is optional in the application; the Chinese name is the legal one.
        name=LocalizedText(
            zh=_clean(company.name.zh),
            en=_clean(company.name.en or company.name.zh),
            fr=_clean(company.name.fr or company.name.en or company.name.zh) if french else None,
        ),
        company_type=LocalizedText(zh=wording.zh, en=wording.en, fr=wording.fr if french else None),
        legal_representative=PersonName(
            name=_clean(representative.name),
            latin=_clean(representative.name_latin) if representative.name_latin else None,
        ),
        registered_capital=Money(
            amount=company.registered_capital.amount, currency=company.registered_capital.currency
        ),
        date_of_establishment=established,
        business_term_years=company.business_term_years,
        domicile=_clean(company.domicile),
        business_scope=tuple(_clean(item) for item in company.business_scope),
        business_scope_en=tuple(_clean(_item(scope, item).en) for item in company.business_scope),
        business_scope_fr=(
            tuple(_clean(_item(scope, item).fr) for item in company.business_scope)
            if french
            else None
        ),
        registration_authority=LocalizedText(
            zh=authority.zh, en=authority.en, fr=authority.fr if french else None
        ),
        issue_date=issued,
    )


def printability_errors(payload: ApplicationPayload, today: date) -> list[FieldError]:
    """Would this application print as a licence? Checked at submission, so that issuance
    never meets a name the font cannot draw or a scope too long for the page."""
    try:
        content = licence_content(
            payload,
            uscc=PREVIEW_USCC,
            version=1,
            established=today,
            issued=today,
            authority=_PREVIEW_AUTHORITY,
        )
        check_printable(content, public_base_url="https://preview.invalid")
    except UnrenderableCharacter as error:
        field = _FIELD_OF.get(
            error.field, error.field.replace("business_scope", "company.business_scope")
        )
        return [
            FieldError(
                field,
                f"the character {error.character!r} cannot be printed on the licence",
                "unprintable_character",
            )
        ]
    except LicenceTemplateError as error:
        field = getattr(error, "field", None) or "company"
        return [FieldError(_FIELD_OF.get(field, f"company.{field}"), str(error), "not_printable")]
    return []
