"""Simplified deregistration (简易注销): filing, the public notice, objections, the end.

Each function is one use case in one transaction. Public events go to the change feed; the
licence leaves `active` only through the licence lifecycle table (`licences.deregister`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from registration.domain.deregistration import (
    FEED_DEREGISTRATION_COMPLETED,
    FEED_DEREGISTRATION_OBJECTED,
    FEED_DEREGISTRATION_OPENED,
    FEED_DEREGISTRATION_REFUSED,
    FEED_DEREGISTRATION_WITHDRAWN,
    FEED_OBJECTION_WITHDRAWN,
    Decision,
    DeregistrationStatus,
    ObjectionStatus,
    closing_status,
)
from registration.domain.licence_lifecycle import LicenceStatus
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
    RoleNotPermitted,
)
from registration.models import Application, CompanyName, Deregistration, Licence, Objection
from registration.principal import SYSTEM, Principal
from registration.services import feed, licences, names
from registration.settings import Settings

NOTICE = DeregistrationStatus.NOTICE


def _facts(row: Deregistration, **more: object) -> dict[str, object]:
    return {
        "deregistration_id": row.id,
        "uscc": row.uscc,
        "company_name_zh": row.company_name_zh,
        "notice_ends_at": row.notice_ends_at.isoformat(),
        **more,
    }


def file(
    session: Session,
    principal: Principal,
    uscc: str,
    *,
    now: datetime,
    notice_days: float,
    attested_person: str | None = None,
    entitled: bool = False,
) -> Deregistration:
    """Open the public notice period of a company's deregistration. `entitled`: the caller has
    already proved it acts for the company (an attested legal representative); otherwise only
    the client that registered the company may."""
    try:
        current = licences.current_licence(session, uscc)
    except LicenceNotFound:
        raise LicenceNotFound(f"no licence {uscc} of yours to deregister") from None
    if not entitled and not (principal.is_client and current.client_id == principal.subject):
        raise LicenceNotFound(f"no licence {uscc} of yours to deregister")
    # Lock the licence in force: a concurrent filing or amendment queues here.
    current = session.exec(select(Licence).where(Licence.id == current.id).with_for_update()).one()
    if current.status is not LicenceStatus.ACTIVE:
        raise LicenceNotActive(
            f"licence {uscc} is {current.status}: only a company in force can deregister",
            extra={"current_status": current.status},
        )
    pending = open_for(session, current.uscc)
    if pending is not None:
        raise DeregistrationPending(
            f"deregistration {pending.id} of {uscc} is in its notice period",
            extra={"deregistration_id": pending.id},
        )
    amendment = session.exec(
        select(Application.id).where(
            Application.amends_uscc == current.uscc,
            col(Application.status).in_(licences.OPEN_STATUSES),
        )
    ).first()
    if amendment is not None:
        raise AmendmentInProgress(
            f"amendment {amendment} of {uscc} is still open; withdraw it first",
            extra={"application_id": amendment},
        )
    row = Deregistration(
        id=str(uuid.uuid4()),
        uscc=current.uscc,
        licence_version=current.version,
        company_name_zh=current.company_name_zh,
        status=NOTICE,
        client_id=principal.subject,
        attested_person=attested_person,
        filed_at=now,
        notice_ends_at=now + timedelta(days=notice_days),
    )
    session.add(row)
    session.flush()
    feed.publish(session, FEED_DEREGISTRATION_OPENED, row.uscc, _facts(row), now)
    session.commit()
    return row


def open_for(session: Session, uscc: str) -> Deregistration | None:
    return session.exec(
        select(Deregistration).where(Deregistration.uscc == uscc, Deregistration.status == NOTICE)
    ).first()


def get(session: Session, deregistration_id: str) -> Deregistration:
    row = session.get(Deregistration, deregistration_id)
    if row is None:
        raise DeregistrationNotFound(f"no deregistration {deregistration_id[:40]}")
    return row


def objections(session: Session, deregistration_id: str) -> list[Objection]:
    return list(
        session.exec(
            select(Objection)
            .where(Objection.deregistration_id == deregistration_id)
            .order_by(col(Objection.lodged_at))
        )
    )


def _pending_objections(session: Session, deregistration_id: str) -> int:
    return sum(
        1 for x in objections(session, deregistration_id) if x.status is ObjectionStatus.PENDING
    )


def _open_locked(session: Session, deregistration_id: str, now: datetime) -> Deregistration:
    row = session.exec(
        select(Deregistration).where(Deregistration.id == deregistration_id).with_for_update()
    ).first()
    if row is None:
        raise DeregistrationNotFound(f"no deregistration {deregistration_id[:40]}")
    if row.status is not NOTICE or now >= row.notice_ends_at:
        raise DeregistrationClosed(
            f"deregistration {row.id} is no longer in its notice period",
            extra={
                "deregistration_status": row.status,
                "notice_ends_at": row.notice_ends_at.isoformat(),
            },
        )
    return row


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lodge_objection(
    session: Session,
    deregistration_id: str,
    contact: str,
    reason: str,
    address: str,
    now: datetime,
) -> tuple[Objection, str]:
    """Anyone may object during the notice period; returns the objection and the secret its
    author needs to withdraw it (only its hash is stored)."""
    row = _open_locked(session, deregistration_id, now)
    token = secrets.token_urlsafe(24)
    objection = Objection(
        id=str(uuid.uuid4()),
        deregistration_id=row.id,
        status=ObjectionStatus.PENDING,
        contact=contact,
        reason=reason,
        withdraw_token_sha256=_token_hash(token),
        address=address[:64],
        lodged_at=now,
    )
    session.add(objection)
    session.flush()
    pending = _pending_objections(session, row.id)
    feed.publish(
        session,
        FEED_DEREGISTRATION_OBJECTED,
        row.uscc,
        _facts(row, pending_objections=pending),
        now,
    )
    session.commit()
    return objection, token


def withdraw_objection(
    session: Session, deregistration_id: str, objection_id: str, token: str, now: datetime
) -> Objection:
    row = _open_locked(session, deregistration_id, now)
    objection = session.get(Objection, objection_id)
    # One answer for a wrong id and a wrong token: the token is the only proof of authorship.
    if (
        objection is None
        or objection.deregistration_id != row.id
        or not hmac.compare_digest(objection.withdraw_token_sha256, _token_hash(token))
    ):
        raise ObjectionNotFound("no such objection with this token")
    if objection.status is not ObjectionStatus.PENDING:
        raise DeregistrationClosed(f"objection {objection.id} is {objection.status}")
    objection.status, objection.withdrawn_at = ObjectionStatus.WITHDRAWN, now
    session.add(objection)
    session.flush()
    pending = _pending_objections(session, row.id)
    feed.publish(
        session, FEED_OBJECTION_WITHDRAWN, row.uscc, _facts(row, pending_objections=pending), now
    )
    session.commit()
    return objection


def withdraw(
    session: Session,
    principal: Principal,
    deregistration_id: str,
    now: datetime,
    *,
    entitled: bool = False,
) -> Deregistration:
    """The company withdraws its deregistration before the notice period ends."""
    row = _open_locked(session, deregistration_id, now)
    current = licences.current_licence(session, row.uscc)
    filer = principal.is_client and row.client_id == principal.subject
    if not (entitled or filer) and not (
        principal.is_client and current.client_id == principal.subject
    ):
        raise DeregistrationNotFound(f"no deregistration {deregistration_id[:40]} of yours")
    _close(session, row, DeregistrationStatus.WITHDRAWN, principal, "withdrawn by the company", now)
    feed.publish(session, FEED_DEREGISTRATION_WITHDRAWN, row.uscc, _facts(row), now)
    session.commit()
    return row


def _close(
    session: Session,
    row: Deregistration,
    status: DeregistrationStatus,
    principal: Principal,
    reason: str,
    now: datetime,
) -> None:
    row.status, row.closed_at, row.closed_by = status, now, principal.subject
    row.decision_reason = reason[:500]
    session.add(row)
    for objection in objections(session, row.id):
        if objection.status is ObjectionStatus.PENDING:
            objection.status = ObjectionStatus.CLOSED
            session.add(objection)


def _complete(
    session: Session,
    row: Deregistration,
    principal: Principal,
    reason: str,
    now: datetime,
    release_days: float,
) -> None:
    _close(session, row, DeregistrationStatus.COMPLETED, principal, reason, now)
    row.name_release_at = now + timedelta(days=release_days)
    licence = licences.deregister(session, principal, row.uscc, reason, now)
    # Hook for sealed notices (issue 12): once notices exist, issue the sealed deregistration
    # notice here, in this transaction, so that it exists exactly when the deregistration does.
    feed.publish(
        session,
        FEED_DEREGISTRATION_COMPLETED,
        row.uscc,
        _facts(row, version=licence.version, deregistered_at=now.isoformat()),
        now,
    )


def complete_due(session: Session, now: datetime, release_days: float) -> int:
    """The end of notice periods: complete every deregistration whose period is over and that
    has no pending objection (those wait for the registrar). Returns how many completed."""
    due = list(
        session.exec(
            select(Deregistration.id).where(
                Deregistration.status == NOTICE, col(Deregistration.notice_ends_at) <= now
            )
        )
    )
    done = 0
    for deregistration_id in due:
        row = session.exec(
            select(Deregistration).where(Deregistration.id == deregistration_id).with_for_update()
        ).one()
        if row.status is not NOTICE or _pending_objections(session, row.id):
            session.rollback()
            continue
        try:
            _complete(
                session, row, SYSTEM, "notice period ended without objection", now, release_days
            )
        except LicenceNotActive:
            # Revoked meanwhile: there is nothing left to deregister; the registrar decides.
            session.rollback()
            continue
        session.commit()
        done += 1
    return done


def decide(
    session: Session,
    principal: Principal,
    deregistration_id: str,
    decision: Decision,
    reason: str,
    now: datetime,
    release_days: float,
) -> Deregistration:
    """The registrar decides a deregistration whose notice period is over (one with pending
    objections, which the system does not complete on its own)."""
    if principal.role is not Role.REGISTRAR_ADMIN:
        raise RoleNotPermitted("only the registrar decides deregistrations")
    row = session.exec(
        select(Deregistration).where(Deregistration.id == deregistration_id).with_for_update()
    ).first()
    if row is None:
        raise DeregistrationNotFound(f"no deregistration {deregistration_id[:40]}")
    if row.status is not NOTICE:
        raise DeregistrationClosed(f"deregistration {row.id} is already {row.status}")
    if now < row.notice_ends_at:
        raise NoticePeriodRunning(
            f"the notice period runs until {row.notice_ends_at.isoformat()}",
            extra={"notice_ends_at": row.notice_ends_at.isoformat()},
        )
    if decision is Decision.COMPLETE:
        _complete(session, row, principal, reason, now, release_days)
    else:
        _close(session, row, closing_status(decision), principal, reason, now)
        feed.publish(
            session, FEED_DEREGISTRATION_REFUSED, row.uscc, _facts(row, reason=reason), now
        )
    session.commit()
    return row


def release_names_due(session: Session, now: datetime) -> int:
    """Free the names of companies deregistered long enough ago."""
    due = list(
        session.exec(
            select(Deregistration).where(
                Deregistration.status == DeregistrationStatus.COMPLETED,
                col(Deregistration.name_release_at) <= now,
            )
        )
    )
    for row in due:
        session.execute(
            delete(CompanyName).where(
                col(CompanyName.application_id).in_(
                    names.applications_of_licence(session, row.uscc)
                ),
                col(CompanyName.kind) == names.REGISTERED,
            )
        )
        row.name_release_at = None
        session.add(row)
    session.commit()
    return len(due)


def sweep(engine: Engine, settings: Settings, now: datetime) -> tuple[int, int]:
    """The housekeeping pass of the worker: notice periods ended, names due for release."""
    with Session(engine, expire_on_commit=False) as session:
        completed = complete_due(session, now, settings.deregistered_name_release_days)
        released = release_names_due(session, now)
    return completed, released
