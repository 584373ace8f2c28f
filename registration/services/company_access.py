"""The company, not the client, owns its record: any channel's client may act for a company
when its bank attests, freshly, that the company's current legal representative asks.

The attestation is the same compact JWS as for applications (`bank_adapter`), signed with the
client's registered attestation key, at most ten minutes old, single use, and bound to the
company instead of an application: its `application_id` claim reads `uscc:<USCC>`. The person
is matched to the legal representative printed on the licence in force, as submissions match
their people. Each use is stored: which client, which attested person, what for.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, select

from bank_adapter import (
    AttestationError,
    AttestationReplayed,
    attestation_kid,
    verify_attestation,
)
from registration.domain.application import FieldError
from registration.domain.attestation import (
    LEGAL_REPRESENTATIVE,
    AttestedFacts,
    match_attested_person,
)
from registration.errors import (
    AttestedPersonMismatch,
    Conflict,
    LicenceNotFound,
    NotLegalRepresentative,
    PayloadInvalid,
    RoleNotPermitted,
)
from registration.models import Application, CompanyAttestation, IdentityAttestation, Licence
from registration.principal import Principal
from registration.services import applications, clients, licences
from registration.services.unique import flush_or_conflict

HEADER = "Representative-Attestation"


def binding(uscc: str) -> str:
    """The `application_id` claim of an attestation for company `uscc`."""
    return f"uscc:{uscc.upper()}"


def owns(principal: Principal, licence: Licence) -> bool:
    return principal.is_client and licence.client_id == principal.subject


def attest_representative(
    session: Session,
    principal: Principal,
    uscc: str,
    token: str,
    action: str,
    *,
    now: datetime,
    face_match_threshold: float,
) -> tuple[Licence, CompanyAttestation]:
    """Verify and record (not committed) the attestation; returns the licence in force."""
    if not principal.is_client:
        raise RoleNotPermitted("representative attestations come from an API client")
    current = licences.current_licence(session, uscc)

    def jti_seen(jti: str) -> bool:
        for table in (CompanyAttestation, IdentityAttestation):
            found = session.exec(
                select(table.id).where(table.issuer == principal.subject, table.jti == jti)
            ).first()
            if found is not None:
                return True
        return False

    try:
        key = clients.attestation_key(session, principal.subject, attestation_kid(token))
        verified = verify_attestation(
            token,
            key=clients.public_key_from_pem(key.public_key_pem),
            expected_issuer=principal.subject,
            application_id=binding(current.uscc),
            now=now,
            jti_seen=jti_seen,
            face_match_threshold=face_match_threshold,
        )
    except AttestationReplayed as error:
        raise Conflict.catalogued(error.code)(error.detail) from None
    except AttestationError as error:
        raise PayloadInvalid.catalogued(error.code)(
            error.detail, errors=[FieldError(HEADER, error.detail, error.code)]
        ) from None
    application = session.get(Application, current.application_id)
    if application is None:  # pragma: no cover - a licence always has its application
        raise LicenceNotFound(f"no licence {uscc}")
    payload = applications.parse_payload(application.payload)
    person = verified.person
    match = match_attested_person(
        payload,
        AttestedFacts(
            document_type=person.document_type,
            document_number=person.document_number,
            name=person.name,
            birth_date=person.birth_date,
            nationality=person.nationality,
        ),
    )
    if match is None or LEGAL_REPRESENTATIVE not in match.person.roles:
        raise NotLegalRepresentative(
            f"the attested person is not the current legal representative of {current.uscc}"
        )
    if match.mismatches:
        raise AttestedPersonMismatch(
            "the attestation disagrees with the licence about the legal representative",
            errors=match.mismatches,
        )
    row = CompanyAttestation(
        id=str(uuid.uuid4()),
        uscc=current.uscc,
        licence_version=current.version,
        action=action,
        client_id=principal.subject,
        issuer=verified.issuer,
        jti=verified.jti,
        document_type=match.person.document_type,
        document_key=match.person.document_key,
        person_name=person.name[:80],
        face_match_score=verified.evidence.face_match_score,
        received_at=now,
        token=token,
    )
    session.add(row)
    flush_or_conflict(
        session,
        Conflict.catalogued(AttestationReplayed.code)(
            "this attestation (jti) has already been used"
        ),
    )
    return current, row


def company_channel(session: Session, licence: Licence) -> str:
    application = session.get(Application, licence.application_id)
    return application.channel if application is not None else ""
