"""Validate an identity document or a registration number by the type name the API uses.

No standard of its own: `validate_document` dispatches on a person's document type
(`DOCUMENT_TYPES`) and `validate_registration` on a corporate shareholder's registration scheme
(`REGISTRATION_SCHEMES`) to the family modules, which name their standards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from registration.domain.identifiers.cn_id_card import CnIdCard, parse_cn_id_card
from registration.domain.identifiers.common import Flag, InvalidFormat, MrzMismatch, UnsupportedType
from registration.domain.identifiers.hkid import Hkid, parse_hkid
from registration.domain.identifiers.passport import Passport, parse_mrz, parse_passport_number
from registration.domain.identifiers.siren import Siren, parse_siren
from registration.domain.identifiers.uscc import Uscc, check_received_uscc

__all__ = [
    "DOCUMENT_TYPES",
    "REGISTRATION_SCHEMES",
    "IdentityDocument",
    "RegistrationCheck",
    "validate_document",
    "validate_registration",
]

IdentityDocument = CnIdCard | Hkid | Passport

DOCUMENT_TYPES: Final = ("cn_id_card", "hkid", "passport")
REGISTRATION_SCHEMES: Final = ("fr_siren", "cn_uscc")


def validate_document(
    doc_type: str,
    number: str,
    mrz: Sequence[str] | None = None,
    *,
    today: date | None = None,
) -> IdentityDocument:
    """Validate a natural person's identity document as it appears in an application.

    For a passport with an MRZ, every MRZ check digit is verified and the typed number must
    equal the MRZ's document number; compare the other payload fields with `compare_mrz`.
    Expiry is not judged here: whether an expired passport is acceptable is a workflow rule
    (see `PassportMrz.is_expired`).
    """
    if mrz is not None and doc_type != "passport":
        raise InvalidFormat(f"an MRZ is only given for passports, not {doc_type}", field="mrz")
    if doc_type == "cn_id_card":
        return parse_cn_id_card(number, today=today)
    if doc_type == "hkid":
        return parse_hkid(number)
    if doc_type == "passport":
        canonical = parse_passport_number(number)
        if mrz is None:
            return Passport(number=canonical)
        parsed = parse_mrz(mrz, today=today)
        if parsed.document_number != canonical:
            raise MrzMismatch(
                f"the passport number {canonical!r} differs from the MRZ's "
                f"{parsed.document_number!r}",
                field="number",
            )
        return Passport(number=canonical, mrz=parsed)
    raise UnsupportedType(
        f"unknown document type {doc_type!r}; expected one of {', '.join(DOCUMENT_TYPES)}",
        field="type",
    )


@dataclass(frozen=True)
class RegistrationCheck:
    """A corporate registration number that is well formed; `flags` need officer review."""

    scheme: str
    number: str
    parsed: Siren | Uscc
    flags: list[Flag]

    @property
    def needs_review(self) -> bool:
        return bool(self.flags)


def validate_registration(scheme: str, number: str) -> RegistrationCheck:
    """Validate a corporate shareholder's registration number.

    `fr_siren` numbers must pass Luhn; `cn_uscc` numbers are received codes, so failed
    check characters become flags rather than errors (see `check_received_uscc`).
    """
    if scheme == "fr_siren":
        siren = parse_siren(number)
        return RegistrationCheck(scheme=scheme, number=siren.number, parsed=siren, flags=[])
    if scheme == "cn_uscc":
        check = check_received_uscc(number)
        return RegistrationCheck(
            scheme=scheme, number=check.value.value, parsed=check.value, flags=check.flags
        )
    raise UnsupportedType(
        f"unknown registration scheme {scheme!r}; expected one of "
        f"{', '.join(REGISTRATION_SCHEMES)}",
        field="scheme",
    )
