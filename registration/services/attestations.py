"""Identity attestations: verify a bank's signed statement about a person, and keep it.

One use case, one transaction: the attestation is verified (`bank_adapter.verify_attestation`:
signature with the client's registered attestation key that the JWS `kid` names, issuer,
audience, lifetime, binding to this application, evidence thresholds, no biometric data),
matched to a person of the application who must be verified, and stored with its `jti`.
The unique (issuer, jti) constraint makes single use hold under concurrency (RFC 7519 §4.1.7).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from bank_adapter import (
    AttestationError,
    AttestationReplayed,
    attestation_kid,
    verify_attestation,
)
from registration.domain.application import FieldError
from registration.domain.attestation import AttestedFacts, Match, match_attested_person
from registration.domain.security_events import SecurityEventKind
from registration.domain.workflow import EDITABLE_STATUSES, Status
from registration.errors import (
    AttestedPersonMismatch,
    Conflict,
    NotEditable,
    PayloadInvalid,
    PersonNotAttestable,
    RoleNotPermitted,
)
from registration.models import IdentityAttestation
from registration.principal import Principal
from registration.services import applications, clients, security_events
from registration.services.unique import flush_or_conflict


def attest(
    session: Session,
    principal: Principal,
    application_id: str,
    token: str,
    *,
    now: datetime,
    face_match_threshold: float,
) -> tuple[IdentityAttestation, Match]:
    if not principal.is_client:
        raise RoleNotPermitted("attestations are posted by the client that submits the application")
    application = applications.get_application(session, principal, application_id)
    if Status(application.status) not in EDITABLE_STATUSES:
        raise NotEditable(
            f"an application that is {application.status} takes no more attestations",
            extra={"current_status": application.status},
        )

    def jti_seen(jti: str) -> bool:
        statement = select(IdentityAttestation.id).where(
            IdentityAttestation.issuer == principal.subject, IdentityAttestation.jti == jti
        )
        return session.exec(statement).first() is not None

    try:
        # The JWS kid picks which of the client's active keys verifies it (rotation).
        key = clients.attestation_key(session, principal.subject, attestation_kid(token))
        verified = verify_attestation(
            token,
            key=clients.public_key_from_pem(key.public_key_pem),
            expected_issuer=principal.subject,
            application_id=application.id,
            now=now,
            jti_seen=jti_seen,
            face_match_threshold=face_match_threshold,
        )
    except AttestationError as error:
        # Counted (per client and minute), and kept although the request is refused.
        security_events.record(
            session, SecurityEventKind.ATTESTATION_REFUSED, principal.subject, None, error.code
        )
        session.commit()
        if isinstance(error, AttestationReplayed):
            raise Conflict.catalogued(error.code)(error.detail) from None
        raise PayloadInvalid.catalogued(error.code)(
            error.detail,
            errors=[FieldError("attestation", error.detail, error.code)],
        ) from None

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
    if match is None:
        raise PersonNotAttestable(
            "the attested person is neither the legal representative nor a natural-person "
            "shareholder of this application",
            errors=[
                FieldError(
                    "attestation.person",
                    "no legal representative or shareholder has this document",
                    "person_not_attestable",
                )
            ],
        )
    if match.mismatches:
        raise AttestedPersonMismatch(
            "the attestation disagrees with the application about this person",
            errors=match.mismatches,
        )
    row = IdentityAttestation(
        id=str(uuid.uuid4()),
        application_id=application.id,
        client_id=principal.subject,
        keyid=key.keyid,
        issuer=verified.issuer,
        jti=verified.jti,
        document_type=match.person.document_type,
        document_key=match.person.document_key,
        person_name=person.name[:80],
        nationality=person.nationality.upper()[:3],
        birth_date=person.birth_date,
        face_match_score=verified.evidence.face_match_score,
        document_chip_read=verified.evidence.document_chip_read,
        liveness_passed=verified.evidence.liveness_passed,
        checked_at=verified.evidence.checked_at,
        issued_at=verified.issued_at,
        expires_at=verified.expires_at,
        received_at=now,
        token=token,
    )
    session.add(row)
    # A concurrent request may have stored the same jti first.
    flush_or_conflict(
        session,
        Conflict.catalogued(AttestationReplayed.code)(
            "this attestation (jti) has already been used"
        ),
    )
    session.commit()
    return row, match


def list_attestations(
    session: Session, principal: Principal, application_id: str
) -> list[IdentityAttestation]:
    applications.get_application(session, principal, application_id)
    statement = (
        select(IdentityAttestation)
        .where(IdentityAttestation.application_id == application_id)
        .order_by(col(IdentityAttestation.received_at))
    )
    return list(session.exec(statement))
