"""Who must be identity-checked by the bank, and whether an attestation is about them.

Pure rules (no database, no web): DESIGN.md §6 requires a bank attestation for the legal
representative and every natural-person shareholder before submission. A person is matched by
document type and document number, both sides normalised the way `domain.identifiers` writes
a number (`V476312(2)` and `v4763122` are one HKID); the birth date and nationality stated in
the attestation must then agree with the application.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from registration.domain.application import ApplicationPayload, FieldError
from registration.domain.identifiers import IdentifierError, validate_document

LEGAL_REPRESENTATIVE = "legal_representative"
SHAREHOLDER = "shareholder"


def document_key(document_type: str, number: str) -> str:
    """The canonical form of a document number, for comparing two spellings of it.

    A number that fails validation is still compared, in a compact upper-case form: its
    error is reported by the automatic checks at submission, with its own field and code,
    and must not also masquerade as a missing attestation.
    """
    try:
        return validate_document(document_type, number).number
    except IdentifierError:
        return re.sub(r"[^0-9A-Z]", "", number.upper())[:40]


@dataclass(frozen=True)
class PersonToAttest:
    index: int  # position in `persons`, for field paths like persons[0]
    ref: str
    document_type: str
    document_key: str
    birth_date: date
    nationality: str
    roles: tuple[str, ...]


def persons_to_attest(payload: ApplicationPayload) -> list[PersonToAttest]:
    roles: dict[str, list[str]] = {}
    roles.setdefault(payload.legal_representative, []).append(LEGAL_REPRESENTATIVE)
    for holder in payload.shareholders:
        if holder.person is not None:
            roles.setdefault(holder.person, []).append(SHAREHOLDER)
    return [
        PersonToAttest(
            index=i,
            ref=person.ref,
            document_type=person.document.type,
            document_key=document_key(person.document.type, person.document.number),
            birth_date=person.birth_date,
            nationality=person.nationality,
            roles=tuple(roles[person.ref]),
        )
        for i, person in enumerate(payload.persons)
        if person.ref in roles
    ]


@dataclass(frozen=True)
class Match:
    person: PersonToAttest
    mismatches: list[FieldError]


def match_attested_person(
    payload: ApplicationPayload,
    document_type: str,
    document_number: str,
    birth_date: date,
    nationality: str,
) -> Match | None:
    """The person of the application the attestation is about, or None if it is nobody who
    must be attested."""
    key = document_key(document_type, document_number)
    for person in persons_to_attest(payload):
        if (person.document_type, person.document_key) != (document_type, key):
            continue
        mismatches = []
        if person.birth_date != birth_date:
            mismatches.append(
                FieldError(
                    f"persons[{person.index}].birth_date",
                    "the bank attested another birth date for this document",
                    "attested_person_mismatch",
                )
            )
        if person.nationality != nationality.upper():
            mismatches.append(
                FieldError(
                    f"persons[{person.index}].nationality",
                    "the bank attested another nationality for this document",
                    "attested_person_mismatch",
                )
            )
        return Match(person, mismatches)
    return None


def missing_attestations(
    payload: ApplicationPayload, attested: Collection[tuple[str, str]]
) -> list[FieldError]:
    """A field error per person to attest whose (document type, key) has no attestation."""
    return [
        FieldError(
            f"persons[{person.index}]",
            f"the {' and '.join(r.replace('_', ' ') for r in person.roles)} must be "
            "identity-checked by the bank: post an attestation for this person",
            "attestation_missing",
        )
        for person in persons_to_attest(payload)
        if (person.document_type, person.document_key) not in attested
    ]
