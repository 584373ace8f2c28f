"""The webhook signing key rotates with overlap: the JWK Set lists the new and the old key
while deliveries signed with the old one drain, every attempt after the rotation is signed
with the new key, and the old one is retired only once nothing pending was signed with it."""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bank_adapter import (
    InMemoryNonceStore,
    RequestSignatureError,
    verify_request,
    write_private_key,
)
from registration.cli import main
from registration.db import utcnow
from registration.errors import KeyNotFound, WebhookKeyCurrent, WebhookKeyInUse
from registration.models import AdminEvent, WebhookOutbox
from registration.services import webhooks
from registration.settings import Settings
from tests.conftest import example
from tests.terminals.conftest import MakeTerminal, Terminal


@dataclass
class JwksReceiver:
    """A bank's webhook endpoint that trusts whatever the authority's JWK Set lists, and
    fetches the set again when a signature names a kid it has not seen (after a rotation)."""

    fetch_jwks: Any = None
    origin: str = ""
    url: str = ""
    keys: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    verdicts: list[tuple[str, str]] = field(default_factory=list)  # (keyid, verdict)
    nonces: InMemoryNonceStore = field(default_factory=InMemoryNonceStore)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def resolve(self, keyid: str) -> Ed25519PublicKey | None:
        if keyid not in self.keys:
            for jwk in self.fetch_jwks()["keys"]:
                raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
                self.keys[jwk["kid"]] = Ed25519PublicKey.from_public_bytes(raw)
        return self.keys.get(keyid)

    def handle(self, path: str, headers: list[tuple[str, str]], body: bytes) -> int:
        try:
            verified = verify_request(
                "POST",
                self.origin + path,
                headers,
                body,
                resolve_key=self.resolve,
                now=datetime.now(UTC),
                nonce_store=self.nonces,
            )
            verdict, keyid = "verified", verified.keyid
        except RequestSignatureError as error:
            verdict, keyid = error.code, ""
        with self.lock:
            self.verdicts.append((keyid, verdict))
        return 200 if verdict == "verified" else 401


@pytest.fixture
def receiver(app_client: TestClient) -> Iterator[JwksReceiver]:
    state = JwksReceiver(fetch_jwks=lambda: app_client.get("/api/v1/webhooks/keys").json())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(state.handle(self.path, list(self.headers.items()), body))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.origin = f"http://127.0.0.1:{server.server_address[1]}"
    state.url = f"{state.origin}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _kids(app_client: TestClient) -> list[str]:
    response = app_client.get("/api/v1/webhooks/keys")
    assert response.headers["content-type"] == "application/jwk-set+json"
    return [jwk["kid"] for jwk in response.json()["keys"]]


def _instant(terminal: Terminal) -> str:
    app_id: str = terminal.create(example("yinzhengtong"))["id"]
    terminal.attest_all(app_id, example("yinzhengtong"))
    submitted = terminal.request("POST", f"/api/v1/applications/{app_id}/submit")
    assert submitted.json()["status"] == "approved", submitted.text
    return app_id


def _pending(engine: Engine) -> list[tuple[str | None, int]]:
    with Session(engine) as session:
        rows = session.exec(
            select(WebhookOutbox)
            .where(WebhookOutbox.status == "pending")
            .order_by(col(WebhookOutbox.seq))
        ).all()
    return [(row.signed_keyid, row.attempts) for row in rows]


def _make_due(engine: Engine) -> None:
    with Session(engine) as session:
        for row in session.exec(select(WebhookOutbox)):
            row.next_attempt_at = utcnow()
            session.add(row)
        session.commit()


