"""Rate limits of the public endpoints, counted in the database (so every API process shares
them): per address, in the security events' per-minute buckets, over a sliding window of whole
minutes."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from registration.db import utcnow
from registration.domain.security_events import SecurityEventKind
from registration.errors import RateLimited
from registration.services import security_events

WINDOW = timedelta(minutes=1)


def spend(session: Session, kind: SecurityEventKind, address: str, per_minute: int) -> None:
    """Count one request from `address`, committed at once (a refused one counts too, so a
    flood stays refused); raise 429 beyond `per_minute` in the current minute."""
    now = utcnow()
    security_events.record(session, kind, kind.value, address, now=now)
    session.commit()
    used = security_events.count_since(session, kind, now, subject=kind.value, address=address)
    if used > per_minute:
        raise RateLimited(
            f"at most {per_minute} requests a minute from one address",
            retry_after=60 - now.second,
        )
