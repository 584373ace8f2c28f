"""Status-change webhooks: outbox written with the change, signed deliveries to a real HTTP
receiver on 127.0.0.1 that fails the first attempts, backoff, ordering, delivery log."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from bank_adapter import InMemoryNonceStore, RequestSignatureError, verify_request
from registration.app import create_app
from registration.db import utcnow
from registration.domain.workflow import Role
from registration.issuance.authority import LicenceAuthority
from registration.models import WebhookDelivery, WebhookOutbox
from registration.services import issuance, webhooks
from registration.settings import Settings
from tests.conftest import example, row_counts
from tests.terminals.conftest import MakeTerminal, Terminal

Headers = dict[str, str]


@dataclass
class Receiver:
    """A bank's webhook endpoint: verifies each signature, answers from a script."""

    public_key: Ed25519PublicKey | None = None
    keyid: str = ""
    script: list[int] = field(default_factory=list)  # statuses of the first answers
    received: list[dict[str, Any]] = field(default_factory=list)
    nonces: InMemoryNonceStore = field(default_factory=InMemoryNonceStore)
    url: str = ""
    origin: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> int:
        verdict = "verified"
        try:
            verify_request(
                method,
                self.origin + path,
                headers,
                body,
                resolve_key={self.keyid: self.public_key}.get,
                now=datetime.now(UTC),
                nonce_store=self.nonces,
            )
        except RequestSignatureError as error:
            verdict = error.code
        with self.lock:
            status = self.script.pop(0) if self.script else 200
            if verdict != "verified":
                status = 401
            self.received.append(
                {"status": status, "verdict": verdict, "path": path, "event": json.loads(body)}
            )
        return status

    def delivered(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r["event"] for r in self.received if r["status"] == 200]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = state.handle("POST", self.path, list(self.headers.items()), body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.origin = f"http://127.0.0.1:{server.server_address[1]}"
    state.url = f"{state.origin}/bizreg/webhooks?bank=boc"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _trust_published_key(app_client: TestClient, receiver: Receiver) -> None:
    """What a bank does once: fetch the authority's JWK Set."""
    jwks = app_client.get("/api/v1/webhooks/keys")
    assert jwks.headers["content-type"] == "application/jwk-set+json"
    (jwk,) = jwks.json()["keys"]
    assert (jwk["kty"], jwk["crv"]) == ("OKP", "Ed25519")
    raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    receiver.public_key = Ed25519PublicKey.from_public_bytes(raw)
    receiver.keyid = jwk["kid"]
    pem = app_client.get(f"/api/v1/webhooks/keys/{jwk['kid']}.pem")
    assert pem.content == receiver.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _fast(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(
        update={"webhook_retry_base_seconds": 0.05, "webhook_poll_seconds": 0.05} | changes
    )


def _drain(engine: Engine, settings: Settings, receiver: Receiver, count: int) -> None:
    deadline = time.monotonic() + 20
    while len(receiver.delivered()) < count and time.monotonic() < deadline:
        webhooks.deliver_due(engine, settings)
        time.sleep(0.02)
    assert len(receiver.delivered()) == count, receiver.received


def _instant(terminal: Terminal) -> str:
    app_id = terminal.create(example("yinzhengtong"))["id"]
    terminal.attest_all(app_id, example("yinzhengtong"))
    submitted = terminal.request("POST", f"/api/v1/applications/{app_id}/submit")
    assert submitted.json()["status"] == "approved", submitted.text
    return app_id


def test_status_changes_reach_the_bank_signed_in_order_despite_failures(
    app_client: TestClient,
    engine: Engine,
    settings: Settings,
    authority: LicenceAuthority,
    make_terminal: MakeTerminal,
    receiver: Receiver,
    officer: Any,
) -> None:
    _trust_published_key(app_client, receiver)
    receiver.script = [503, 500]  # the bank's endpoint is down for the first two attempts
    terminal = make_terminal("yinzhengtong", callback_url=receiver.url)
    app_id = _instant(terminal)
    assert issuance.run_once(engine, authority) == app_id

    _drain(engine, _fast(settings), receiver, 4)

    assert all(r["verdict"] == "verified" for r in receiver.received)
    assert all(r["path"] == "/bizreg/webhooks?bank=boc" for r in receiver.received)
    events = receiver.delivered()
    assert [(e["previous_status"], e["status"]) for e in events] == [
        ("draft", "submitted"),
        ("submitted", "accepted"),
        ("accepted", "approved"),
        ("approved", "issued"),
    ]
    assert {e["application_id"] for e in events} == {app_id}
    assert events[-1]["licence_uscc"].startswith("91441900")
    assert len({e["id"] for e in events}) == 4
    # The first event was attempted three times; the others waited behind it (in order).
    assert [r["status"] for r in receiver.received] == [503, 500, 200, 200, 200, 200]

    admin = officer(Role.REGISTRAR_ADMIN)
    log = app_client.get(
        f"/api/v1/admin/clients/{terminal.client_id}/webhooks", headers=admin
    ).json()
    first = next(w for w in log if w["event"]["status"] == "submitted")
    assert first["status"] == "delivered"
    assert [(d["attempt"], d["status_code"], d["error"]) for d in first["deliveries"]] == [
        (1, 503, "HTTP 503"),
        (2, 500, "HTTP 500"),
        (3, 200, None),
    ]


def test_the_outbox_is_written_only_with_a_committed_change(
    app_client: TestClient, engine: Engine, make_terminal: MakeTerminal, receiver: Receiver
) -> None:
    terminal = make_terminal("yinzhengtong", callback_url=receiver.url)
    app_id = terminal.create(example("yinzhengtong"))["id"]
    refused = terminal.request("POST", f"/api/v1/applications/{app_id}/submit")
    assert refused.status_code == 409  # no attestation: nothing changed, nothing announced
    assert row_counts(engine)["webhook_outbox"] == 0

    quiet = make_terminal("yinzhengtong")  # no callback URL: no webhooks
    body = example("yinzhengtong")
    body["company"]["name"]["zh"] = "东莞市春山贸易有限公司"
    quiet_app = quiet.create(body)["id"]
    quiet.attest_all(quiet_app, body)
    assert quiet.request("POST", f"/api/v1/applications/{quiet_app}/submit").is_success
    assert row_counts(engine)["webhook_outbox"] == 0


def test_backoff_doubles_and_gives_up(
    app_client: TestClient,
    engine: Engine,
    settings: Settings,
    make_terminal: MakeTerminal,
    receiver: Receiver,
) -> None:
    terminal = make_terminal("yinzhengtong", callback_url=receiver.url)
    _instant(terminal)
    refusing = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(502)))
    policy = _fast(settings, webhook_retry_base_seconds=10.0, webhook_max_attempts=3)
    gaps = []
    for attempt in (1, 2, 3):
        with Session(engine) as session:
            head = session.exec(select(WebhookOutbox).order_by(WebhookOutbox.seq)).first()
            assert head is not None
            # Make it due now, whatever the schedule said.
            head.next_attempt_at = utcnow()
            session.add(head)
            session.commit()
        before = utcnow()
        webhooks.deliver_due(engine, policy, http=refusing)
        with Session(engine) as session:
            head = session.exec(select(WebhookOutbox).order_by(WebhookOutbox.seq)).first()
            assert head is not None
            assert head.attempts == attempt
            gaps.append((head.status, head.next_attempt_at - before))
    # Full jitter: the wait is in [0, 10 s * 2^(n-1)); after the third failure it gives up.
    assert gaps[0][0] == gaps[1][0] == "pending"
    assert timedelta(0) <= gaps[0][1] <= timedelta(seconds=10.5)
    assert timedelta(0) <= gaps[1][1] <= timedelta(seconds=20.5)
    assert gaps[2][0] == "failed"
    with Session(engine) as session:
        log = list(session.exec(select(WebhookDelivery)))
    assert [(d.attempt, d.status_code) for d in log] == [(1, 502), (2, 502), (3, 502)]
    # A failed head no longer blocks the application's later webhooks.
    assert len(webhooks.claim_due(engine, utcnow())) == 1


