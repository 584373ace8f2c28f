"""/api/v1/names: check a proposed company name, reserve it for two months."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
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
from registration.errors import NameRefused, NameUnavailable, PayloadInvalid, RoleNotPermitted
from registration.services import names

router = APIRouter(
    prefix="/api/v1/names",
    tags=["names"],
    responses=problem_responses(*AUTHENTICATION_ERRORS, *OVERLOAD_ERRORS),
)


class NameReason(BaseModel):
    code: str
    message: str
    term: str | None = None


class NameCheckOut(BaseModel):
    available: bool
    reasons: list[NameReason]
    similar: list[str]


class ReservationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=50)


class ReservationOut(BaseModel):
    id: str
    name: str
    region_code: str
    expires_at: datetime | None


@router.get("/check", response_model=NameCheckOut, responses=problem_responses(PayloadInvalid))
def check_name(
    name: Annotated[str, Query(min_length=1, max_length=50)],
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> NameCheckOut:
    """Is this name acceptable and free in the authority's region? For clients and officers:
    the answer reveals names reserved for applications that are not public yet."""
    result = names.check(session, settings.region_code, name)
    return NameCheckOut(
        available=result.available,
        reasons=[NameReason(code=r.code, message=r.message, term=r.term) for r in result.reasons],
        similar=result.similar,
    )


@router.post(
    "/reservations",
    status_code=status.HTTP_201_CREATED,
    response_model=ReservationOut,
    responses=problem_responses(
        RoleNotPermitted, NameRefused, NameUnavailable, PayloadInvalid, *IDEMPOTENCY_ERRORS
    ),
)
def reserve_name(
    body: ReservationIn,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> ReservationOut:
    """Reserve a checked name for two months; submitting an application with it consumes it."""
    row = names.reserve(session, principal, settings.region_code, body.name)
    return ReservationOut(
        id=row.id, name=row.name, region_code=row.region_code, expires_at=row.expires_at
    )
