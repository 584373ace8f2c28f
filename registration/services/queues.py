"""The officers' work queues: what the front desk accepts and each back office approves, oldest
submission first (first come, first served, as at a counter)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, true
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from registration.domain.workflow import Role, Status
from registration.errors import RoleNotPermitted
from registration.models import Application, ApplicationEvent, Licence
from registration.principal import Principal


def front_desk_queue(
    session: Session, principal: Principal, limit: int, offset: int
) -> list[Application]:
    if principal.role is not Role.FRONT_DESK:
        raise RoleNotPermitted("the front-desk queue is for front-desk officers")
    statement = (
        select(Application)
        .where(Application.status == Status.SUBMITTED.value)
        .order_by(col(Application.submitted_at), col(Application.id))
        .limit(limit)
        .offset(offset)
    )
    return list(session.exec(statement))


def back_office_queue(
    session: Session, principal: Principal, limit: int, offset: int
) -> list[Application]:
    if principal.role is not Role.BACK_OFFICE:
        raise RoleNotPermitted("the back-office queue is for back-office officers")
    statement = (
        select(Application)
        .where(
            Application.status == Status.ACCEPTED.value,
            col(Application.category).in_(sorted(principal.categories)),
        )
        .order_by(col(Application.submitted_at), col(Application.id))
        .limit(limit)
        .offset(offset)
    )
    return list(session.exec(statement))


def _filtered(statement: Any, channel: str | None, name_contains: str | None) -> Any:
    if channel:
        statement = statement.where(Application.channel == channel)
    if name_contains:
        escaped = name_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(
            col(Application.company_name_zh).like(f"%{escaped}%", escape="\\")
        )
    return statement


def _queue_condition(principal: Principal) -> Any:
    """Which applications are this officer's work: the same rule as the API's queues."""
    if principal.role is Role.FRONT_DESK:
        return Application.status == Status.SUBMITTED.value
    if principal.role is Role.BACK_OFFICE:
        return and_(
            col(Application.status) == Status.ACCEPTED.value,
            col(Application.category).in_(sorted(principal.categories)),
        )
    raise RoleNotPermitted(f"role {principal.role} has no application queue")


def work_queue(
    session: Session,
    principal: Principal,
    limit: int,
    offset: int,
    channel: str | None = None,
    name_contains: str | None = None,
) -> tuple[list[Application], int]:
    """The officer's queue, filtered, one page of it and the filtered total."""
    condition = _queue_condition(principal)
    rows = _filtered(select(Application).where(condition), channel, name_contains)
    rows = rows.order_by(col(Application.submitted_at), col(Application.id))
    total = _filtered(
        select(func.count()).select_from(Application).where(condition), channel, name_contains
    )
    return list(session.exec(rows.limit(limit).offset(offset))), int(session.exec(total).one())


def queue_size(session: Session, principal: Principal) -> int:
    """The number shown beside the queue in the console's navigation."""
    try:
        condition = _queue_condition(principal)
    except RoleNotPermitted:
        return 0
    return int(session.exec(select(func.count()).select_from(Application).where(condition)).one())


def licences(
    session: Session, query: str | None, limit: int, offset: int
) -> tuple[list[Licence], int]:
    """Issued licences, newest first, searched by USCC (exact) or name (contained)."""
    condition: Any = true()
    if query:
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        condition = or_(
            col(Licence.uscc) == query.upper(),
            col(Licence.company_name_zh).like(f"%{escaped}%", escape="\\"),
        )
    rows = (
        select(Licence)
        .where(condition)
        .order_by(col(Licence.issued_at).desc(), col(Licence.id))
        .options(defer(Licence.pdf))  # type: ignore[arg-type]
        .limit(limit)
        .offset(offset)
    )
    total = select(func.count()).select_from(Licence).where(condition)
    return list(session.exec(rows)), int(session.exec(total).one())


def recent_events(
    session: Session, limit: int, offset: int, action: str | None = None
) -> tuple[list[tuple[ApplicationEvent, str]], int]:
    """The auditor's view: every application's steps, newest first, with the company name."""
    condition: Any = true() if not action else col(ApplicationEvent.action) == action
    rows = (
        select(ApplicationEvent, Application.company_name_zh)
        .join(Application, col(Application.id) == col(ApplicationEvent.application_id))
        .where(condition)
        .order_by(col(ApplicationEvent.at).desc(), col(ApplicationEvent.id).desc())
        .limit(limit)
        .offset(offset)
    )
    total = select(func.count()).select_from(ApplicationEvent).where(condition)
    found = [(event, name) for event, name in session.exec(rows)]
    return found, int(session.exec(total).one())
