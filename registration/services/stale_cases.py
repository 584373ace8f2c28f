"""Stale cases closed: drafts and returned applications nobody finishes stop holding their
company names.

Once a minute (the webhook worker's housekeeping, any number of processes): an application in
`draft` untouched for `BIZREG_STALE_DRAFT_DAYS`, or `returned` untouched for
`BIZREG_STALE_RETURNED_DAYS`, is withdrawn by `system` through the workflow's own step — an
event with the reason, the notice and the e-mail of the change, the name hold released — and
`BIZREG_STALE_WARNING_DAYS` before that the investor is warned by e-mail once per revision (the
outbox's unique key). Safe with several workers: each withdrawal is the workflow's conditional
UPDATE on the revision, so of two workers racing for one case exactly one records the step.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Engine, exists
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from registration.clock import CHINA_TIME
from registration.domain.workflow import Action, Status
from registration.errors import ConcurrentModification
from registration.models import Application, MailOutbox
from registration.services import applications, mail, names
from registration.settings import Settings

log = logging.getLogger("bizreg.stale")

_BATCH: Final = 100
REASONS: Final = {
    Status.DRAFT: (
        "stale_draft",
        "草稿长期未提交，系统已自动撤回并释放企业名称。 The draft was never submitted: withdrawn "
        "by the system, the company name released.",
    ),
    Status.RETURNED: (
        "stale_returned",
        "退回补正后长期未重新提交，系统已自动撤回并释放企业名称。 The returned application was "
        "not resubmitted: withdrawn by the system, the company name released.",
    ),
}


@dataclass(frozen=True)
class SweepResult:
    warned: int
    withdrawn: int


def _limit(settings: Settings, status: Status) -> timedelta:
    days = settings.stale_draft_days if status is Status.DRAFT else settings.stale_returned_days
    return timedelta(days=days)


def sweep(engine: Engine, settings: Settings, now: datetime) -> SweepResult:
    warned = withdrawn = 0
    for status in (Status.DRAFT, Status.RETURNED):
        withdrawn += _withdraw_stale(engine, status, now - _limit(settings, status))
        if settings.stale_warning_days > 0:
            warn_before = (
                now - _limit(settings, status) + timedelta(days=settings.stale_warning_days)
            )
            warned += _warn(engine, settings, status, warn_before, now)
    return SweepResult(warned, withdrawn)


def _withdraw_stale(engine: Engine, status: Status, untouched_since: datetime) -> int:
    with Session(engine) as session:
        ids = session.exec(
            select(Application.id)
            .where(
                Application.status == status.value, col(Application.updated_at) < untouched_since
            )
            .order_by(col(Application.updated_at))
            .limit(_BATCH)
        ).all()
    withdrawn = 0
    code, message = REASONS[status]
    for application_id in ids:
        with Session(engine) as session:
            application = session.get(Application, application_id)
            if (
                application is None
                or application.status != status.value
                or application.updated_at >= untouched_since
            ):
                continue  # someone moved it meanwhile
            try:
                applications.record_system_step(
                    session,
                    application,
                    Action.WITHDRAW,
                    Status.WITHDRAWN,
                    reasons=[{"field": "application", "code": code, "message": message}],
                )
                names.release_for_application(session, application.id)
                session.commit()
                withdrawn += 1
            except (ConcurrentModification, IntegrityError):
                session.rollback()  # another worker withdrew it (or the applicant acted) first
    return withdrawn


def _warn(
    engine: Engine, settings: Settings, status: Status, untouched_since: datetime, now: datetime
) -> int:
    already = exists().where(
        col(MailOutbox.application_id) == col(Application.id),
        col(MailOutbox.kind) == mail.STALE_WARNING,
        col(MailOutbox.seq) == col(Application.revision),
    )
    with Session(engine) as session:
        rows = session.exec(
            select(Application)
            .where(
                Application.status == status.value,
                col(Application.updated_at) < untouched_since,
                ~already,
            )
            .limit(_BATCH)
        ).all()
        pending = [(row.id, row.updated_at) for row in rows]
    warned = 0
    for application_id, updated_at in pending:
        deadline = (updated_at + _limit(settings, status)).astimezone(CHINA_TIME).date()
        idle_days = max(0, (now - updated_at).days)
        with Session(engine) as session:
            application = session.get(Application, application_id)
            if application is None or application.status != status.value:
                continue
            try:
                if mail.queue_stale_warning(
                    session, application, idle_days, deadline.isoformat(), now
                ):
                    session.commit()
                    warned += 1
            except IntegrityError:
                session.rollback()  # another worker queued this revision's warning first
    return warned
