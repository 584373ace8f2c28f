"""Officers take an application before acting on it, so two never work on one at once.

A claim lasts a set time; its holder may renew or release it, a registrar may release anyone's.
The workflow's revision check stays the last word: a claim only spares an officer wasted work.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from registration.domain.workflow import Role
from registration.errors import ApplicationClaimed, RoleNotPermitted
from registration.models import ApplicationClaim
from registration.principal import Principal


def holder(session: Session, application_id: str, now: datetime) -> ApplicationClaim | None:
    claim = session.get(ApplicationClaim, application_id)
    if claim is None or claim.expires_at <= now:
        return None
    return claim


def holders(session: Session, application_ids: list[str], now: datetime) -> dict[str, str]:
    """application id → username, for the live claims among these applications."""
    if not application_ids:
        return {}
    statement = select(ApplicationClaim).where(
        col(ApplicationClaim.application_id).in_(application_ids),
        col(ApplicationClaim.expires_at) > now,
    )
    return {c.application_id: c.username for c in session.exec(statement)}


def claim(
    session: Session, principal: Principal, application_id: str, now: datetime, ttl: timedelta
) -> ApplicationClaim:
    """Take (or renew) the application; ApplicationClaimed while someone else holds it. The row
    is locked so that of two officers claiming at once exactly one wins."""
    statement = (
        select(ApplicationClaim)
        .where(ApplicationClaim.application_id == application_id)
        .with_for_update()
    )
    current = session.exec(statement).first()
    if current is not None and current.expires_at > now and current.username != principal.subject:
        raise ApplicationClaimed(
            f"{current.username} holds this application until {current.expires_at:%H:%M} UTC",
            extra={"held_by": current.username, "until": current.expires_at.isoformat()},
        )
    if current is None:
        current = ApplicationClaim(
            application_id=application_id,
            username=principal.subject,
            claimed_at=now,
            expires_at=now + ttl,
        )
    else:
        current.username = principal.subject
        current.claimed_at = now
        current.expires_at = now + ttl
    session.add(current)
    session.commit()
    return current


def require_free_or_mine(
    session: Session, principal: Principal, application_id: str, now: datetime
) -> None:
    current = holder(session, application_id, now)
    if current is not None and current.username != principal.subject:
        raise ApplicationClaimed(
            f"{current.username} holds this application",
            extra={"held_by": current.username},
        )


def release(session: Session, principal: Principal, application_id: str, now: datetime) -> None:
    current = holder(session, application_id, now)
    if current is None:
        return
    if current.username != principal.subject and principal.role is not Role.REGISTRAR_ADMIN:
        raise RoleNotPermitted("only the holder or a registrar may release a claim")
    session.delete(current)
    session.commit()


def finish(session: Session, application_id: str) -> None:
    """The holder acted: the application moves to the next desk, free for whoever works there."""
    current = session.get(ApplicationClaim, application_id)
    if current is not None:
        session.delete(current)
        session.commit()
