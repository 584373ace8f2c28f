"""A bank's client running the sandbox scenario (docs/sandbox.md), in Python with bank_adapter:
what the Java client does too. `run(base_url, sandbox_json, steps=...)` performs the steps asked
for, so tests can also leave some out."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bank_adapter.attestations import sign_attestation
from bank_adapter.http_signatures import sign_request, verify_request
from bank_adapter.keys import PrivateKey, load_private_key
from bank_adapter.nonces import InMemoryNonceStore
from tests.conftest import example
from tests.terminals.support import people_to_attest

ALL_STEPS = ("signed", "replay", "retry", "attest", "licence", "webhook")


@dataclass
class Hooks:
    """The bank's callback endpoint: every delivery as received."""

    received: list[tuple[str, str, list[tuple[str, str]], bytes]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)


def serve_callback(hooks: Hooks) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hooks.received.append(("POST", self.path, list(self.headers.items()), body))
            hooks.arrived.set()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Terminal:
    def __init__(self, base_url: str, described: Mapping[str, Any]) -> None:
        self.base = base_url.rstrip("/")
        self.client_id = described["client_id"]
        key = described["request_keys"]["terminal-ed25519"]
        self.keyid = key["keyid"]
        self.key: PrivateKey = load_private_key(Path(key["private_key"]).read_bytes())
        attestation = described["attestation_key"]
        self.attestation_kid = attestation["keyid"]
        self.attestation_key = load_private_key(Path(attestation["private_key"]).read_bytes())
        self.http = httpx.Client(timeout=30)

    def build(
        self, method: str, path: str, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Request:
        all_headers = dict(headers or {})
        content = b""
        if isinstance(body, bytes):
            content = body
        elif body is not None:
            content = json.dumps(body, ensure_ascii=False).encode()
            all_headers.setdefault("Content-Type", "application/json")
        request = self.http.build_request(
            method, self.base + path, content=content, headers=all_headers
        )
        request.headers.update(
            sign_request(
                method,
                str(request.url),
                request.headers.multi_items(),
                content,
                key=self.key,
                keyid=self.keyid,
            )
        )
        return request

    def send(self, method: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
        fields = {name.replace("_", "-"): value for name, value in headers.items()}
        return self.http.send(self.build(method, path, body, fields))


def run(base_url: str, described: Mapping[str, Any], steps: Iterable[str] = ALL_STEPS) -> Hooks:
    wanted = set(steps)
    terminal = Terminal(base_url, described)
    hooks = Hooks()
    server = serve_callback(hooks)
    callback = f"http://127.0.0.1:{server.server_address[1]}/bizreg/webhooks"
    assert terminal.send("PUT", "/sandbox/v1/callback", {"url": callback}).status_code == 200

    payload = example("yinzhengtong")
    key = str(uuid.uuid4())
    created = terminal.send("POST", "/api/v1/applications", payload, Idempotency_Key=key)
    assert created.status_code == 201, created.text
    application_id = created.json()["id"]
    if "retry" in wanted:
        again = terminal.send("POST", "/api/v1/applications", payload, Idempotency_Key=key)
        assert again.headers.get("idempotent-replayed") == "true", again.text
    if "replay" in wanted:
        request = terminal.build("GET", f"/api/v1/applications/{application_id}")
        assert terminal.http.send(request).status_code == 200
        replayed = terminal.http.send(request)
        assert replayed.json()["code"] == "replayed_nonce", replayed.text
    if "attest" in wanted:
        for person in people_to_attest(payload):
            token = _attestation(terminal, application_id, person)
            answer = terminal.send(
                "POST",
                f"/api/v1/applications/{application_id}/attestations",
                token.encode(),
                Content_Type="application/jose",
            )
            assert answer.status_code == 201, answer.text
    if "licence" in wanted:
        submit = f"/api/v1/applications/{application_id}/submit"
        submitted = terminal.send("POST", submit, Idempotency_Key=str(uuid.uuid4()))
        assert submitted.status_code == 200, submitted.text
        pdf_url = _wait_for_licence(terminal, application_id)
        assert terminal.send("GET", pdf_url).status_code == 200
    if "webhook" in wanted:
        event_id, keyid = _verified_webhook(terminal, hooks, callback)
        receipt = terminal.send(
            "POST", "/sandbox/v1/webhook-receipts", {"event_id": event_id, "keyid": keyid}
        )
        assert receipt.status_code == 201, receipt.text
    server.shutdown()
    return hooks


def _attestation(terminal: Terminal, application_id: str, person: Mapping[str, Any]) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": terminal.client_id,
        "aud": "bizreg",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "jti": str(uuid.uuid4()),
        "application_id": application_id,
        "person": {
            "name": person["name"],
            "document_type": person["document"]["type"],
            "document_number": person["document"]["number"],
            "nationality": person["nationality"],
            "birth_date": person["birth_date"],
        },
        "evidence": {
            "document_chip_read": True,
            "face_match_score": 0.97,
            "liveness_passed": True,
            "checked_at": (now - timedelta(seconds=5)).isoformat(),
        },
    }
    return sign_attestation(claims, terminal.attestation_key, kid=terminal.attestation_kid)


def _wait_for_licence(terminal: Terminal, application_id: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = terminal.send("GET", f"/api/v1/applications/{application_id}").json()
        if state["status"] == "issued" and state.get("licence"):
            return str(state["licence"]["pdf_url"])
        time.sleep(0.3)
    raise AssertionError(f"application {application_id} was not issued within 60 s")


def _verified_webhook(terminal: Terminal, hooks: Hooks, callback: str) -> tuple[str, str]:
    jwks = terminal.http.get(terminal.base + "/api/v1/webhooks/keys").json()["keys"]
    keys = {
        jwk["kid"]: Ed25519PublicKey.from_public_bytes(
            base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
        )
        for jwk in jwks
    }
    nonces = InMemoryNonceStore()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for method, path, headers, body in list(hooks.received):
            verified = verify_request(
                method,
                callback.split("/bizreg")[0] + path,
                headers,
                body,
                resolve_key=keys.get,
                now=datetime.now(UTC),
                nonce_store=nonces,
            )
            return json.loads(body)["id"], verified.keyid
        hooks.arrived.wait(0.5)
    raise AssertionError("no webhook arrived within 60 s")
