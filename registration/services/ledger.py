"""Appending to the transparency log, in the transaction that writes the record.

Leaves are made by construction: a session listener notices every new row of a logged table
(`RECORDS`: licences, licence events, application events, admin events) at flush time, and
just before the transaction commits it takes the next leaf indices (one UPDATE of the
`log_head` row, which holds the lock until commit, so concurrent appenders on PostgreSQL
serialise and the index sequence has no gaps or forks) and inserts the leaves. An event
written through the ORM cannot commit without its leaf; a new event kind in those tables is
logged without anyone calling anything. The append is the last statement before COMMIT (on
PostgreSQL one statement bumps the head and inserts the leaves), so the head's lock is held
for one round trip and the commit: the other commit hooks (the stored idempotent response,
change notifications) register with `insert=True` to run before it. Rows written with Core
statements (the security events' upsert) call `queue`.

A leaf is canonical JSON: its kind, the row it records ("<table>:<id>"), the fields that are
public anyway (a licence's USCC, version, PDF hash, status) and a commitment: SHA-256 of a
secret random salt and the row's canonical record. Only the database (and so `bizreg audit
verify`) knows the salt, so a published log reveals nothing about people, yet a row edited
behind the service's back no longer matches its leaf.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import partial
from typing import Any

from sqlalchemy import String, bindparam, cast, event, insert, literal, select, text
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction

from registration.db import UtcDateTime, utcnow
from registration.models import (
    AdminEvent,
    ApplicationEvent,
    ArchiveRenewal,
    Licence,
    LicenceEvent,
    LogLeaf,
    SecurityEvent,
)
from tlog import leaf_hash

PENDING = "ledger_pending"


@dataclass(frozen=True)
class LeafRecord:
    """One row as the log sees it."""

    kind: str
    ref: str
    subject: str
    public: dict[str, Any]
    record: dict[str, Any]  # the whole row, committed to, never published

    def body(self, salt: str) -> str:
        commitment = hashlib.sha256(bytes.fromhex(salt) + canonical(self.record)).hexdigest()
        leaf = {"kind": self.kind, "ref": self.ref, "public": self.public, "commit": commitment}
        return canonical(leaf).decode()


def canonical(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    ).encode()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"not loggable: {type(value).__name__}")


def _json_ready(values: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(canonical(values))
    return result


def licence_record(row: Licence) -> LeafRecord:
    public = {
        "uscc": row.uscc,
        "version": row.version,
        # The issued file's: an archive renewal replaces the current one (its own leaf).
        "sha256": row.issued_sha256 or row.sha256,
        "issued_at": row.issued_at,
        "signer_certificate_sha256": row.signer_certificate_sha256,
    }
    record = {
        **public,
        "id": row.id,
        "application_id": row.application_id,
        "client_id": row.client_id,
        "company_name_zh": row.company_name_zh,
        "size": row.issued_size or row.size,
    }
    return LeafRecord(
        "licence.issued", f"licence:{row.id}", row.id, _json_ready(public), _json_ready(record)
    )


def licence_event_record(row: LicenceEvent) -> LeafRecord:
    public = {
        "licence_id": row.licence_id,
        "action": row.action,
        "from": row.from_status,
        "to": row.to_status,
        "reason": row.reason,
        "at": row.at,
    }
    record = {**public, "id": row.id, "actor": row.actor, "role": row.role}
    return LeafRecord(
        f"licence.{_plain(row.action)}",
        f"licence_event:{row.id}",
        row.licence_id,
        _json_ready(public),
        _json_ready(record),
    )


def archive_renewal_record(row: ArchiveRenewal) -> LeafRecord:
    """A stored licence or notice renewed (B-LTA): the file it was and the file it is."""
    public = {
        "document": row.document,
        "previous_sha256": row.previous_sha256,
        "sha256": row.sha256,
        "renewed_at": row.renewed_at,
    }
    record = {
        **public,
        "id": row.id,
        "document_id": row.document_id,
        "seq": row.seq,
        "previous_size": row.previous_size,
        "size": row.size,
        "timestamp_at": row.timestamp_at,
        "expires_at": row.expires_at,
    }
    return LeafRecord(
        f"{row.document}.renewed",
        f"archive_renewal:{row.id}",
        row.document_id,
        _json_ready(public),
        _json_ready(record),
    )


def application_event_record(row: ApplicationEvent) -> LeafRecord:
    record = {
        "id": row.id,
        "application_id": row.application_id,
        "seq": row.seq,
        "action": row.action,
        "from": row.from_status,
        "to": row.to_status,
        "actor": row.actor,
        "role": row.role,
        "reasons": row.reasons,
        "idempotency_key": row.idempotency_key,
        "at": row.at,
    }
    return LeafRecord(
        f"application.{row.action}",
        f"application_event:{row.id}",
        row.application_id,
        {},
        _json_ready(record),
    )


def admin_event_record(row: AdminEvent) -> LeafRecord:
    record = {
        "id": row.id,
        "action": row.action,
        "target": row.target,
        "actor": row.actor,
        "detail": row.detail,
        "at": row.at,
    }
    return LeafRecord(
        f"admin.{row.action}", f"admin_event:{row.id}", row.target, {}, _json_ready(record)
    )


def security_event_record(values: dict[str, Any]) -> LeafRecord:
    """A security event's minute bucket, logged when it opens (its count is not logged: a
    flood grows a counter, not the log)."""
    record = {k: values[k] for k in ("id", "kind", "subject", "address", "minute")}
    return LeafRecord(
        f"security.{values['kind']}",
        f"security_event:{values['id']}",
        str(values["subject"]),
        {},
        _json_ready(record),
    )


def security_sealed_record(row: SecurityEvent) -> LeafRecord:
    """A closed minute bucket, sealed with its final count (`seal_security_events`)."""
    record = {
        "id": row.id,
        "kind": row.kind,
        "subject": row.subject,
        "address": row.address,
        "minute": row.minute,
        "count": row.count,
        "first_at": row.first_at,
        "last_at": row.last_at,
        "detail": row.detail,
    }
    return LeafRecord(
        f"security.{row.kind}.sealed",
        f"{SEALED}{row.id}",
        row.subject,
        {},
        _json_ready(record),
    )


SEALED = "security_event_sealed:"


def seal_security_events(session: OrmSession, before: datetime, limit: int = 1000) -> int:
    """Log the final count of every security-event bucket whose minute ended before `before`
    and is not sealed yet (the checkpoint worker calls it): counts are then in the log too,
    one leaf per bucket, however long the flood. Commits."""
    leaf = LogLeaf.__table__  # type: ignore[attr-defined]
    bucket = SecurityEvent.__table__  # type: ignore[attr-defined]
    sealed = select(leaf.c.ref).where(leaf.c.ref == literal(SEALED) + cast(bucket.c.id, String))
    rows = session.scalars(
        select(SecurityEvent)
        .where(bucket.c.minute < before, ~sealed.exists())
        .order_by(bucket.c.id)
        .limit(limit)
    ).all()
    for row in rows:
        queue(session, partial(security_sealed_record, row))
    session.commit()
    return len(rows)


# Logged tables: every new row of these gets its leaf.
RECORDS: dict[type[Any], Callable[[Any], LeafRecord]] = {
    Licence: licence_record,
    LicenceEvent: licence_event_record,
    ApplicationEvent: application_event_record,
    AdminEvent: admin_event_record,
    ArchiveRenewal: archive_renewal_record,
}


def queue(session: OrmSession, record: Callable[[], LeafRecord]) -> None:
    """Log a row written without the ORM, when the transaction commits."""
    session.info.setdefault(PENDING, []).append(record)


@event.listens_for(OrmSession, "before_flush")
def _notice_new_rows(session: OrmSession, _flush: UOWTransaction, _instances: Any) -> None:
    for instance in session.new:
        make = RECORDS.get(type(instance))
        if make is not None:
            queue(session, partial(make, instance))


@event.listens_for(OrmSession, "before_commit")
def _append_leaves(session: OrmSession) -> None:
    session.flush()  # what commit does next anyway: new rows get their ids (leaves name them)
    if not session.info.get(PENDING):
        return
    pending: list[Callable[[], LeafRecord]] = session.info.pop(PENDING, [])
    records = list({record.ref: record for record in (make() for make in pending)}.values())
    # Everything but the index is made before the head is locked: from the lock to the commit
    # every other appender (every API request that records an event, every issuance) waits,
    # so that window holds database round trips only, no Python work.
    now = utcnow()
    leaves = []
    for record in records:
        salt = secrets.token_hex(32)
        body = record.body(salt)
        leaves.append(
            {
                "kind": record.kind,
                "ref": record.ref,
                "subject": record.subject,
                "leaf_hash": leaf_hash(body.encode()).hex(),
                "body": body,
                "salt": salt,
            }
        )
    if session.get_bind().dialect.name == "postgresql":
        _append_postgres(session, leaves, now)
    else:
        first = _take_indices(session, len(leaves))
        session.execute(
            insert(LogLeaf.__table__),  # type: ignore[attr-defined]
            [
                {**leaf, "idx": first + offset, "appended_at": now}
                for offset, leaf in enumerate(leaves)
            ],
        )


@event.listens_for(OrmSession, "after_rollback")
def _forget(session: OrmSession) -> None:
    session.info.pop(PENDING, None)


_HEAD_POSTGRES = "INSERT INTO log_head (id, size) VALUES (1, 0) ON CONFLICT DO NOTHING"
_HEAD_SQLITE = "INSERT OR IGNORE INTO log_head (id, size) VALUES (1, 0)"
_BUMP = text("UPDATE log_head SET size = size + :n WHERE id = 1 RETURNING size")
# Bump the head and insert the leaves in one statement, so the head's row lock is held for
# this statement and the COMMIT that follows it: one round trip fewer under the lock.
_BUMP_AND_INSERT = text(
    """
    WITH head AS (UPDATE log_head SET size = size + :n WHERE id = 1 RETURNING size - :n AS first)
    INSERT INTO log_leaf (idx, kind, ref, subject, leaf_hash, body, salt, appended_at)
    SELECT head.first + leaf.pos, leaf.kind, leaf.ref, leaf.subject, leaf.leaf_hash,
           leaf.body, leaf.salt, :at
    FROM head, jsonb_to_recordset(CAST(:leaves AS jsonb)) AS leaf(
        pos integer, kind text, ref text, subject text, leaf_hash text, body text, salt text)
    """
).bindparams(bindparam("at", type_=UtcDateTime))


def _append_postgres(session: OrmSession, leaves: list[dict[str, str]], now: datetime) -> None:
    rows = json.dumps([{**leaf, "pos": pos} for pos, leaf in enumerate(leaves)])
    parameters = {"n": len(leaves), "leaves": rows, "at": now}
    inserted = session.execute(_BUMP_AND_INSERT, parameters)
    # No row: a schema made without the migration's head row (tests' create_all).
    if inserted.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(text(_HEAD_POSTGRES))
        session.execute(_BUMP_AND_INSERT, parameters)


def _take_indices(session: OrmSession, count: int) -> int:
    """The first of `count` consecutive leaf indices, held (row lock) until commit."""
    size = session.execute(_BUMP, {"n": count}).scalar()
    if size is None:  # a schema made without the migration's head row (tests' create_all)
        session.execute(text(_HEAD_SQLITE))
        size = session.execute(_BUMP, {"n": count}).scalar_one()
    return int(size) - count


def record_admin(
    session: OrmSession, action: str, target: str, actor: str, **detail: Any
) -> AdminEvent:
    """An administrative change (API clients, officer accounts) and who made it, logged."""
    row = AdminEvent(action=action, target=target, actor=actor, detail=detail, at=utcnow())
    session.add(row)
    return row
