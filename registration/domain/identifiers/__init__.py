"""Identity and registration numbers: parse, validate, and explain what is wrong.

Every parser returns a frozen dataclass holding the canonical number and its decoded parts, or
raises an `IdentifierError` whose `code` is stable (the API and the officer console key on it)
and whose message names the field and the 1-based character position at fault. The exception
tree is drawn in `common`.

One module per identifier family, each named after its standard:

    common      the error tree, `Flag` and input clean-up every family shares
    uscc        unified social credit code (GB 32100-2015), organisation code (GB 11714-1997)
    cn_id_card  mainland resident identity card (GB 11643-1999)
    hkid        Hong Kong identity card
    passport    passport number and TD3 machine-readable zone (ICAO Doc 9303)
    siren       French SIREN (INSEE, Luhn)
    dispatch    `validate_document` and `validate_registration`, by the API's type names

This package re-exports their public names: import from `registration.domain.identifiers`.

Libraries: python-stdnum supplies the ISO 7064 MOD 11-2 check and the division-code table for the
resident ID card (`stdnum.cn.ric`, `stdnum.numdb`), the GB 32100 mod-31 check character
(`stdnum.cn.uscc.calc_check_digit`) and the SIREN Luhn check (`stdnum.fr.siren`). It has no HKID
or ICAO 9303 MRZ module, so those are written here. Where stdnum's own `validate` is wrong for
this service we do not call it (see `parse_uscc` and `parse_cn_id_card`).
"""

from __future__ import annotations

from registration.domain.identifiers.cn_id_card import CnIdCard, parse_cn_id_card
from registration.domain.identifiers.common import (
    ChecksumMismatch,
    Flag,
    IdentifierError,
    InvalidBirthDate,
    InvalidCheckDigit,
    InvalidDate,
    InvalidFormat,
    InvalidLength,
    InvalidRegion,
    MrzMismatch,
    UnsupportedType,
)
from registration.domain.identifiers.common import Sex as Sex
from registration.domain.identifiers.dispatch import (
    DOCUMENT_TYPES,
    REGISTRATION_SCHEMES,
    IdentityDocument,
    RegistrationCheck,
    validate_document,
    validate_registration,
)
from registration.domain.identifiers.hkid import Hkid, parse_hkid
from registration.domain.identifiers.passport import (
    MrzFieldMismatch,
    Passport,
    PassportMrz,
    compare_mrz,
    mrz_check_digit,
    parse_mrz,
    parse_passport_number,
)
from registration.domain.identifiers.siren import Siren, parse_siren
from registration.domain.identifiers.uscc import (
    USCC_ALPHABET,
    Uscc,
    UsccCheck,
    check_received_uscc,
    compute_organisation_check,
    compute_uscc,
    parse_uscc,
)

__all__ = [
    "DOCUMENT_TYPES",
    "REGISTRATION_SCHEMES",
    "USCC_ALPHABET",
    "ChecksumMismatch",
    "CnIdCard",
    "Flag",
    "Hkid",
    "IdentifierError",
    "IdentityDocument",
    "InvalidBirthDate",
    "InvalidCheckDigit",
    "InvalidDate",
    "InvalidFormat",
    "InvalidLength",
    "InvalidRegion",
    "MrzFieldMismatch",
    "MrzMismatch",
    "Passport",
    "PassportMrz",
    "RegistrationCheck",
    "Siren",
    "UnsupportedType",
    "Uscc",
    "UsccCheck",
    "check_received_uscc",
    "compare_mrz",
    "compute_organisation_check",
    "compute_uscc",
    "mrz_check_digit",
    "parse_cn_id_card",
    "parse_hkid",
    "parse_mrz",
    "parse_passport_number",
    "parse_siren",
    "parse_uscc",
    "validate_document",
    "validate_registration",
]
