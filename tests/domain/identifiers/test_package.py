"""The package re-exports each family module's public names, so imports written against the
single module it replaced (`from registration.domain.identifiers import X`) keep working."""

from __future__ import annotations

from types import ModuleType

from registration.domain import identifiers
from registration.domain.identifiers import (
    cn_id_card,
    common,
    dispatch,
    hkid,
    passport,
    siren,
    uscc,
)

FAMILIES: tuple[ModuleType, ...] = (common, uscc, cn_id_card, hkid, passport, siren, dispatch)

# The __all__ of registration/domain/identifiers.py before it became a package.
PUBLIC_BEFORE_THE_SPLIT = [
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


def test_public_names_are_unchanged() -> None:
    assert sorted(identifiers.__all__) == sorted(PUBLIC_BEFORE_THE_SPLIT)


def test_every_family_name_is_exported_once_and_is_the_same_object() -> None:
    # Sex was importable from the old module without being in its __all__; it still is.
    names = [name for family in FAMILIES for name in family.__all__]
    assert sorted(names) == sorted([*identifiers.__all__, "Sex"])
    for family in FAMILIES:
        for name in family.__all__:
            assert getattr(identifiers, name) is getattr(family, name), name
