"""Who must be identity-checked by the bank, and whether an attestation is about them.

Pure rules (no database, no web): DESIGN.md §6 requires a bank attestation for the legal
representative and every natural-person shareholder before submission. A person is matched by
document type and document number, both sides normalised the way `domain.identifiers` writes
a number (`V476312(2)` and `v4763122` are one HKID); the name, birth date and nationality
stated in the attestation must then agree with the application — when the attestation is
posted, and again, against the application as it is then, at submission (an edit after
attesting must not ride on the old attestation).
"""

from __future__ import annotations

import re
import unicodedata
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
    name_keys: frozenset[str] = frozenset()  # `name_key` of `name` and `name_latin`


def name_key(name: str) -> str:
    """A name in the form two spellings of it are compared in: NFKC, case-folded, without
    whitespace, punctuation or control/format characters (`Chan, Tai-Man` = `CHAN TAI MAN`;
    full-width letters = ASCII ones; `艾力·买买提` = `艾力买买提`)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PZC")


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
            name_keys=frozenset(
                key
                for key in (name_key(person.name), name_key(person.name_latin or ""))
                if key  # a name of punctuation only matches nothing
            ),
        )
        for i, person in enumerate(payload.persons)
        if person.ref in roles
    ]


@dataclass(frozen=True)
class AttestedFacts:
    """What an attestation states about its person (from the token, or as stored)."""

    document_type: str
    document_number: str  # any spelling; compared by `document_key`
    name: str
    birth_date: date
    nationality: str


def is_about(person: PersonToAttest, facts: AttestedFacts) -> bool:
    """Whether the attestation names this person's document (type and canonical number)."""
    return (person.document_type, person.document_key) == (
        facts.document_type,
        document_key(facts.document_type, facts.document_number),
    )


def disagreements(person: PersonToAttest, facts: AttestedFacts) -> list[str]:
    """The fields (of `Person`) on which an attestation about `person` disagrees with it."""
    fields = []
    if facts.birth_date != person.birth_date:
        fields.append("birth_date")
    if facts.nationality.upper() != person.nationality:
        fields.append("nationality")
    if name_key(facts.name) not in person.name_keys:
        fields.append("name")
    return fields


_DISAGREEMENT = {
    "birth_date": "the bank attested another birth date for this document",
    "nationality": "the bank attested another nationality for this document",
    "name": "the bank attested another name for this document (compared with name and "
    "name_latin, ignoring case, spacing and punctuation)",
}


@dataclass(frozen=True)
class Match:
    person: PersonToAttest
    mismatches: list[FieldError]


def match_attested_person(payload: ApplicationPayload, facts: AttestedFacts) -> Match | None:
    """The person of the application the attestation is about, with every field it disagrees
    on, or None if it is nobody who must be attested."""
    for person in persons_to_attest(payload):
        if not is_about(person, facts):
            continue
        mismatches = [
            FieldError(
                f"persons[{person.index}].{name}", _DISAGREEMENT[name], "attested_person_mismatch"
            )
            for name in disagreements(person, facts)
        ]
        return Match(person, mismatches)
    return None


def attested_person(payload: ApplicationPayload, facts: AttestedFacts) -> PersonToAttest | None:
    """The person a stored attestation verifies in the application as it is now: the one with
    its document, provided every attested fact still agrees; else None."""
    match = match_attested_person(payload, facts)
    return match.person if match is not None and not match.mismatches else None


def attestation_errors(
    payload: ApplicationPayload, attested: Collection[AttestedFacts]
) -> list[FieldError]:
    """A field error per person to attest who no attestation verifies as the application is
    now: `attestation_missing` when none names their document, `attested_person_mismatch`
    when those that do disagree with the person (the person was edited after attesting)."""
    errors = []
    for person in persons_to_attest(payload):
        about = [disagreements(person, facts) for facts in attested if is_about(person, facts)]
        if not about:
            errors.append(
                FieldError(
                    f"persons[{person.index}]",
                    f"the {' and '.join(r.replace('_', ' ') for r in person.roles)} must be "
                    "identity-checked by the bank: post an attestation for this person",
                    "attestation_missing",
                )
            )
        elif all(about):
            fields = " and ".join(f.replace("_", " ") for f in min(about, key=len))
            errors.append(
                FieldError(
                    f"persons[{person.index}]",
                    f"the bank attested another {fields} "
                    "for this person's document: correct the application or post a new "
                    "attestation",
                    "attested_person_mismatch",
                )
            )
    return errors
