"""Simplified deregistration (简易注销): filing, the public notice, objections, the decision.

POST /api/v1/licences/{uscc}/deregistration          the company's client files (201)
GET  /api/v1/deregistrations?open=true               public: notices (and past ones)
GET  /api/v1/deregistrations/{id}                    public: one notice
POST /api/v1/deregistrations/{id}/withdraw           the company's client, before the end
POST /api/v1/deregistrations/{id}/objections         anyone, rate-limited (201, with the
                                                     secret that withdraws it)
POST /api/v1/deregistrations/{id}/objections/{oid}/withdraw   the objector, with the secret
GET  /api/v1/deregistrations/{id}/objections         registrar and auditor: contact, reason
POST /api/v1/deregistrations/{id}/decision           registrar, after the notice period
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import col, select

from registration.api.deps import AUTHENTICATION_ERRORS, PrincipalDep, SessionDep, SettingsDep
from registration.api.licences import REPRESENTATIVE_ERRORS, RepresentativeAttestation, owner_of
from registration.api.overload import OVERLOAD_ERRORS
from registration.api.problems import problem_responses
from registration.api.register import address_of
from registration.db import utcnow
from registration.domain.deregistration import Decision, DeregistrationStatus, ObjectionStatus
from registration.domain.security_events import SecurityEventKind
from registration.domain.workflow import Role
from registration.errors import (
    AmendmentInProgress,
    DeregistrationClosed,
    DeregistrationNotFound,
    DeregistrationPending,
    LicenceNotActive,
    LicenceNotFound,
    NoticePeriodRunning,
    ObjectionNotFound,
    PayloadInvalid,
    RateLimited,
    RoleNotPermitted,
)
from registration.models import Deregistration
from registration.services import company_access, rate_limits
from registration.services import deregistrations as service

router = APIRouter(
    prefix="/api/v1",
    tags=["deregistrations"],
    responses=problem_responses(*OVERLOAD_ERRORS, PayloadInvalid),
)


class DeregistrationOut(BaseModel):
    id: str
    uscc: str
    company_name_zh: str
    licence_version: int
    status: DeregistrationStatus
    filed_at: datetime
    notice_ends_at: datetime
    closed_at: datetime | None
    decision_reason: str | None
    pending_objections: int
    objections: int
    notice_url: str

    @classmethod
    def of(cls, session: SessionDep, row: Deregistration) -> DeregistrationOut:
        lodged = service.objections(session, row.id)
        return cls(
            id=row.id,
            uscc=row.uscc,
            company_name_zh=row.company_name_zh,
            licence_version=row.licence_version,
            status=row.status,
            filed_at=row.filed_at,
            notice_ends_at=row.notice_ends_at,
            closed_at=row.closed_at,
            decision_reason=row.decision_reason,
            pending_objections=sum(1 for x in lodged if x.status is ObjectionStatus.PENDING),
            objections=len(lodged),
            notice_url=f"/deregistrations/{row.id}",
        )


def _plain_text(value: str) -> str:
    # Control characters (NUL above all, which PostgreSQL refuses in text) have no place in an
    # objection; line breaks and tabs do.
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t\r" for c in value):
        raise ValueError("control characters are not allowed")
    return value


class ObjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    contact: str = Field(min_length=3, max_length=200, description="How the registrar reaches you")
    reason: str = Field(
        min_length=10,
        max_length=2000,
        description="Why the company must not be deregistered (e.g. an unpaid debt)",
    )

    _text = field_validator("contact", "reason")(_plain_text)


class ObjectionReceipt(BaseModel):
    id: str
    deregistration_id: str
    status: ObjectionStatus
    lodged_at: datetime
    withdraw_token: str | None = Field(description="Keep it: it alone withdraws the objection")


class WithdrawObjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=100)


class ObjectionOut(BaseModel):
    id: str
    status: ObjectionStatus
    contact: str
    reason: str
    lodged_at: datetime
    withdrawn_at: datetime | None


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Decision
    reason: str = Field(min_length=3, max_length=500)

    _text = field_validator("reason")(_plain_text)


FILING_ERRORS = (
    *AUTHENTICATION_ERRORS,
    *REPRESENTATIVE_ERRORS,
    LicenceNotFound,
    LicenceNotActive,
    DeregistrationPending,
    AmendmentInProgress,
)


@router.post(
    "/licences/{uscc}/deregistration",
    status_code=status.HTTP_201_CREATED,
    response_model=DeregistrationOut,
    responses=problem_responses(*FILING_ERRORS),
)
def file_deregistration(
    uscc: str,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    attestation: RepresentativeAttestation = None,
) -> DeregistrationOut:
    """The company's client files a simplified deregistration: a public notice period opens
    (`BIZREG_DEREGISTRATION_NOTICE_DAYS`), listed at /deregistrations and in the feed. Any
    other channel's client may too, with `Representative-Attestation`."""
    now = utcnow()
    record, person = None, None
    if attestation is not None and not owner_of(session, principal, uscc):
        _, record = company_access.attest_representative(
            session,
            principal,
            uscc,
            attestation,
            "deregister",
            now=now,
            face_match_threshold=settings.face_match_threshold,
        )
        person = record.person_name
    row = service.file(
        session,
        principal,
        uscc,
        now=now,
        notice_days=settings.deregistration_notice_days,
        attested_person=person,
        entitled=record is not None,
    )
    if record is not None:
        record.subject_id = row.id
        session.add(record)
        session.commit()
    return DeregistrationOut.of(session, row)


