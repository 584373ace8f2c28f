"""/api/v1/licences: public status of a licence, and its PDF for those entitled to it."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

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
from registration.api.schemas import ApplicationOut
from registration.db import utcnow
from registration.domain.application import ApplicationPayload
from registration.errors import (
    AmendmentBeingIssued,
    AmendmentInProgress,
    AttestationExpired,
    AttestationMalformed,
    AttestationReplayed,
    AttestationSignatureInvalid,
    AttestedPersonMismatch,
    ConcurrentModification,
    DeregistrationPending,
    LicenceNotActive,
    LicenceNotFound,
    NoAttestationKey,
    NotLegalRepresentative,
    PayloadInvalid,
    RoleNotPermitted,
)
from registration.services import company_access
from registration.services import licences as service

# `Representative-Attestation: <compact JWS>`: the company's current legal representative,
# attested by the calling client's bank, bound to `uscc:<USCC>` (services/company_access.py).
RepresentativeAttestation = Annotated[
    str | None,
    Header(
        alias=company_access.HEADER,
        max_length=16_384,
        description="A fresh bank attestation of the company's current legal representative "
        "(application_id claim `uscc:<USCC>`): lets any channel's client act for the company.",
    ),
]
REPRESENTATIVE_ERRORS = (
    NotLegalRepresentative,
    AttestedPersonMismatch,
    NoAttestationKey,
    AttestationReplayed,
    AttestationExpired,
    AttestationSignatureInvalid,
    AttestationMalformed,
)

router = APIRouter(
    prefix="/api/v1/licences", tags=["licences"], responses=problem_responses(*OVERLOAD_ERRORS)
)


class LicenceVersionOut(BaseModel):
    version: int
    status: str
    issued_at: datetime
    sha256: str


class LicenceStatusOut(BaseModel):
    uscc: str
    version: int
    status: str
    status_reason: str | None
    status_changed_at: datetime | None
    issued_at: datetime
    company_name_zh: str
    sha256: str
    # The issued file's length: with `sha256`, a verifier anywhere can tell the issued bytes
    # followed only by validation data (an archive's renewed timestamp) from an altered file.
    size: int
    pdf_url: str
    versions: list[LicenceVersionOut]


@router.get(
    "/{uscc}",
    response_model=LicenceStatusOut,
    responses=problem_responses(LicenceNotFound, PayloadInvalid),
)
def licence_status(
    uscc: str, session: SessionDep, v: Annotated[int | None, Query(ge=1)] = None
) -> LicenceStatusOut:
    """Public: whether a licence is in force (active / superseded / revoked), for anyone."""
    return _status(session, uscc, v)


def _status(session: SessionDep, uscc: str, v: int | None) -> LicenceStatusOut:
    licence, versions = service.public_status(session, uscc, v)
    return LicenceStatusOut(
        uscc=licence.uscc,
        version=licence.version,
        status=licence.status,
        status_reason=licence.status_reason,
        status_changed_at=licence.status_changed_at,
        issued_at=licence.issued_at,
        company_name_zh=licence.company_name_zh,
        sha256=licence.sha256,
        size=licence.size,
        pdf_url=f"/api/v1/licences/{licence.uscc}/pdf?v={licence.version}",
        versions=[
            LicenceVersionOut(
                version=x.version, status=x.status, issued_at=x.issued_at, sha256=x.sha256
            )
            for x in versions
        ],
    )


@router.get(
    "/{uscc}/pdf",
    response_class=Response,
    responses=problem_responses(
        *AUTHENTICATION_ERRORS, LicenceNotFound, PayloadInvalid, *REPRESENTATIVE_ERRORS
    ),
)
def licence_pdf(
    uscc: str,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    v: Annotated[int | None, Query(ge=1)] = None,
    attestation: RepresentativeAttestation = None,
) -> Response:
    """The signed PDF, for officers, the client that submitted the application, and any
    client whose bank attests the company's current legal representative."""
    entitled = False
    if attestation is not None and not owner_of(session, principal, uscc):
        company_access.attest_representative(
            session,
            principal,
            uscc,
            attestation,
            "download",
            now=utcnow(),
            face_match_threshold=settings.face_match_threshold,
        )
        session.commit()
        entitled = True
    licence = service.pdf_for(session, principal, uscc, v, entitled=entitled)
    filename = f"licence-{licence.uscc}-v{licence.version}.pdf"
    digest = base64.b64encode(bytes.fromhex(licence.sha256)).decode()
    return Response(
        licence.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Repr-Digest": f"sha-256=:{digest}:",  # RFC 9530 §3
        },
    )


class RevocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=3, max_length=500, description="Why, in words the public may read"
    )


@router.post(
    "/{uscc}/revoke",
    response_model=LicenceStatusOut,
    responses=problem_responses(
        *AUTHENTICATION_ERRORS,
        RoleNotPermitted,
        LicenceNotFound,
        LicenceNotActive,
        AmendmentBeingIssued,
        ConcurrentModification,
        PayloadInvalid,
    ),
)
def revoke_licence(
    uscc: str, body: RevocationIn, session: SessionDep, principal: PrincipalDep
) -> LicenceStatusOut:
    """Registrar administration: revoke the licence in force (the PDF stays as signed)."""
    licence = service.revoke(session, principal, uscc, body.reason)
    return _status(session, licence.uscc, licence.version)


@router.post(
    "/{uscc}/amendments",
    status_code=status.HTTP_201_CREATED,
    response_model=ApplicationOut,
    responses=problem_responses(
        *AUTHENTICATION_ERRORS,
        RoleNotPermitted,
        LicenceNotFound,
        LicenceNotActive,
        AmendmentInProgress,
        DeregistrationPending,
        PayloadInvalid,
        *IDEMPOTENCY_ERRORS,
        *REPRESENTATIVE_ERRORS,
    ),
)
def amend_licence(
    uscc: str,
    payload: ApplicationPayload,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    attestation: RepresentativeAttestation = None,
) -> ApplicationOut:
    """The company's client files a change (the whole application as it should now read). Once
    approved, version n+1 of the licence is issued under the same USCC; version n is superseded.
    Any other channel's client may too, with `Representative-Attestation`: the application is
    then its own, and keeps the company's channel (`channel` in the payload)."""
    if attestation is not None and not owner_of(session, principal, uscc):
        current, record = company_access.attest_representative(
            session,
            principal,
            uscc,
            attestation,
            "amend",
            now=utcnow(),
            face_match_threshold=settings.face_match_threshold,
        )
        application = service.start_amendment(
            session,
            principal,
            uscc,
            payload,
            idempotency_key,
            entitled=True,
            company_channel=company_access.company_channel(session, current),
        )
        record.subject_id = application.id
        session.add(record)
        session.commit()
    else:
        application = service.start_amendment(session, principal, uscc, payload, idempotency_key)
    response.headers["Location"] = f"/api/v1/applications/{application.id}"
    return ApplicationOut.of(application, [], None)


def owner_of(session: SessionDep, principal: PrincipalDep, uscc: str) -> bool:
    try:
        return company_access.owns(principal, service.current_licence(session, uscc))
    except LicenceNotFound:
        return False
