"""The officers' work queues: what the front desk accepts and each back office approves, oldest
submission first (first come, first served, as at a counter)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from registration.domain.workflow import Role, Status
from registration.errors import RoleNotPermitted
from registration.models import Application
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
