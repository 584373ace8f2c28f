"""Authenticating a bank terminal by its RFC 9421 HTTP Message Signature.

`bank_adapter.verify_request` does the cryptography; this module supplies what only the
application knows: the registered keys (`resolve_key`, which also refuses a suspended client),
the replay memory (`DatabaseNonceStore`, shared by every process through the database), the
clock, and the target URI.

The target URI is the configured public base URL (`BIZREG_PUBLIC_BASE_URL`) followed by the
path and query exactly as received (ASGI `raw_path` and `query_string`, still percent-encoded).
It is not rebuilt from the request's own scheme and `Host`: behind a TLS-terminating proxy the
application sees `http` and whatever Host the proxy forwards, and a signature made for another
deployment (a staging host sharing keys) must not verify here (RFC 9421 §7.2.6 on
`@target-uri`, §7.4.4 on intermediaries). Tests therefore address the app at its configured
public URL, as a real client would.

Every refusal is a 401 problem whose `code` is the `bank_adapter` error code, raised before any
state changes: `verify_request` consults the nonce store only after the signature verified, and
the use case has not started.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete
from sqlmodel import Session, col, select

from bank_adapter import (
    ClientSuspended,
    PublicKey,
    RequestSignatureError,
    SignatureMissing,
    verify_request,
)
from registration.db import insert_for, utcnow
from registration.domain.security_events import SecurityEventKind
from registration.domain.workflow import Role
from registration.errors import NotAuthenticated
from registration.models import REQUEST_SIGNING, ApiClient, ClientKey, SignatureNonce
from registration.principal import Principal
from registration.services import clients, security_events

SIGNATURE_FIELDS = frozenset({"signature", "signature-input"})
# RFC 9421 §5.1: tells a client which components and parameters a signature must have.
# What a terminal must sign (RFC 9421 §5.1): content-digest with a body, content-type with a
# body, idempotency-key whenever it sends one.
ACCEPT_SIGNATURE = (
    'sig1=("@method" "@target-uri" "content-digest" "content-type" "idempotency-key");created;nonce'
)


class DatabaseNonceStore:
    """`bank_adapter.NonceStore` on the `signature_nonce` table, in the request's own session.

    The primary key (keyid, nonce) makes `remember` atomic across processes: of two concurrent
    inserts of one pair exactly one succeeds. A row that has expired may be overwritten (its
    request would be refused as stale anyway). It runs on the request's session — never a
    second pooled connection, which under load is how a pool deadlocks — and `authenticate`
    commits it before the use case starts, so a nonce stays spent even when the request it
    authenticated later fails. Expired rows are purged by the background worker.
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def remember(self, keyid: str, nonce: str, expires_at: datetime) -> bool:
        statement = _remember_statement(self.session.connection())
        values = {"keyid": keyid, "nonce": nonce, "expires_at": expires_at, "now": utcnow()}
        # RETURNING yields the row only if it was inserted or an expired one overwritten
        # (an INSERT's rowcount is not reported by every driver).
        return self.session.execute(statement, values).first() is not None


_REMEMBER: dict[str, Any] = {}


def _remember_statement(connection: Connection) -> Any:
    """The nonce's upsert, built once per dialect (building it cost ~0.12 ms of CPU at every
    signed request)."""
    statement = _REMEMBER.get(connection.dialect.name)
    if statement is None:
        insert = insert_for(connection, SignatureNonce).values(
            keyid=bindparam("keyid"), nonce=bindparam("nonce"), expires_at=bindparam("expires_at")
        )
        statement = insert.on_conflict_do_update(
            index_elements=["keyid", "nonce"],
            set_={"expires_at": insert.excluded.expires_at},
            where=col(SignatureNonce.expires_at) < bindparam("now"),
        ).returning(col(SignatureNonce.keyid))
        _REMEMBER[connection.dialect.name] = statement
    return statement