@router.get(
    "/deregistrations",
    response_model=list[DeregistrationOut],
    responses=problem_responses(PayloadInvalid),
)
def list_deregistrations(
    session: SessionDep,
    open_only: Annotated[bool, Query(alias="open")] = True,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[DeregistrationOut]:
    """Public: deregistrations in their notice period (or, with open=false, all), newest first."""
    statement = select(Deregistration).order_by(col(Deregistration.filed_at).desc()).limit(limit)
    if open_only:
        statement = statement.where(Deregistration.status == DeregistrationStatus.NOTICE)
    return [DeregistrationOut.of(session, x) for x in session.exec(statement)]


@router.get(
    "/deregistrations/{deregistration_id}",
    response_model=DeregistrationOut,
    responses=problem_responses(DeregistrationNotFound),
)
def get_deregistration(deregistration_id: str, session: SessionDep) -> DeregistrationOut:
    return DeregistrationOut.of(session, service.get(session, deregistration_id))


@router.post(
    "/deregistrations/{deregistration_id}/withdraw",
    response_model=DeregistrationOut,
    responses=problem_responses(
        *AUTHENTICATION_ERRORS, DeregistrationNotFound, DeregistrationClosed
    ),
)
def withdraw_deregistration(
    deregistration_id: str, session: SessionDep, principal: PrincipalDep
) -> DeregistrationOut:
    """The company's client withdraws its deregistration before the notice period ends."""
    row = service.withdraw(session, principal, deregistration_id, utcnow())
    return DeregistrationOut.of(session, row)


@router.post(
    "/deregistrations/{deregistration_id}/objections",
    status_code=status.HTTP_201_CREATED,
    response_model=ObjectionReceipt,
    responses=problem_responses(
        DeregistrationNotFound, DeregistrationClosed, PayloadInvalid, RateLimited
    ),
)
def lodge_objection(
    deregistration_id: str,
    body: ObjectionIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> ObjectionReceipt:
    """Public, rate-limited per address: object to a deregistration during its notice period.
    The contact and reason are shown to the registrar only."""
    address = address_of(request)
    rate_limits.spend(
        session, SecurityEventKind.OBJECTION_LODGED, address, settings.objections_per_minute
    )
    objection, token = service.lodge_objection(
        session, deregistration_id, body.contact, body.reason, address, utcnow()
    )
    return ObjectionReceipt(
        id=objection.id,
        deregistration_id=objection.deregistration_id,
        status=objection.status,
        lodged_at=objection.lodged_at,
        withdraw_token=token,
    )


@router.post(
    "/deregistrations/{deregistration_id}/objections/{objection_id}/withdraw",
    response_model=ObjectionReceipt,
    responses=problem_responses(
        DeregistrationNotFound, ObjectionNotFound, DeregistrationClosed, PayloadInvalid
    ),
)
def withdraw_objection(
    deregistration_id: str, objection_id: str, body: WithdrawObjectionIn, session: SessionDep
) -> ObjectionReceipt:
    """The objector withdraws an objection, with the secret it was given."""
    objection = service.withdraw_objection(
        session, deregistration_id, objection_id, body.token, utcnow()
    )
    return ObjectionReceipt(
        id=objection.id,
        deregistration_id=objection.deregistration_id,
        status=objection.status,
        lodged_at=objection.lodged_at,
        withdraw_token=None,
    )


@router.get(
    "/deregistrations/{deregistration_id}/objections",
    response_model=list[ObjectionOut],
    responses=problem_responses(*AUTHENTICATION_ERRORS, RoleNotPermitted, DeregistrationNotFound),
)
def list_objections(
    deregistration_id: str, session: SessionDep, principal: PrincipalDep
) -> list[ObjectionOut]:
    """Registrar and auditor: every objection with its contact and reason."""
    if principal.role not in (Role.REGISTRAR_ADMIN, Role.AUDITOR):
        raise RoleNotPermitted("objections are shown to the registrar and the auditor")
    service.get(session, deregistration_id)
    return [
        ObjectionOut(
            id=x.id,
            status=x.status,
            contact=x.contact,
            reason=x.reason,
            lodged_at=x.lodged_at,
            withdrawn_at=x.withdrawn_at,
        )
        for x in service.objections(session, deregistration_id)
    ]


@router.post(
    "/deregistrations/{deregistration_id}/decision",
    response_model=DeregistrationOut,
    responses=problem_responses(
        *AUTHENTICATION_ERRORS,
        RoleNotPermitted,
        DeregistrationNotFound,
        DeregistrationClosed,
        NoticePeriodRunning,
        LicenceNotActive,
        PayloadInvalid,
    ),
)
def decide_deregistration(
    deregistration_id: str,
    body: DecisionIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> DeregistrationOut:
    """Registrar: after the notice period, complete or refuse a deregistration (the system
    completes those without pending objections by itself)."""
    row = service.decide(
        session,
        principal,
        deregistration_id,
        body.decision,
        body.reason,
        utcnow(),
        settings.deregistered_name_release_days,
    )
    return DeregistrationOut.of(session, row)
