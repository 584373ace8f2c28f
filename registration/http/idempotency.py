"""`Idempotency-Key`: a retried POST gets the first answer instead of a second company.

Semantics (after draft-ietf-httpapi-idempotency-key-header, whose field name we use):

- the key is scoped per caller and remembered for 24 hours;
- same key, same request (method, path with query, body) → the stored response, replayed with
  `Idempotent-Replayed: true`; 4xx answers are stored too, so a retry sees the same refusal,
  5xx answers are not (the retry should get another chance);
- same key, different request → 422 `idempotency_key_reused`;
- same key while the first request runs → 409 `idempotency_in_progress` with `Retry-After`.

How it stays exactly-once across processes:

1. `claim` inserts the record (`INSERT … ON CONFLICT DO NOTHING` on the primary key) in a short
   transaction of its own, committed before the use case starts, with a random `claim_token`
   and a lease. Of concurrent duplicates one
   insert wins; the others read the winner's row.
2. The use case's own transaction, just before it commits, marks the record `committed` — only
   if the claim token still matches (`bind_to_session`). A request whose lease ran out and was
   taken over therefore cannot commit its effects: it gets 409 and rolls back. The effects and
   the "this key was used" mark commit together or not at all.
3. The response is stored (`done`) before its last byte is sent, so whatever a client saw is
   what a retry replays. A use case whose answer follows from what it commits (a create)
   registers `respond_on_commit`: its response is rendered and stored in the commit itself, so
   a lost connection, a crash or a 500 after the commit still leaves a replayable `done`
   record. Otherwise a crash between commit and store leaves `committed` without a response:
   retries get 409 `idempotency_response_lost` rather than a second execution.

Every step runs on the request's own session, one transaction after another: a request never
holds one pooled connection while asking for a second (under load, that is a pool deadlock).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import ColumnElement, Engine, and_, delete, event, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from bank_adapter.json_depth import loads_bounded
from registration.db import insert_for
from registration.domain.application import FieldError
from registration.errors import (
    IdempotencyClaimLost,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    IdempotencyResponseLost,
)
from registration.models import IdempotencyRecord
from registration.principal import Principal

IDEMPOTENCY_TTL: Final = timedelta(hours=24)
# Long enough for any use case; a request still running after it loses its claim safely.
CLAIM_LEASE: Final = timedelta(minutes=2)
RETRY_AFTER_SECONDS: Final = 1
IN_PROGRESS, COMMITTED, DONE = "in_progress", "committed", "done"

# Fields that describe one transmission rather than the response itself.
_NOT_REPLAYED: Final = frozenset(
    {"content-length", "date", "server", "connection", "transfer-encoding", "idempotent-replayed"}
)


@dataclass(frozen=True)
class Claim:
    principal: str
    key: str
    token: str


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class IdempotentReplay(Exception):
    """The request was answered before: send `response` again."""

    def __init__(self, response: StoredResponse) -> None:
        super().__init__("idempotent replay")
        self.response = response


def scope_of(principal: Principal) -> str:
    return f"{principal.kind}:{principal.subject}"


def request_hash(method: str, target: str, content_type: str, body: bytes) -> str:
    """What "the same request" means: method, path with query, and the body.

    A JSON body is compared by value (key order and whitespace do not matter), so a client
    that re-serializes its payload on retry is not refused; any other body by its bytes.
    A body labelled JSON that does not parse as JSON nested at most `MAX_JSON_DEPTH` deep
    (a JWS; garbage; `[[[[…`, which would exhaust the parser's recursion) is compared by its
    bytes too: its fingerprint is then exact rather than by value, and the endpoint refuses
    the body itself (400/422) — which the key then replays.
    """
    material = body
    if content_type.split(";")[0].strip().lower() in ("application/json", "application/jose"):
        try:
            material = json.dumps(
                loads_bounded(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode("utf-8")
        except ValueError:  # JsonTooDeep and UnicodeDecodeError included
            material = body  # not (acceptable) JSON: its bytes are the request
    digest = hashlib.sha256()
    for part in (method.upper().encode(), target.encode("utf-8"), material):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def form_material(parts: Sequence[tuple[str, str, bytes]]) -> bytes:
    """A multipart body by its parts (name, filename, content), not its bytes: a client that
    retries an upload builds a new body with a new random boundary (RFC 7578 §4.1)."""
    lines = [
        f"{name}\0{filename}\0{hashlib.sha256(content).hexdigest()}"
        for name, filename, content in sorted(parts)
    ]
    return "\n".join(lines).encode("utf-8")


def claim(
    session: Session,
    *,
    principal: str,
    key: str,
    fingerprint: str,
    method: str,
    path: str,
    now: datetime,
) -> Claim:
    """Claim `key` for this request, or raise: `IdempotentReplay` (answered before),
    `PayloadInvalid` 422 (key reused for another request), `Conflict` 409 (still running).
    Ends every transaction it begins (commit or rollback)."""
    for _ in range(3):  # a row can vanish (expiry purge, release) between insert and read
        token = str(uuid.uuid4())
        fresh = {
            "request_hash": fingerprint,
            "method": method,
            "path": path[:500],
            "state": IN_PROGRESS,
            "claim_token": token,
            "locked_until": now + CLAIM_LEASE,
            "response_status": None,
            "response_headers": None,
            "response_body": None,
            "created_at": now,
            "expires_at": now + IDEMPOTENCY_TTL,
        }
        inserted = session.execute(
            insert_for(session.connection(), IdempotencyRecord)
            .values(principal=principal, key=key, **fresh)
            .on_conflict_do_nothing(index_elements=["principal", "key"])
            .returning(col(IdempotencyRecord.claim_token))
        ).first()
        if inserted is not None:
            session.commit()
            return Claim(principal, key, token)
        row = session.exec(
            select(IdempotencyRecord).where(
                IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
            )
        ).first()
        if row is not None:
            session.expunge(row)  # keep what was read through the rollback
        session.rollback()
        if row is None:
            continue
        if row.expires_at <= now:
            # Remembered for 24 h only: after that the key is free for a new request.
            if _take_over(session, row, fresh):
                return Claim(principal, key, token)
            continue
        if row.request_hash != fingerprint:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was already used for a different request",
                errors=[
                    FieldError(
                        "Idempotency-Key",
                        "use a new key for a new request; reuse a key only to retry",
                        "idempotency_key_reused",
                    )
                ],
            )
        if row.state == DONE and row.response_status is not None:
            raise IdempotentReplay(
                StoredResponse(
                    status=row.response_status,
                    headers=[(name, value) for name, value in row.response_headers or []],
                    body=row.response_body or b"",
                )
            )
        if row.locked_until <= now:
            if row.state == IN_PROGRESS:
                # The first request died before committing anything: run it again.
                if _take_over(
                    session, row, {"claim_token": token, "locked_until": now + CLAIM_LEASE}
                ):
                    return Claim(principal, key, token)
                continue
            raise IdempotencyResponseLost(
                "the request with this Idempotency-Key was carried out, but its response "
                "was not recorded; read the resource to see the outcome"
            )
        raise IdempotencyInProgress(
            "a request with this Idempotency-Key is still being processed",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            extra={"retry_after": RETRY_AFTER_SECONDS},
        )
    raise IdempotencyInProgress(
        "a request with this Idempotency-Key is still being processed",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _take_over(session: Session, row: IdempotencyRecord, values: dict[str, object]) -> bool:
    # Conditional on the token we read: of two requests taking over, one wins.
    result = session.execute(
        update(IdempotencyRecord)
        .where(
            col(IdempotencyRecord.principal) == row.principal,
            col(IdempotencyRecord.key) == row.key,
            col(IdempotencyRecord.claim_token) == row.claim_token,
        )
        .values(**values)
    )
    session.commit()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _owned(claim_: Claim) -> ColumnElement[bool]:
    return and_(
        col(IdempotencyRecord.principal) == claim_.principal,
        col(IdempotencyRecord.key) == claim_.key,
        col(IdempotencyRecord.claim_token) == claim_.token,
    )


_LISTENER: Final = "bizreg.idempotency_listener"
_RENDER: Final = "bizreg.idempotency_render"


def respond_on_commit(session: Session, render: Callable[[], StoredResponse]) -> None:
    """Store `render()` as the claimed request's response in the same transaction as its
    effects (a no-op without an Idempotency-Key). `render` runs inside the commit and may read
    what the transaction wrote."""
    if _LISTENER in session.info:
        session.info[_RENDER] = render


def bind_to_session(session: Session, claim_: Claim) -> None:
    """Mark the claim `committed` inside the use case's transaction, or abort that commit."""

    def mark_committed(committing: Session) -> None:
        values: dict[str, object] = {"state": COMMITTED}
        render = committing.info.pop(_RENDER, None)
        if render is not None:
            response = render()
            values = {
                "state": DONE,
                "response_status": response.status,
                "response_headers": _replayed_headers(response),
                "response_body": response.body,
            }
        result = committing.execute(
            update(IdempotencyRecord)
            .where(_owned(claim_), col(IdempotencyRecord.state).in_([IN_PROGRESS, COMMITTED]))
            .values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise IdempotencyClaimLost(
                "this request took too long and another request with the same "
                "Idempotency-Key took over; nothing was changed"
            )

    session.info[_LISTENER] = mark_committed


# Ahead of the transparency log's append (`services.ledger`), which locks the log's head until
# the COMMIT: rendering the stored response reads the database, and every other appender in
# the service would wait for it.
@event.listens_for(OrmSession, "before_commit", insert=True)
def _mark_committed(session: OrmSession) -> None:
    mark = session.info.get(_LISTENER)
    if mark is not None:
        mark(session)


def _settle(session: Session) -> None:
    """End the use case's part: discard anything it left uncommitted (a refused request's
    partial work) and stop marking commits, so the response can be stored on this session."""
    session.info.pop(_LISTENER, None)
    session.info.pop(_RENDER, None)
    session.rollback()


def complete(session: Session, claim_: Claim, response: StoredResponse) -> bool:
    """Store the response for replays (replacing one stored at commit by the same claim: the
    bytes actually sent win); False if the claim was lost meanwhile."""
    _settle(session)
    result = session.execute(
        update(IdempotencyRecord)
        .where(_owned(claim_), col(IdempotencyRecord.state).in_([IN_PROGRESS, COMMITTED, DONE]))
        .values(
            state=DONE,
            response_status=response.status,
            response_headers=_replayed_headers(response),
            response_body=response.body,
        )
    )
    session.commit()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _replayed_headers(response: StoredResponse) -> list[list[str]]:
    return [[n, v] for n, v in response.headers if n.lower() not in _NOT_REPLAYED]


def release(session: Session, claim_: Claim) -> None:
    """Forget a claim whose request failed with a 5xx before committing (a retry may run)."""
    _settle(session)
    session.execute(
        delete(IdempotencyRecord).where(_owned(claim_), col(IdempotencyRecord.state) == IN_PROGRESS)
    )
    session.commit()


def purge_expired(engine: Engine, now: datetime) -> int:
    with Session(engine) as session:
        result = session.execute(
            delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) <= now)
        )
        session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
