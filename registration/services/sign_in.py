"""Officer sign-in with password-guessing protection, for the API's token and the console alike.

Every attempt is answered the same way whether or not the username exists (same checks, same
Argon2 work, same throttle counted on the name as typed), and every outcome is a security event.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlmodel import Session

from registration.db import utcnow
from registration.domain.security_events import SecurityEventKind
from registration.domain.sign_in_policy import DEFAULT_POLICY, SignInPolicy
from registration.errors import InvalidCredentials, SignInLocked, SignInThrottled
from registration.models import Officer
from registration.services import accounts, security_events

Kind = SecurityEventKind


def sign_in(
    session: Session,
    username: str,
    password: str,
    address: str,
    now: datetime | None = None,
    policy: SignInPolicy = DEFAULT_POLICY,
) -> Officer:
    """The officer, or a refusal: throttled/locked (429 with Retry-After) before the password is
    even checked, so waiting out a delay is the only way to try again."""
    at = now or utcnow()
    _refuse_if_throttled(session, username, address, at, policy)
    officer = accounts.check_password(session, username, password)
    if officer is None:
        security_events.record(session, Kind.SIGN_IN_FAILED, username, address, now=at)
        failures = _failures(session, username, None, at, policy)
        if failures == policy.lockout_after:
            security_events.record(session, Kind.LOCKED_OUT, username, address, now=at)
        # Commit before refusing: the failure must count even though the request fails.
        session.commit()
        raise InvalidCredentials("wrong username or password")
    security_events.record(session, Kind.SIGN_IN, username, address, now=at)
    return officer


def _failures(
    session: Session, username: str | None, address: str | None, at: datetime, policy: SignInPolicy
) -> int:
    return security_events.count_since(
        session, Kind.SIGN_IN_FAILED, at - policy.window, subject=username, address=address
    )


def _refuse_if_throttled(
    session: Session, username: str, address: str, at: datetime, policy: SignInPolicy
) -> None:
    since = at - policy.window
    checks = (
        (_failures(session, username, None, at, policy), policy.wait_for_username, username, None),
        (_failures(session, None, address, at, policy), policy.wait_for_address, None, address),
    )
    for failures, wait_for, subject, addr in checks:
        wait, locked = wait_for(failures)
        if wait <= timedelta(0):
            continue
        latest = security_events.latest_since(
            session, Kind.SIGN_IN_FAILED, since, subject=subject, address=addr
        )
        if latest is None or latest + wait <= at:
            continue
        retry_after = max(1, math.ceil((latest + wait - at).total_seconds()))
        if locked:
            raise SignInLocked(
                f"too many wrong passwords: sign-in is locked for {retry_after} s",
                retry_after=retry_after,
            )
        raise SignInThrottled(
            f"wrong password several times: wait {retry_after} s before trying again",
            retry_after=retry_after,
        )
