"""Officer accounts, API clients and bearer tokens."""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from registration.db import utcnow
from registration.domain import catalogue
from registration.domain.workflow import OFFICER_ROLES, Role
from registration.errors import (
    AccountDisabled,
    ClientExists,
    ClientSuspended,
    InvalidCredentials,
    InvalidRole,
    InvalidToken,
    NoCategory,
    OfficerExists,
    OfficerNotFound,
    TokenExpired,
    UnknownChannel,
    WeakPassword,
)
from registration.models import AccessToken, ApiClient, ConsoleSession, Officer
from registration.principal import Principal
from registration.services import ledger

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this keeps the response time of an unknown username equal to a wrong
    password. Made on first use, not at import: an Argon2 hash costs every process that imports
    this module (each API process, worker, `bizreg` command) a noticeable start-up delay."""
    return _hasher.hash("not-a-real-password")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_officer(
    session: Session,
    username: str,
    role: Role,
    password: str,
    categories: Iterable[str] = (),
    *,
    by: str,
) -> Officer:
    if role not in OFFICER_ROLES:
        raise InvalidRole(f"{role} is not an officer role")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    cats = sorted(set(categories))
    if role is Role.BACK_OFFICE and not cats:
        raise NoCategory("a back-office officer needs at least one category")
    if session.exec(select(Officer).where(Officer.username == username)).first():
        raise OfficerExists(f"officer {username!r} exists already")
    officer = Officer(
        username=username,
        password_hash=_hasher.hash(password),
        role=role.value,
        categories=cats,
        created_at=utcnow(),
    )
    session.add(officer)
    ledger.record_admin(
        session, "officer.create", f"officer:{username}", by, role=role.value, categories=cats
    )
    session.commit()
    return officer


def new_client(
    session: Session, client_id: str, channel: str, org: str, callback_url: str | None = None
) -> ApiClient:
    """A client row, checked (known channel, id free) and added to the session, not committed."""
    channels = catalogue.channels()
    if channel not in channels:
        raise UnknownChannel(f"unknown channel {channel!r}")
    if session.get(ApiClient, client_id) is not None:
        raise ClientExists(f"client {client_id!r} exists already")
    client = ApiClient(
        client_id=client_id,
        channel=channel,
        org=org,
        role=channels[channel].client_role,
        created_at=utcnow(),
        callback_url=callback_url,
    )
    session.add(client)
    return client


def add_client(session: Session, client_id: str, channel: str, org: str) -> tuple[ApiClient, str]:
    """Register a development integrator (no keys); returns it with a bearer token (shown once)."""
    client = new_client(session, client_id, channel, org)
    token = issue_client_token(session, client_id)
    session.commit()
    return client, token


def issue_client_token(session: Session, client_id: str) -> str:
    """A non-expiring bearer token for a development client (not committed here)."""
    return _new_token(session, "client", client_id, ttl=None)


def _new_token(session: Session, kind: str, subject: str, ttl: timedelta | None) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        AccessToken(
            token_hash=_token_hash(token),
            subject_kind=kind,
            subject_id=subject,
            created_at=now,
            expires_at=None if ttl is None else now + ttl,
        )
    )
    return token


def check_password(session: Session, username: str, password: str) -> Officer | None:
    """The active officer with this username and password, else None. An unknown username costs
    the same Argon2 verification as a wrong password, so timing does not tell them apart."""
    officer = session.exec(select(Officer).where(Officer.username == username)).first()
    try:
        _hasher.verify(officer.password_hash if officer else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if officer is None or not officer.active:
        return None
    return officer


def login_officer(session: Session, username: str, password: str, ttl: timedelta) -> str:
    officer = check_password(session, username, password)
    if officer is None:
        raise InvalidCredentials("wrong username or password")
    return issue_officer_token(session, officer, ttl)


def issue_officer_token(session: Session, officer: Officer, ttl: timedelta) -> str:
    token = _new_token(session, "officer", officer.username, ttl)
    session.commit()
    return token


def revoke_token(session: Session, token: str) -> bool:
    """Sign-out for a bearer token: it stops working at once. False if it was not known."""
    record = session.get(AccessToken, _token_hash(token))
    if record is None or record.revoked:
        return False
    record.revoked = True
    session.add(record)
    return True


def authenticate(session: Session, token: str) -> Principal:
    record = session.get(AccessToken, _token_hash(token))
    if record is None or record.revoked:
        raise InvalidToken("unknown or revoked token")
    if record.expires_at is not None and record.expires_at <= utcnow():
        raise TokenExpired("token expired")
    if record.subject_kind == "officer":
        officer = session.exec(select(Officer).where(Officer.username == record.subject_id)).first()
        if officer is None or not officer.active:
            raise AccountDisabled("account disabled")
        return Principal(
            kind="officer",
            subject=officer.username,
            role=Role(officer.role),
            categories=frozenset(officer.categories),
        )
    client = session.get(ApiClient, record.subject_id)
    if client is None or not client.active:
        raise ClientSuspended("client suspended")
    return Principal(
        kind="client", subject=client.client_id, role=Role(client.role), channel=client.channel
    )


def list_officers(session: Session) -> list[Officer]:
    return list(session.exec(select(Officer).order_by(col(Officer.username))))


def _officer(session: Session, username: str) -> Officer:
    officer = session.exec(select(Officer).where(Officer.username == username)).first()
    if officer is None:
        raise OfficerNotFound(f"no officer {username!r}")
    return officer


def _end_everything_of(session: Session, username: str, now: datetime) -> None:
    """Deactivation or a new password must not leave an old session or token working."""
    tokens = select(AccessToken).where(
        AccessToken.subject_kind == "officer", AccessToken.subject_id == username
    )
    for token in session.exec(tokens):
        token.revoked = True
        session.add(token)
    sessions = select(ConsoleSession).where(
        ConsoleSession.username == username, col(ConsoleSession.ended_at).is_(None)
    )
    for console in session.exec(sessions):
        console.ended_at = now
        session.add(console)


def set_active(session: Session, username: str, active: bool, *, by: str) -> Officer:
    officer = _officer(session, username)
    officer.active = active
    session.add(officer)
    action = "officer.activate" if active else "officer.deactivate"
    ledger.record_admin(session, action, f"officer:{username}", by)
    if not active:
        _end_everything_of(session, username, utcnow())
    session.commit()
    return officer


def reset_password(session: Session, username: str, password: str | None = None, *, by: str) -> str:
    """A new password (the one given, or a one-time random one, returned); every session and
    token of the officer ends."""
    new = password if password is not None else secrets.token_urlsafe(15)
    if len(new) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    officer = _officer(session, username)
    officer.password_hash = _hasher.hash(new)
    session.add(officer)
    ledger.record_admin(session, "officer.reset_password", f"officer:{username}", by)
    _end_everything_of(session, username, utcnow())
    session.commit()
    return new
