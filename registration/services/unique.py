"""Rows under a unique key: the database settles races, and a lost race is a 409, not a 500.

Two requests can pass the same "is it free?" check at once; only the unique index can tell
which one got there first. The loser's flush raises `IntegrityError`, which here becomes the
use case's own `Conflict`. The transaction is then unusable: the use case that owns it (or the
request's session, when the error reaches the edge) rolls it back.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from registration.errors import Conflict


def flush_or_conflict(session: Session, conflict: Conflict) -> None:
    """Flush pending rows; raise `conflict` if a unique key was taken meanwhile."""
    try:
        session.flush()
    except IntegrityError:
        raise conflict from None