def test_an_unreachable_bank_is_logged_as_an_error(
    app_client: TestClient, engine: Engine, settings: Settings, make_terminal: MakeTerminal
) -> None:
    terminal = make_terminal("yinzhengtong", callback_url="http://127.0.0.1:9/closed")
    _instant(terminal)
    webhooks.deliver_due(engine, _fast(settings))
    with Session(engine) as session:
        (delivery,) = session.exec(select(WebhookDelivery)).all()
    assert delivery.status_code is None
    assert delivery.error is not None
    assert "ConnectError" in delivery.error


def test_serve_delivers_in_its_own_thread(
    settings: Settings,
    engine: Engine,
    authority: LicenceAuthority,
    make_terminal: MakeTerminal,
    receiver: Receiver,
) -> None:
    fast = _fast(settings)
    app = create_app(fast, engine, authority, webhook_worker=True)
    with TestClient(app, base_url=fast.base_url) as client:
        _trust_published_key(client, receiver)
        terminal = make_terminal("yinzhengtong", callback_url=receiver.url)
        terminal.http = client
        _instant(terminal)
        deadline = time.monotonic() + 20
        while len(receiver.delivered()) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [e["status"] for e in receiver.delivered()] == ["submitted", "accepted", "approved"]
    assert all(r["verdict"] == "verified" for r in receiver.received)


def test_the_webhook_key_is_created_once_and_kept(settings: Settings) -> None:
    first = webhooks.webhook_key(settings.webhook_key_path)
    assert settings.webhook_key_path.stat().st_mode & 0o777 == 0o600
    webhooks._keys.clear()  # a new process
    again = webhooks.webhook_key(settings.webhook_key_path)
    assert again.keyid == first.keyid
    assert len(first.keyid) == 43  # RFC 7638 SHA-256 thumbprint, base64url
