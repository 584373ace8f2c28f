"""The public change feed: every public licence event, in order, each with a stable cursor.

`publish` appends an event inside the caller's transaction. Positions must become visible in
increasing order, or a reader that has seen position 7 could later miss a position 6 committed
after it (a sequence hands out numbers at insert, not at commit). So `publish` first takes a
transaction-scoped advisory lock on PostgreSQL: the next publisher waits until this transaction
has committed or rolled back before it even draws a number. On SQLite a writing transaction
already holds the database's only write lock. Rolled-back positions leave harmless gaps.

Retention is logical: a cursor is expired when the first event after it is older than the
retention, and the answer names the oldest cursor still served. Nothing lives in a process's
memory, so any number of API processes serve the same feed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from registration.db import utcnow
from registration.errors import CursorExpired, CursorUnknown
from registration.models import FeedEvent

# Any constant: the advisory lock the feed's publishers queue on (PostgreSQL).
_FEED_LOCK = 13_0013


def publish(
    session: Session, kind: str, uscc: str, data: dict[str, Any], at: datetime | None = None
) -> None:
    """Append a public event to the feed, in the caller's transaction (not committed). Call it
    last before committing: it holds the feed's lock until the transaction ends. The lock is
    taken once a transaction and, on PostgreSQL, the events are inserted as it commits: a
    batch of licences publishes in one statement more, not two per licence."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        transaction = session.get_transaction() or session.begin()
        if session.info.get(_LOCKED_BY) is not transaction:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FEED_LOCK})
            session.info[_LOCKED_BY] = transaction
    moment = at or utcnow()
    session.add(
        FeedEvent(
            kind=kind,
            uscc=uscc,
            at=moment,
            data=json.dumps(data, ensure_ascii=False, sort_keys=True, default=str),
        )
    )
    if not postgres:
        session.flush()  # SQLite's write lock, taken now: what the advisory lock is elsewhere


# The transaction that holds the feed's lock (an advisory lock ends with its transaction).
_LOCKED_BY = "bizreg.feed_locked_by"


@dataclass(frozen=True)
class Event:
    cursor: str
    kind: str
    uscc: str
    at: datetime
    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "cursor": self.cursor,
            "kind": self.kind,
            "uscc": self.uscc,
            "at": self.at.isoformat(),
            "data": self.data,
        }


def parse_cursor(cursor: str | None) -> int:
    """A cursor is the decimal position of the last event seen; none or "0": the beginning."""
    if cursor is None or cursor == "0":
        return 0
    if not cursor.isascii() or not cursor.isdigit() or len(cursor) > 18:
        raise CursorUnknown(f"{cursor[:40]!r} is not a cursor this feed issues")
    return int(cursor)


def read_after(
    session: Session, cursor: str | None, limit: int, retention: timedelta
) -> list[Event]:
    """Up to `limit` events after `cursor`, oldest first. 400 for a cursor never issued, 410
    for one whose next event is older than the retention."""
    after = parse_cursor(cursor)
    horizon = utcnow() - retention
    if after == 0:
        after = int(oldest_cursor(session, horizon))
    elif after > 0:
        newest = session.exec(select(func.max(FeedEvent.position))).one()
        if newest is None or after > newest:
            raise CursorUnknown(f"cursor {after} was never issued by this feed")
    rows = list(
        session.exec(
            select(FeedEvent)
            .where(col(FeedEvent.position) > after)
            .order_by(col(FeedEvent.position))
            .limit(limit)
        )
    )
    if rows and rows[0].at < horizon:
        oldest = oldest_cursor(session, horizon)
        raise CursorExpired(
            f"the events after cursor {after} are older than the feed keeps "
            f"({retention.days} days); resume from cursor {oldest}",
            extra={"oldest_cursor": oldest},
        )
    return [Event(str(x.position), x.kind, x.uscc, x.at, json.loads(x.data)) for x in rows]


def oldest_cursor(session: Session, horizon: datetime) -> str:
    """The cursor from which every event still kept is served (the position before the first
    event within the retention)."""
    first = session.exec(
        select(func.min(FeedEvent.position)).where(col(FeedEvent.at) >= horizon)
    ).one()
    if first is None:
        newest = session.exec(select(func.max(FeedEvent.position))).one()
        return str(newest or 0)
    return str(first - 1)
