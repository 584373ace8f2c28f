"""/api/v1/statistics: the service figures against the seed's targets (registrar, auditor)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from registration.api.deps import AUTHENTICATION_ERRORS, PrincipalDep, SessionDep
from registration.api.overload import OVERLOAD_ERRORS
from registration.api.problems import problem_responses
from registration.db import utcnow
from registration.errors import PayloadInvalid, RoleNotPermitted
from registration.services import statistics

router = APIRouter(
    prefix="/api/v1/statistics",
    tags=["statistics"],
    responses=problem_responses(*AUTHENTICATION_ERRORS, *OVERLOAD_ERRORS),
)


def period(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """Default: the last 30 days. Naive times are UTC."""
    end = (end or utcnow()).replace(tzinfo=end.tzinfo if end and end.tzinfo else UTC)
    start = start or end - timedelta(days=30)
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    if start >= end:
        raise PayloadInvalid("`from` must be before `to`")
    return start, end


@router.get("", responses=problem_responses(RoleNotPermitted, PayloadInvalid))
def get_statistics(
    session: SessionDep,
    principal: PrincipalDep,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    channel: Annotated[str | None, Query(pattern=r"^[a-z_]{1,20}$")] = None,
    format: Annotated[str, Query(pattern=r"^(json|csv)$")] = "json",
) -> Any:
    """Per channel and overall, for applications first submitted in [from, to): share decided
    instantly (马上办), approved with no return (一次办), without a visit (网上办), each with
    its target; median and p95 submission → licence; returns by reason; open queues per
    category. `format=csv` for a spreadsheet."""
    statistics.require_reader(principal)
    start, end = period(start, end)
    report = statistics.compute(session, start, end, channel, utcnow())
    if format == "csv":
        return Response(
            statistics.report_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="statistics.csv"'},
        )
    return statistics.report_json(report)
