"""Licence documents: pure rendering of a `LicenceContent` into an archival PDF.

Knows nothing of registrations, databases or the web; `registration` composes it. The signing
step fills `SEAL_BOX` with the visible signature; `read_licence_data` gives a verifier the
machine-readable data back.

Each name is imported from its module on first use (PEP 562): a verifier reading a licence's
data must not load reportlab and the fonts.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from templates.archive import read_licence_data
    from templates.content import (
        ATTACHMENT_NAME,
        DATA_FORMAT,
        LICENCE_SCHEMA_FILE,
        MAX_AUTHORITY_LATIN_LENGTH,
        MAX_AUTHORITY_ZH_LENGTH,
        MAX_CAPITAL_INTEGER_DIGITS,
        MAX_COMPANY_TYPE_LATIN_LENGTH,
        MAX_COMPANY_TYPE_ZH_LENGTH,
        MAX_DOMICILE_LENGTH,
        MAX_NAME_LATIN_LENGTH,
        MAX_NAME_ZH_LENGTH,
        MAX_PERSON_NAME_LENGTH,
        MAX_SCOPE_ITEM_LATIN_LENGTH,
        MAX_SCOPE_ITEM_LENGTH,
        MAX_SCOPE_ITEMS,
        MAX_SCOPE_LATIN_LENGTH,
        MAX_SCOPE_LENGTH,
        MAX_TERM_YEARS,
        LanguageVariant,
        LicenceContent,
        LocalizedText,
        Money,
        PersonName,
        content_from_data,
        licence_data,
    )
    from templates.errors import (
        InvalidLicenceContent,
        LicenceDataError,
        LicenceLayoutOverflow,
        LicenceTemplateError,
        UnrenderableCharacter,
    )
    from templates.licence import (
        MAX_BASE_URL_LENGTH,
        SEAL_BOX,
        SealBox,
        check_printable,
        render_licence,
        verification_url,
    )
    from templates.notice import (
        NOTICE_SEAL_BOX,
        NoticeReason,
        NoticeText,
        render_notice,
    )
    from templates.notice_format import NOTICE_ATTACHMENT_NAME, NOTICE_FORMAT, NOTICE_KINDS

# name → the module that defines it, imported on first access.
_LAZY = {
    "ATTACHMENT_NAME": "templates.content",
    "DATA_FORMAT": "templates.content",
    "InvalidLicenceContent": "templates.errors",
    "LICENCE_SCHEMA_FILE": "templates.content",
    "LanguageVariant": "templates.content",
    "LicenceContent": "templates.content",
    "LicenceDataError": "templates.errors",
    "LicenceLayoutOverflow": "templates.errors",
    "LicenceTemplateError": "templates.errors",
    "LocalizedText": "templates.content",
    "MAX_AUTHORITY_LATIN_LENGTH": "templates.content",
    "MAX_AUTHORITY_ZH_LENGTH": "templates.content",
    "MAX_BASE_URL_LENGTH": "templates.licence",
    "MAX_CAPITAL_INTEGER_DIGITS": "templates.content",
    "MAX_COMPANY_TYPE_LATIN_LENGTH": "templates.content",
    "MAX_COMPANY_TYPE_ZH_LENGTH": "templates.content",
    "MAX_DOMICILE_LENGTH": "templates.content",
    "MAX_NAME_LATIN_LENGTH": "templates.content",
    "MAX_NAME_ZH_LENGTH": "templates.content",
    "MAX_PERSON_NAME_LENGTH": "templates.content",
    "MAX_SCOPE_ITEMS": "templates.content",
    "MAX_SCOPE_ITEM_LATIN_LENGTH": "templates.content",
    "MAX_SCOPE_ITEM_LENGTH": "templates.content",
    "MAX_SCOPE_LATIN_LENGTH": "templates.content",
    "MAX_SCOPE_LENGTH": "templates.content",
    "MAX_TERM_YEARS": "templates.content",
    "Money": "templates.content",
    "NOTICE_ATTACHMENT_NAME": "templates.notice_format",
    "NOTICE_FORMAT": "templates.notice_format",
    "NOTICE_KINDS": "templates.notice_format",
    "NOTICE_SEAL_BOX": "templates.notice",
    "NoticeReason": "templates.notice",
    "NoticeText": "templates.notice",
    "PersonName": "templates.content",
    "SEAL_BOX": "templates.licence",
    "SealBox": "templates.licence",
    "UnrenderableCharacter": "templates.errors",
    "check_printable": "templates.licence",
    "content_from_data": "templates.content",
    "licence_data": "templates.content",
    "read_licence_data": "templates.archive",
    "render_licence": "templates.licence",
    "render_notice": "templates.notice",
    "verification_url": "templates.licence",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'templates' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "ATTACHMENT_NAME",
    "DATA_FORMAT",
    "LICENCE_SCHEMA_FILE",
    "MAX_AUTHORITY_LATIN_LENGTH",
    "MAX_AUTHORITY_ZH_LENGTH",
    "MAX_BASE_URL_LENGTH",
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
    "NOTICE_ATTACHMENT_NAME",
    "NOTICE_FORMAT",
    "NOTICE_KINDS",
    "NOTICE_SEAL_BOX",
    "SEAL_BOX",
    "InvalidLicenceContent",
    "LanguageVariant",
    "LicenceContent",
    "LicenceDataError",
    "LicenceLayoutOverflow",
    "LicenceTemplateError",
    "LocalizedText",
    "Money",
    "NoticeReason",
    "NoticeText",
    "PersonName",
    "SealBox",
    "UnrenderableCharacter",
    "check_printable",
    "content_from_data",
    "licence_data",
    "read_licence_data",
    "render_licence",
    "render_notice",
    "verification_url",
]
