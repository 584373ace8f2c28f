"""Status-change webhooks: queued in the outbox with the change, delivered signed with the
authority's key.

A status change's webhook is queued in the same transaction as the change (transactional
outbox: `queue_status_change`, called by `services/applications.py`), so it is sent if and only
if the change was committed.

The authority's webhook key is Ed25519, generated into the data directory on first use
(`BIZREG_WEBHOOK_KEY_FILE` to provide one: every API process of a deployment must use the same
file). Its public half is published at `/api/v1/webhooks/keys` as a JWK Set (RFC 7517, OKP
keys per RFC 8037) with the RFC 7638 thumbprint as `kid`, which is also the RFC 9421 `keyid`
of every webhook signature. `bizreg webhook-key rotate` replaces it; the JWK Set lists the
replaced key too until `bizreg webhook-key retire KID` (see "rotation" below).

Delivery claims due rows with a short lease (a conditional UPDATE), then sends them with no
database transaction open: a bank that takes ten seconds to answer must not hold row locks.
Webhooks of one application go out in order (a row waits while an earlier one of the same
application is still pending). Each attempt is logged in `webhook_delivery`; a failure is
retried after `bank_adapter.retry_delay` (exponential from `BIZREG_WEBHOOK_RETRY_BASE_SECONDS`,
doubling, capped, full jitter) until `BIZREG_WEBHOOK_MAX_ATTEMPTS`, then marked `failed`.
Delivery is at least once; banks deduplicate on the event `id`.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine, exists, func, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bank_adapter import StatusChangeEvent, build_webhook_request, retry_delay, write_private_key
from registration.db import utcnow
from registration.domain import webhook_lifecycle
from registration.domain.webhook_lifecycle import WebhookStatus
from registration.errors import KeyNotFound, WebhookKeyCurrent, WebhookKeyInUse
from registration.models import ApiClient, Application, WebhookDelivery, WebhookOutbox
from registration.services import ledger
from registration.settings import Settings

log = logging.getLogger("bizreg.webhooks")
DELIVERY_LEASE: Final = timedelta(seconds=60)
HTTP_TIMEOUT: Final = httpx.Timeout(10.0, connect=5.0)
USER_AGENT: Final = "bizreg-webhooks/1"


# --- the outbox ---------------------------------------------------------------------------


def _client(session: Session, client_id: str) -> ApiClient | None:
    """The application's client, held for the transaction: the identity map holds objects
    weakly, so each step of a submission (three on the instant path) loaded it again, and
    flushed the session first. The same object, so a change made through it is seen."""
    transaction = session.get_transaction()
    held: tuple[object, dict[str, ApiClient | None]] | None = session.info.get(_CLIENTS)
    if held is None or held[0] is not transaction:
        held = (transaction, {})
        session.info[_CLIENTS] = held
    clients = held[1]
    if client_id not in clients:
        clients[client_id] = session.get(ApiClient, client_id)
    return clients[client_id]


_CLIENTS: Final = "bizreg_webhook_clients"


def queue_status_change(
    session: Session,
    application: Application,
    seq: int,
    previous_status: str,
    status: str,
    reasons: Sequence[dict[str, Any]],
    at: datetime,
    notice_id: str | None = None,
    licence_uscc: str | None = None,
) -> None:
    """Queue the webhook for a status change, if the client registered a callback URL. Runs
    inside the caller's transaction and never commits. `licence_uscc` names the licence an
    issuance step issued (handed over, not looked up: a batch's licences are not flushed yet)."""
    client = _client(session, application.client_id)
    if client is None or not client.callback_url:
        return
    event_id = str(uuid.uuid4())
    event = StatusChangeEvent(
        event_id=event_id,
        application_id=application.id,
        previous_status=previous_status,
        status=status,
        occurred_at=at,
        reasons=tuple(reasons),
        licence_uscc=licence_uscc,
        notice_url=None
        if notice_id is None
        else f"/api/v1/applications/{application.id}/notices/{notice_id}/pdf",
    )
    session.add(
        WebhookOutbox(
            id=event_id,
            client_id=client.client_id,
            application_id=application.id,
            seq=seq,
            callback_url=client.callback_url,
            event=event.to_json(),
            created_at=at,
            next_attempt_at=at,
        )
    )


# --- the authority's key ------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookKey:
    private_key: Ed25519PrivateKey
    keyid: str

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def jwk(self) -> dict[str, str]:
        return jwk_of(self.public_key, self.keyid)

    def public_pem(self) -> bytes:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _raw_x(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _b64url(raw)


def jwk_thumbprint(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 §3: SHA-256 over the required members, sorted, no whitespace (RFC 8037 §2)."""
    members = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": _raw_x(public_key)},
        separators=(",", ":"),
        sort_keys=True,
    )
    return _b64url(hashlib.sha256(members.encode("ascii")).digest())


# The cache holds the key with the file's identity (inode, mtime): a rotation by another
# process (`bizreg webhook-key rotate`) replaces the file, and every process notices it at its
# next use, with no restart and no signal.
_keys: dict[Path, tuple[tuple[int, int], WebhookKey]] = {}
_keys_lock = threading.Lock()
_KID = re.compile(r"[A-Za-z0-9_-]{43}")  # an RFC 7638 SHA-256 thumbprint, base64url


def webhook_key(path: Path) -> WebhookKey:
    """The current webhook key in `path`, created on first use (safe across processes)."""
    path = path.resolve()
    with _keys_lock:
        if not path.exists():
            _create(path)
        stat = path.stat()
        identity = (stat.st_ino, stat.st_mtime_ns)
        cached = _keys.get(path)
        if cached is None or cached[0] != identity:
            cached = (identity, _load(path))
            _keys[path] = cached
        return cached[1]


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    write_private_key(temporary, Ed25519PrivateKey.generate())
    try:
        # link() fails if another process got there first: then theirs is the key.
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def _load(path: Path) -> WebhookKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return WebhookKey(private_key=key, keyid=jwk_thumbprint(key.public_key()))


# --- rotation -----------------------------------------------------------------------------
#
# The current key signs; keys it replaced stay published (public half only, one PEM file per
# kid in `<key file stem>-previous/` beside the key file) until retired, so a bank that is
# still checking a delivery signed before the rotation finds its key in the JWK Set. The old
# private key is destroyed at rotation: nothing is ever signed with it again, because every
# attempt, retries included, is signed afresh with the current key (see `deliver`).


def previous_keys_dir(path: Path) -> Path:
    return path.resolve().parent / f"{path.stem}-previous"


def previous_keys(path: Path) -> list[tuple[str, Ed25519PublicKey]]:
    """The replaced keys still published, newest first: (kid, public key)."""
    directory = previous_keys_dir(path)
    if not directory.is_dir():
        return []
    found: list[tuple[int, str, Ed25519PublicKey]] = []
    for file in directory.glob("*.pem"):
        public = serialization.load_pem_public_key(file.read_bytes())
        if isinstance(public, Ed25519PublicKey) and jwk_thumbprint(public) == file.stem:
            found.append((file.stat().st_mtime_ns, file.stem, public))
    return [(kid, public) for _, kid, public in sorted(found, key=lambda f: (-f[0], f[1]))]


def jwk_of(public_key: Ed25519PublicKey, kid: str) -> dict[str, str]:
    return {"kty": "OKP", "crv": "Ed25519", "x": _raw_x(public_key), "kid": kid}


def published_keys(path: Path) -> list[tuple[str, Ed25519PublicKey]]:
    """Every key of the JWK Set: the current one first, then those draining."""
    current = webhook_key(path)
    return [(current.keyid, current.public_key)] + [
        (kid, public) for kid, public in previous_keys(path) if kid != current.keyid
    ]


def pending_signed_with(session: Session, kid: str) -> int:
    """Pending webhooks whose latest attempt (maybe in flight) was signed with `kid`."""
    statement = select(func.count()).where(
        WebhookOutbox.status == WebhookStatus.PENDING, WebhookOutbox.signed_keyid == kid
    )
    return int(session.exec(statement).one())


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def rotate_key(session: Session, settings: Settings, *, by: str) -> tuple[WebhookKey, str]:
    """Make a new current webhook key; the replaced one stays published until retired.

    Returns the new key and the kid it replaced. The admin event is committed after the files
    are in place, so the log never records a rotation that did not happen.
    """
    path = settings.webhook_key_path.resolve()
    with _rotation_lock(path):
        old = webhook_key(path)
        directory = previous_keys_dir(path)
        directory.mkdir(parents=True, exist_ok=True)
        # Published before the switch: a reader in between sees the old key twice, never
        # a signature whose key it cannot find.
        _write_atomically(directory / f"{old.keyid}.pem", old.public_pem())
        temporary = path.with_name(f".{path.name}.new.{os.getpid()}")
        write_private_key(temporary, Ed25519PrivateKey.generate())
        os.replace(temporary, path)
        new = webhook_key(path)
    ledger.record_admin(
        session, "webhook_key.rotate", f"webhook_key:{new.keyid}", by, previous=old.keyid
    )
    session.commit()
    return new, old.keyid


def retire_key(
    session: Session, settings: Settings, kid: str, *, by: str, force: bool = False
) -> int:
    """Stop publishing a replaced key; returns how many pending webhooks it last signed.

    Refused while pending webhooks were last signed with it (their receivers may still be
    checking those signatures), unless `force`.
    """
    path = settings.webhook_key_path.resolve()
    if kid == webhook_key(path).keyid:
        raise WebhookKeyCurrent(f"webhook key {kid!r} is the current key: rotate first")
    # The kid becomes a file name: only a thumbprint's alphabet and length get that far.
    file = previous_keys_dir(path) / f"{kid}.pem"
    if not _KID.fullmatch(kid) or not file.exists():
        raise KeyNotFound(f"no published previous webhook key {kid!r}")
    pending = pending_signed_with(session, kid)
    if pending and not force:
        raise WebhookKeyInUse(
            f"{pending} pending webhook(s) were last signed with {kid!r}; wait until they are "
            "delivered or re-signed, or force",
            extra={"pending": pending},
        )
    ledger.record_admin(
        session, "webhook_key.retire", f"webhook_key:{kid}", by, pending=pending, forced=force
    )
    session.commit()
    file.unlink(missing_ok=True)
    return pending


@contextmanager
def _rotation_lock(path: Path) -> Iterator[None]:
    """Two rotations at once would each publish the same old key and one new key be lost."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- delivery -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryPolicy:
    base_seconds: float
    cap_seconds: float
    max_attempts: int

    @classmethod
    def of(cls, settings: Settings) -> DeliveryPolicy:
        return cls(
            settings.webhook_retry_base_seconds,
            settings.webhook_retry_cap_seconds,
            settings.webhook_max_attempts,
        )


def _event_of(stored: dict[str, Any]) -> StatusChangeEvent:
    return StatusChangeEvent(
        event_id=stored["id"],
        application_id=stored["application_id"],
        previous_status=stored["previous_status"],
        status=stored["status"],
        occurred_at=datetime.fromisoformat(stored["occurred_at"].replace("Z", "+00:00")),
        reasons=tuple(stored.get("reasons") or ()),
        licence_uscc=stored.get("licence_uscc"),
        notice_url=stored.get("notice_url"),
    )


def claim_due(
    engine: Engine, now: datetime, limit: int = 20, *, keyid: str | None = None
) -> list[WebhookOutbox]:
    """Lease up to `limit` due webhooks, oldest first, at most the head of each application;
    `keyid` is the webhook key the caller will sign them with (recorded for retirement)."""
    earlier = aliased(WebhookOutbox)
    blocked = exists().where(
        col(earlier.application_id) == col(WebhookOutbox.application_id),
        col(earlier.seq) < col(WebhookOutbox.seq),
        col(earlier.status) == WebhookStatus.PENDING,
    )
    free = or_(col(WebhookOutbox.locked_until).is_(None), col(WebhookOutbox.locked_until) <= now)
    statement = (
        select(WebhookOutbox)
        .where(
            WebhookOutbox.status == WebhookStatus.PENDING,
            col(WebhookOutbox.next_attempt_at) <= now,
            free,
            ~blocked,
        )
        .order_by(col(WebhookOutbox.created_at), col(WebhookOutbox.seq))
        .limit(limit)
    )
    with Session(engine, expire_on_commit=False) as session:
        due = list(session.exec(statement))
        if not due:
            return []
        # One conditional UPDATE leases them all (see mail.claim_due).
        leased = set(
            session.scalars(
                update(WebhookOutbox)
                .where(col(WebhookOutbox.id).in_([row.id for row in due]), free)
                .values(locked_until=now + DELIVERY_LEASE, signed_keyid=keyid)
                .returning(col(WebhookOutbox.id))
            )
        )
        session.commit()
    return [row for row in due if row.id in leased]


def deliver(
    engine: Engine,
    row: WebhookOutbox,
    *,
    http: httpx.Client,
    key: WebhookKey,
    policy: DeliveryPolicy,
) -> bool:
    """Send one claimed webhook and record the outcome.

    Every attempt is signed afresh with the current key, never with the key of an earlier
    attempt: its `created` must fall within the bank's freshness window (a retry may come an
    hour later), and a key replaced because it may have leaked must stop signing at once. A
    replaced key therefore drains within one attempt of each pending webhook.
    """
    request = build_webhook_request(
        row.callback_url, _event_of(row.event), key=key.private_key, keyid=key.keyid
    )
    headers = {**request.headers, "User-Agent": USER_AGENT}
    started = time.monotonic()
    status_code: int | None = None
    error: str | None = None
    try:
        response = http.post(request.url, content=request.body, headers=headers)
        status_code = response.status_code
        if not response.is_success:
            error = f"HTTP {status_code}"
    except httpx.HTTPError as failure:
        error = f"{type(failure).__name__}: {failure}"[:500]
    elapsed_ms = int((time.monotonic() - started) * 1000)
    now = utcnow()
    attempt = row.attempts + 1
    values: dict[str, Any] = {"attempts": attempt, "locked_until": None, "signed_keyid": key.keyid}
    if error is None:
        delivered = webhook_lifecycle.guard(row.status, WebhookStatus.DELIVERED)
        values |= {"status": delivered, "delivered_at": now}
    elif attempt >= policy.max_attempts:
        values |= {"status": webhook_lifecycle.guard(row.status, WebhookStatus.FAILED)}
        log.warning("webhook %s to %s failed for good: %s", row.id, row.callback_url, error)
    else:
        delay = retry_delay(attempt, policy.base_seconds, policy.cap_seconds)
        values |= {"next_attempt_at": now + timedelta(seconds=delay)}
    with Session(engine) as session:
        session.add(
            WebhookDelivery(
                outbox_id=row.id,
                attempt=attempt,
                status_code=status_code,
                error=error,
                duration_ms=elapsed_ms,
                at=now,
            )
        )
        session.execute(
            update(WebhookOutbox).where(col(WebhookOutbox.id) == row.id).values(**values)
        )
        session.commit()
    return error is None


def deliver_due(
    engine: Engine,
    settings: Settings,
    *,
    http: httpx.Client | None = None,
    now: datetime | None = None,
) -> int:
    """Send every webhook that is due now; returns how many were delivered."""
    key = webhook_key(settings.webhook_key_path)
    policy = DeliveryPolicy.of(settings)
    own_http = http is None
    client = http or httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=False)
    delivered = 0
    try:
        for row in claim_due(engine, now or utcnow(), keyid=key.keyid):
            delivered += deliver(engine, row, http=client, key=key, policy=policy)
    finally:
        if own_http:
            client.close()
    return delivered


def delivery_log(session: Session, outbox_id: str) -> list[WebhookDelivery]:
    statement = (
        select(WebhookDelivery)
        .where(WebhookDelivery.outbox_id == outbox_id)
        .order_by(col(WebhookDelivery.attempt))
    )
    return list(session.exec(statement))
