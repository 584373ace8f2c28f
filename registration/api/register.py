"""/api/v1/register: the public register, searched by USCC or company name."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from registration.api.deps import SessionDep, SettingsDep
from registration.api.overload import OVERLOAD_ERRORS
from registration.api.problems import problem_responses
from registration.domain.security_events import SecurityEventKind
from registration.errors import PayloadInvalid, RateLimited, SearchQueryInvalid
from registration.services import rate_limits, register

router = APIRouter(
    prefix="/api/v1/register", tags=["register"], responses=problem_responses(*OVERLOAD_ERRORS)
)


class DeregistrationNoticeOut(BaseModel):
    id: str
    filed_at: datetime
    notice_ends_at: datetime
    url: str


class RegisterEntryOut(BaseModel):
    uscc: str
    version: int
    status: str
    status_changed_at: datetime | None
    issued_at: datetime
    company_name_zh: str
    # The licence's printed fields, as signed into its PDF (nothing the licence does not show).
    printed: dict[str, Any] | None
    deregistration_notice: DeregistrationNoticeOut | None
    status_url: str


class RegisterPageOut(BaseModel):
    query: str
    page: int
    size: int
    total: int
    entries: list[RegisterEntryOut]


def address_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def entry_out(entry: register.Entry) -> RegisterEntryOut:
    licence, notice = entry.licence, entry.deregistration
    return RegisterEntryOut(
        uscc=licence.uscc,
        version=licence.version,
        status=licence.status,
        status_changed_at=licence.status_changed_at,
        issued_at=licence.issued_at,
        company_name_zh=licence.company_name_zh,
        printed=entry.printed,
        deregistration_notice=None
        if notice is None
        else DeregistrationNoticeOut(
            id=notice.id,
            filed_at=notice.filed_at,
            notice_ends_at=notice.notice_ends_at,
            url=f"/deregistrations/{notice.id}",
        ),
        status_url=f"/verify/{licence.uscc}",
    )


@router.get(
    "",
    response_model=RegisterPageOut,
    responses=problem_responses(SearchQueryInvalid, PayloadInvalid, RateLimited),
)
def search_register(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    q: str,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    size: Annotated[int, Query(ge=1, le=register.PAGE_SIZE_MAX)] = 20,
) -> RegisterPageOut:
    """Public: companies whose name (Simplified, Traditional or English spelling, any case or
    punctuation) contains `q`, or whose USCC is `q`; the latest licence of each. Rate-limited
    per address."""
    rate_limits.spend(
        session,
        SecurityEventKind.REGISTER_SEARCH,
        address_of(request),
        settings.register_searches_per_minute,
    )
    entries, total = register.search(session, q, page, size)
    return RegisterPageOut(
        query=q, page=page, size=size, total=total, entries=[entry_out(x) for x in entries]
    )
