"""What goes on a licence, taken from the application as approved."""

from __future__ import annotations

from datetime import date

from registration.domain import catalogue
from registration.domain.application import ApplicationPayload
from registration.settings import Settings
from templates import LanguageVariant, LicenceContent, LocalizedText, Money, PersonName


def licence_content(
    payload: ApplicationPayload,
    *,
    uscc: str,
    version: int,
    established: date,
    issued: date,
    settings: Settings,
) -> LicenceContent:
    company = payload.company
    company_type = catalogue.company_types()[company.type]
    persons = {person.ref: person for person in payload.persons}
    representative = persons[payload.legal_representative]
    french = payload.channel == "paris"
    return LicenceContent(
        uscc=uscc,
        version=version,
        variant=LanguageVariant.ZH_EN_FR if french else LanguageVariant.ZH_EN,
        # An English name is optional in the application; the Chinese name is the legal one.
        name=LocalizedText(
            zh=company.name.zh,
            en=company.name.en or company.name.zh,
            fr=(company.name.fr or company.name.en) if french else None,
        ),
        company_type=LocalizedText(
            zh=company_type.zh, en=company_type.en, fr=company_type.fr if french else None
        ),
        legal_representative=PersonName(name=representative.name, latin=representative.name_latin),
        registered_capital=Money(
            amount=company.registered_capital.amount, currency=company.registered_capital.currency
        ),
        date_of_establishment=established,
        business_term_years=company.business_term_years,
        domicile=company.domicile,
        business_scope=tuple(company.business_scope),
        registration_authority=LocalizedText(
            zh=settings.authority_name_zh,
            en=settings.authority_name_en,
            fr=settings.authority_name_fr if french else None,
        ),
        issue_date=issued,
    )
