"""Recording security events, aggregated per (kind, subject, address, minute).

`record` adds to the caller's transaction (a new bucket also gets its leaf in the transparency
log) and does not commit: a use case that goes on to refuse the request must commit before
raising, or the record is rolled back with everything else.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from registration.db import utcnow
from registration.domain.security_events import SecurityEventKind
from registration.models.security_events import SecurityEvent
from registration.services import ledger


def record(
    session: Session,
    kind: SecurityEventKind,
    subject: str,
    address: str | None = None,
    detail: str | None = None,
    now: datetime | None = None,
) -> None:
    """Count one event in its minute bucket: one atomic upsert, so concurrent requests from
    several processes neither lose a count nor collide on the bucket's unique key."""
    at = now or utcnow()
    values = {
        "kind": kind.value,
        "subject": subject[:200],
        "address": (address or "")[:64],
        "minute": at.replace(second=0, microsecond=0),
        "count": 1,
        "first_at": at,
        "last_at": at,
        "detail": None if detail is None else detail[:500],
    }
    table = SecurityEvent.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    statement = insert.values(**values).on_conflict_do_update(
        index_elements=["kind", "subject", "address", "minute"],
        set_={
            "count": table.c.count + 1,
            "last_at": insert.excluded.last_at,
            "detail": insert.excluded.detail,
        },
    )
    bucket_id, count = session.execute(statement.returning(table.c.id, table.c.count)).one()
    if count == 1:  # a new bucket: logged (its count is not, see services/ledger.py)
        logged = {**values, "id": bucket_id}
        ledger.queue(session, lambda: ledger.security_event_record(logged))


def count_since(
    session: Session,
    kind: SecurityEventKind,
    since: datetime,
    subject: str | None = None,
    address: str | None = None,
) -> int:
    """How many events of `kind` (for a subject and/or address) in buckets from `since`'s minute."""
    query = select(func.coalesce(func.sum(SecurityEvent.count), 0)).where(
        SecurityEvent.kind == kind.value,
        col(SecurityEvent.minute) >= since.replace(second=0, microsecond=0),
    )
    if subject is not None:
        query = query.where(SecurityEvent.subject == subject)
    if address is not None:
        query = query.where(SecurityEvent.address == address)
    return int(session.exec(query).one())


def latest_since(
    session: Session,
    kind: SecurityEventKind,
    since: datetime,
    subject: str | None = None,
    address: str | None = None,
) -> datetime | None:
    """When the latest event of `kind` (for a subject and/or address) happened, if any since."""
    query = select(func.max(SecurityEvent.last_at)).where(
        SecurityEvent.kind == kind.value,
        col(SecurityEvent.minute) >= since.replace(second=0, microsecond=0),
    )
    if subject is not None:
        query = query.where(SecurityEvent.subject == subject)
    if address is not None:
        query = query.where(SecurityEvent.address == address)
    latest: datetime | None = session.exec(query).one()
    return latest
