"""Licence documents: pure rendering of a `LicenceContent` into an archival PDF.

Knows nothing of registrations, databases or the web; `registration` composes it. The signing
step fills `SEAL_BOX` with the visible signature; `read_licence_data` gives a verifier the
machine-readable data back.
"""

from templates.archive import ATTACHMENT_NAME, read_licence_data
from templates.content import (
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
    "SEAL_BOX",
    "InvalidLicenceContent",
    "LanguageVariant",
    "LicenceContent",
    "LicenceDataError",
    "LicenceLayoutOverflow",
    "LicenceTemplateError",
    "LocalizedText",
    "Money",
    "PersonName",
    "SealBox",
    "UnrenderableCharacter",
    "check_printable",
    "content_from_data",
    "licence_data",
    "read_licence_data",
    "render_licence",
    "verification_url",
]
