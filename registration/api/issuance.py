"""/api/v1/admin/issuance-jobs: approved applications whose licence has not been issued yet
because issuance failed at least once (the worker keeps retrying with back-off)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from registration.api.deps import AUTHENTICATION_ERRORS, PrincipalDep, SessionDep
from registration.api.overload import OVERLOAD_ERRORS
from registration.api.problems import problem_responses
from registration.domain.workflow import Role
from registration.errors import RoleNotPermitted
from registration.services import issuance as service

router = APIRouter(
    prefix="/api/v1/admin",
    tags=["admin"],
    responses=problem_responses(*AUTHENTICATION_ERRORS, *OVERLOAD_ERRORS),
)


class IssuanceJobOut(BaseModel):
    application_id: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime


@router.get(
    "/issuance-jobs",
    response_model=list[IssuanceJobOut],
    responses=problem_responses(RoleNotPermitted),
)
def troubled_issuance_jobs(session: SessionDep, principal: PrincipalDep) -> list[IssuanceJobOut]:
    if principal.role is not Role.REGISTRAR_ADMIN:
        raise RoleNotPermitted("for the registrar administration")
    return [
        IssuanceJobOut(
            application_id=job.application_id,
            attempts=job.attempts,
            last_error=job.last_error,
            created_at=job.created_at,
            next_attempt_at=job.not_before,
        )
        for job in service.troubled_jobs(session)
    ]