def test_rotation_overlaps_drains_and_retires(
    app_client: TestClient,
    engine: Engine,
    settings: Settings,
    make_terminal: MakeTerminal,
    receiver: JwksReceiver,
) -> None:
    old = webhooks.webhook_key(settings.webhook_key_path)
    assert _kids(app_client) == [old.keyid]
    terminal = make_terminal("yinzhengtong", callback_url=receiver.url)
    _instant(terminal)
    # The bank is down: the first webhook's attempt is signed with the old key, and waits.
    down = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(503)))
    webhooks.deliver_due(engine, settings, http=down)
    assert _pending(engine)[0] == (old.keyid, 1)

    with Session(engine) as session:
        new, previous = webhooks.rotate_key(session, settings, by="ops-chen")
    assert previous == old.keyid != new.keyid
    # Overlap: the new key first (it signs), the old one still published, both as PEM too.
    assert _kids(app_client) == [new.keyid, old.keyid]
    for kid in (new.keyid, old.keyid):
        pem = app_client.get(f"/api/v1/webhooks/keys/{kid}.pem")
        assert pem.status_code == 200
        assert pem.content.startswith(b"-----BEGIN PUBLIC KEY-----")
    # The replaced key's private half is gone: only public keys are kept for the overlap.
    (kept,) = webhooks.previous_keys_dir(settings.webhook_key_path).iterdir()
    assert b"PRIVATE" not in kept.read_bytes()

    with Session(engine) as session, pytest.raises(WebhookKeyInUse) as in_use:
        webhooks.retire_key(session, settings, old.keyid, by="ops-chen")
    assert in_use.value.extra == {"pending": 1}
    with Session(engine) as session, pytest.raises(WebhookKeyCurrent):
        webhooks.retire_key(session, settings, new.keyid, by="ops-chen")

    # The retry and everything after are signed with the new key, and verify against the
    # JWK Set the receiver fetches when it meets the new kid.
    _make_due(engine)
    for _ in range(3):
        webhooks.deliver_due(engine, settings)
    assert receiver.verdicts == [(new.keyid, "verified")] * 3
    assert _pending(engine) == []

    with Session(engine) as session:
        assert webhooks.retire_key(session, settings, old.keyid, by="ops-chen") == 0
    assert _kids(app_client) == [new.keyid]
    assert app_client.get(f"/api/v1/webhooks/keys/{old.keyid}.pem").status_code == 404
    with Session(engine) as session, pytest.raises(KeyNotFound):
        webhooks.retire_key(session, settings, old.keyid, by="ops-chen")
    with Session(engine) as session:
        events = session.exec(
            select(AdminEvent)
            .where(col(AdminEvent.action).startswith("webhook_key."))
            .order_by(col(AdminEvent.id))
        ).all()
    assert [(e.action, e.target, e.actor) for e in events] == [
        ("webhook_key.rotate", f"webhook_key:{new.keyid}", "ops-chen"),
        ("webhook_key.retire", f"webhook_key:{old.keyid}", "ops-chen"),
    ]
    assert events[0].detail == {"previous": old.keyid}


def test_a_delivery_signed_before_the_rotation_still_verifies(
    app_client: TestClient,
    engine: Engine,
    settings: Settings,
    make_terminal: MakeTerminal,
    receiver: JwksReceiver,
) -> None:
    """A bank that queues webhooks and checks them later: the old kid is still published."""
    old = webhooks.webhook_key(settings.webhook_key_path)
    terminal = make_terminal("yinzhengtong", callback_url=receiver.url)
    _instant(terminal)
    captured: list[httpx.Request] = []

    def accept_and_queue(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(202)

    webhooks.deliver_due(
        engine, settings, http=httpx.Client(transport=httpx.MockTransport(accept_and_queue))
    )
    assert len(captured) == 1
    with Session(engine) as session:
        webhooks.rotate_key(session, settings, by="ops-chen")
    request = captured[0]
    status = receiver.handle(
        request.url.raw_path.decode(), request.headers.multi_items(), request.content
    )
    assert (status, receiver.verdicts) == (200, [(old.keyid, "verified")])


def test_another_process_picks_up_the_rotated_key(settings: Settings, tmp_path: Path) -> None:
    path = settings.webhook_key_path
    before = webhooks.webhook_key(path)  # cached in this process
    # What `bizreg webhook-key rotate` in another process does to the file: replace it.
    replacement = tmp_path / "new-key.pem"
    write_private_key(replacement, Ed25519PrivateKey.generate())
    os.replace(replacement, path)
    after = webhooks.webhook_key(path)
    assert after.keyid != before.keyid
    assert after.keyid == webhooks.jwk_thumbprint(after.private_key.public_key())
    assert webhooks.webhook_key(path) is after  # cached again until the file changes


@pytest.mark.parametrize("kid", ["../webhook-signing-key", "x" * 43, ""])
def test_retiring_an_unknown_kid_is_refused(settings: Settings, engine: Engine, kid: str) -> None:
    with Session(engine) as session, pytest.raises(KeyNotFound):
        webhooks.retire_key(session, settings, kid, by="ops", force=True)


def test_cli_rotates_lists_and_retires(
    engine: Engine, database_url: str, tmp_path: Path, settings: Settings
) -> None:
    env = {"BIZREG_DATABASE_URL": database_url, "BIZREG_DATA_DIR": str(settings.data_dir)}
    runner = CliRunner()
    first = webhooks.webhook_key(settings.webhook_key_path)
    unattributed = runner.invoke(main, ["webhook-key", "rotate"], env=env)
    assert unattributed.exit_code == 2
    assert "--by" in unattributed.output
    rotated = runner.invoke(main, ["webhook-key", "rotate", "--by", "ops-chen"], env=env)
    assert rotated.exit_code == 0, rotated.output
    current = webhooks.webhook_key(settings.webhook_key_path)
    assert current.keyid in rotated.output
    listed = runner.invoke(main, ["webhook-key", "list"], env=env)
    assert listed.output.splitlines() == [
        f"{current.keyid} current pending=0",
        f"{first.keyid} previous pending=0",
    ]
    refused = runner.invoke(
        main, ["webhook-key", "retire", "--by", "ops-chen", "--", current.keyid], env=env
    )
    assert refused.exit_code == 1
    assert "rotate first" in refused.output
    retired = runner.invoke(
        main, ["webhook-key", "retire", "--by", "ops-chen", "--", first.keyid], env=env
    )
    assert retired.exit_code == 0, retired.output
    assert [kid for kid, _ in webhooks.published_keys(settings.webhook_key_path)] == [current.keyid]
