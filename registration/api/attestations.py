"""Identity attestations: the bank posts one per person as a compact JWS (`application/jose`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request, status

from registration.api.deps import (
    AUTHENTICATION_ERRORS,
    IDEMPOTENCY_ERRORS,
    IdempotencyKey,
    PrincipalDep,
    SessionDep,
    SettingsDep,
)
from registration.api.overload import OVERLOAD_ERRORS
from registration.api.problems import problem_responses
from registration.api.schemas import AttestationOut
from registration.db import utcnow
from registration.domain.attestation import AttestedFacts, attested_person
from registration.errors import (
    ApplicationNotFound,
    AttestationAlgorithmRefused,
    AttestationAudienceMismatch,
    AttestationExpired,
    AttestationIssuerMismatch,
    AttestationLifetimeTooLong,
    AttestationMalformed,
    AttestationNotYetValid,
    AttestationReplayed,
    AttestationSignatureInvalid,
    AttestationWrongApplication,
    AttestedPersonMismatch,
    BiometricDataPresent,
    DocumentChipNotRead,
    FaceMatchBelowThreshold,
    LivenessCheckFailed,
    NoAttestationKey,
    NotEditable,
    PayloadInvalid,
    PersonNotAttestable,
    RoleNotPermitted,
    UnsupportedMediaType,
)
from registration.services import applications, attestations

JOSE = "application/jose"  # RFC 7515 §9.2.1: compact serialization


router = APIRouter(
    prefix="/api/v1/applications",
    tags=["applications"],
    responses=problem_responses(*AUTHENTICATION_ERRORS, *OVERLOAD_ERRORS),
)
# bank_adapter.verify_attestation's verdicts on the token itself.
_REFUSALS = (
    AttestationMalformed,
    AttestationAlgorithmRefused,
    AttestationSignatureInvalid,
    AttestationIssuerMismatch,
    AttestationAudienceMismatch,
    AttestationNotYetValid,
    AttestationExpired,
    AttestationLifetimeTooLong,
    AttestationWrongApplication,
    DocumentChipNotRead,
    LivenessCheckFailed,
    FaceMatchBelowThreshold,
    BiometricDataPresent,
    AttestationReplayed,
)


@router.post(
    "/{application_id}/attestations",
    status_code=status.HTTP_201_CREATED,
    response_model=AttestationOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {JOSE: {"schema": {"type": "string", "description": "compact JWS"}}},
        }
    },
    responses=problem_responses(
        ApplicationNotFound,
        RoleNotPermitted,
        NotEditable,
        NoAttestationKey,
        UnsupportedMediaType,
        *_REFUSALS,
        PersonNotAttestable,
        AttestedPersonMismatch,
        PayloadInvalid,
        *IDEMPOTENCY_ERRORS,
    ),
)
def post_attestation(
    application_id: str,
    request: Request,
    token: Annotated[str, Body(media_type=JOSE, max_length=16384, include_in_schema=False)],
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> AttestationOut:
    """The bank's identity attestation for one person, as a compact JWS (`application/jose`);
    claims as in `examples/attestation-claims.json`."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != JOSE:
        raise UnsupportedMediaType(
            f"send the compact JWS as {JOSE} (RFC 7515 §9.2.1), not {media_type or 'nothing'}"
        )
    row, match = attestations.attest(
        session,
        principal,
        application_id,
        token.strip(),
        now=utcnow(),
        face_match_threshold=settings.face_match_threshold,
    )
    return AttestationOut.of(row, match.person)


@router.get(
    "/{application_id}/attestations",
    response_model=list[AttestationOut],
    responses=problem_responses(ApplicationNotFound, RoleNotPermitted, PayloadInvalid),
)
def get_attestations(
    application_id: str, session: SessionDep, principal: PrincipalDep
) -> list[AttestationOut]:
    rows = attestations.list_attestations(session, principal, application_id)
    application = applications.get_application(session, principal, application_id)
    payload = applications.parse_payload(application.payload)
    return [
        AttestationOut.of(
            r,
            attested_person(
                payload,
                AttestedFacts(
                    r.document_type, r.document_key, r.person_name, r.birth_date, r.nationality
                ),
            ),
        )
        for r in rows
    ]
