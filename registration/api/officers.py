"""Officer login and work queues."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, OAuth2PasswordRequestForm

from registration.api.deps import (
    AUTHENTICATION_ERRORS,
    PrincipalDep,
    SessionDep,
    SettingsDep,
    bearer,
    client_address,
)
from registration.api.overload import OVERLOAD_ERRORS
from registration.api.problems import problem_responses
from registration.api.schemas import ApplicationSummary, TokenOut
from registration.domain.security_events import SecurityEventKind
from registration.errors import (
    InvalidCredentials,
    PayloadInvalid,
    RoleNotPermitted,
    SignInLocked,
    SignInThrottled,
)
from registration.services import accounts, queues, security_events, sign_in

router = APIRouter(
    prefix="/api/v1", tags=["officers"], responses=problem_responses(*OVERLOAD_ERRORS)
)
_QUEUE_ERRORS = problem_responses(*AUTHENTICATION_ERRORS, RoleNotPermitted, PayloadInvalid)

Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0)]


@router.post(
    "/auth/token",
    response_model=TokenOut,
    responses=problem_responses(InvalidCredentials, SignInThrottled, SignInLocked, PayloadInvalid),
)
def issue_token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenOut:
    """OAuth2 password flow for officers; the bearer token expires. Repeated wrong passwords
    for a username or from an address make further attempts wait, then lock (429)."""
    officer = sign_in.sign_in(session, form.username, form.password, client_address(request))
    ttl = timedelta(seconds=settings.officer_token_ttl_seconds)
    token = accounts.issue_officer_token(session, officer, ttl)
    return TokenOut(access_token=token, expires_in=settings.officer_token_ttl_seconds)


@router.post(
    "/auth/revoke",
    status_code=204,
    responses=problem_responses(*AUTHENTICATION_ERRORS),
)
def revoke_token(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Response:
    """Sign-out for API tokens: the bearer token presented stops working at once."""
    if credentials is not None and accounts.revoke_token(session, credentials.credentials):
        security_events.record(
            session, SecurityEventKind.TOKEN_REVOKED, principal.subject, client_address(request)
        )
        session.commit()
    return Response(status_code=204)


@router.get("/queues/front-desk", response_model=list[ApplicationSummary], responses=_QUEUE_ERRORS)
def front_desk_queue(
    session: SessionDep, principal: PrincipalDep, limit: Limit = 50, offset: Offset = 0
) -> list[ApplicationSummary]:
    """Submitted applications waiting for acceptance, oldest first."""
    return [
        ApplicationSummary.of(a) for a in queues.front_desk_queue(session, principal, limit, offset)
    ]


@router.get("/queues/back-office", response_model=list[ApplicationSummary], responses=_QUEUE_ERRORS)
def back_office_queue(
    session: SessionDep, principal: PrincipalDep, limit: Limit = 50, offset: Offset = 0
) -> list[ApplicationSummary]:
    """Accepted applications in the caller's categories, oldest first."""
    return [
        ApplicationSummary.of(a)
        for a in queues.back_office_queue(session, principal, limit, offset)
    ]