def purge_expired_nonces(engine: Engine, now: datetime) -> int:
    with engine.begin() as connection:
        result = connection.execute(
            delete(SignatureNonce).where(col(SignatureNonce.expires_at) < now)
        )
    return int(result.rowcount)


def is_signed(headers: Mapping[str, str]) -> bool:
    return any(name in headers for name in SIGNATURE_FIELDS)


def target_uri(public_base_url: str, scope: Mapping[str, Any]) -> str:
    """The URI the client addressed: public base URL + raw path + query (RFC 9421 §2.2.2)."""
    raw_path = scope.get("raw_path") or str(scope["path"]).encode("utf-8")
    query = scope.get("query_string") or b""
    # Latin-1 maps bytes to code points one to one; a valid request line is ASCII anyway, and
    # anything else then fails the signature base's ASCII rule instead of being "repaired".
    uri = public_base_url.rstrip("/") + bytes(raw_path).decode("latin-1")
    return uri + ("?" + bytes(query).decode("latin-1") if query else "")


_KEYID = re.compile(r'keyid="([^"]{1,200})"')


def _claimed_keyid(headers: Sequence[tuple[str, str]]) -> str:
    for name, value in headers:
        if name.lower() == "signature-input" and (match := _KEYID.search(value)):
            return f"key:{match.group(1)}"
    return "key:unknown"


def refusal(error: RequestSignatureError) -> NotAuthenticated:
    refused = NotAuthenticated.catalogued(error.code)
    return refused(error.detail, headers={"Accept-Signature": ACCEPT_SIGNATURE})


def authenticate(
    session: Session,
    *,
    method: str,
    uri: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    max_skew: timedelta,
    address: str | None = None,
) -> Principal:
    """The client whose registered key signed this request, or a 401 `NotAuthenticated`.
    A refusal is counted as a security event (per key and minute: a flood grows a counter)."""
    headers = list(headers)
    resolved: list[ApiClient] = []

    def resolve_key(keyid: str) -> PublicKey | None:
        # The key and its client in one query: every signed request asks.
        found = session.exec(
            select(ClientKey, ApiClient)
            .join(ApiClient, col(ApiClient.client_id) == col(ClientKey.client_id))
            .where(col(ClientKey.keyid) == keyid)
        ).first()
        if found is None:
            return None
        key, client = found
        if key.purpose != REQUEST_SIGNING or key.revoked_at is not None:
            return None
        if not client.active:
            # Before the signature is even checked: a suspended client's requests must not
            # spend nonces or reach any use case.
            raise ClientSuspended(f"client {client.client_id} is suspended")
        resolved.append(client)
        return clients.public_key_from_pem(key.public_key_pem)

    try:
        verify_request(
            method,
            uri,
            headers,
            body,
            resolve_key=resolve_key,
            now=utcnow(),
            nonce_store=DatabaseNonceStore(session),
            max_skew=max_skew,
        )
    except RequestSignatureError as error:
        session.rollback()
        subject = resolved[-1].client_id if resolved else _claimed_keyid(headers)
        security_events.record(
            session, SecurityEventKind.SIGNATURE_REFUSED, subject, address, error.code
        )
        session.commit()
        raise refusal(error) from None
    # The nonce is spent for good, whatever the use case does next; this also ends the
    # transaction, so the connection goes back to the pool until the use case needs one.
    session.commit()
    client = resolved[-1]
    return Principal(
        kind="client", subject=client.client_id, role=Role(client.role), channel=client.channel
    )


def refuse_bearer_for_keyed_client(session: Session, principal: Principal) -> None:
    """A client with an active request-signing key must sign: its bearer token (if one
    survived) no longer authenticates it."""
    if principal.is_client and clients.has_active_request_key(session, principal.subject):
        raise refusal(
            SignatureMissing(
                "this client has registered request-signing keys: sign the request "
                "(RFC 9421) instead of sending a bearer token"
            )
        )
