"""Server-side console sessions: created at sign-in, ended at sign-out or after idling.

The cookie holds a random token; the table keeps its SHA-256, the officer, the form token
(CSRF) and when it was last used. Ending a session is a row update, so a copied cookie dies with
it on every API process at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from registration.domain.security_events import SecurityEventKind
from registration.domain.workflow import Role
from registration.errors import AccountDisabled, CsrfRejected, SessionExpired
from registration.models import ConsoleSession, Officer
from registration.principal import Principal
from registration.services import security_events


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, officer: Officer, address: str, now: datetime) -> str:
    """A new session for a signed-in officer; returns the cookie's token (shown only here)."""
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=_hash(token),
            username=officer.username,
            csrf_token=secrets.token_urlsafe(32),
            address=address[:64],
            created_at=now,
            last_seen_at=now,
        )
    )
    session.commit()
    return token


def resume(
    session: Session, token: str, now: datetime, idle: timedelta, lifetime: timedelta
) -> tuple[Principal, ConsoleSession]:
    """The officer behind a cookie, refreshing its idle clock; SessionExpired when signed out,
    idle too long, past its lifetime, or unknown."""
    record = session.get(ConsoleSession, _hash(token)) if token else None
    if record is None or record.ended_at is not None:
        raise SessionExpired("not signed in")
    if now - record.last_seen_at > idle or now - record.created_at > lifetime:
        record.ended_at = now
        session.add(record)
        session.commit()
        raise SessionExpired("the session ended after a period without activity")
    officer = session.exec(select(Officer).where(Officer.username == record.username)).first()
    if officer is None or not officer.active:
        raise AccountDisabled("account disabled")
    record.last_seen_at = now
    session.add(record)
    session.commit()
    principal = Principal(
        kind="officer",
        subject=officer.username,
        role=Role(officer.role),
        categories=frozenset(officer.categories),
    )
    return principal, record


def check_csrf(record: ConsoleSession, submitted: str | None) -> None:
    if not submitted or not hmac.compare_digest(record.csrf_token, submitted):
        raise CsrfRejected("the form's anti-forgery token is missing or wrong")


def end(session: Session, token: str, address: str, now: datetime) -> None:
    """Sign-out: the session can never be resumed, whoever holds a copy of the cookie."""
    record = session.get(ConsoleSession, _hash(token)) if token else None
    if record is None or record.ended_at is not None:
        return
    record.ended_at = now
    session.add(record)
    security_events.record(session, SecurityEventKind.SIGN_OUT, record.username, address, now=now)
    session.commit()
