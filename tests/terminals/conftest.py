"""A registered bank terminal: request-signing key, attestation key, signed requests."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from bank_adapter import BizregClient, PrivateKey, sign_request
from registration.services import clients
from registration.settings import Settings
from tests.terminals.support import JOSE, Attester, new_key, people_to_attest, public_pem


@dataclass
class Terminal:
    client_id: str
    keyid: str
    key: PrivateKey
    attester: Attester
    http: TestClient
    base_url: str

    def reference_client(self) -> BizregClient:
        return BizregClient(self.base_url, self.client_id, self.keyid, self.key, http=self.http)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        created: datetime | None = None,
        keyid: str | None = None,
        key: PrivateKey | None = None,
        nonce: str | None = None,
        tamper: Callable[[httpx.Request], None] | None = None,
        files: Any = None,
        data: Any = None,
    ) -> httpx.Response:
        """Sign and send like a terminal; `tamper` alters the request after signing."""
        all_headers = dict(headers or {})
        if json_body is not None:
            content = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            all_headers.setdefault("Content-Type", "application/json")
        request = self.http.build_request(
            method,
            self.base_url + path,
            content=content,
            headers=all_headers,
            files=files,
            data=data,
        )
        body = request.read()
        request.headers.update(
            sign_request(
                request.method,
                str(request.url),
                request.headers.multi_items(),
                body,
                key=key or self.key,
                keyid=keyid or self.keyid,
                created=created,
                nonce=nonce,
            )
        )
        if tamper is not None:
            tamper(request)
        return self.http.send(request)

    def create(self, channel_payload: dict[str, Any]) -> dict[str, Any]:
        response = self.request("POST", "/api/v1/applications", json_body=channel_payload)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def attest_all(self, application_id: str, data: dict[str, Any]) -> None:
        for person in people_to_attest(data):
            response = self.request(
                "POST",
                f"/api/v1/applications/{application_id}/attestations",
                content=self.attester.token(application_id, person).encode("ascii"),
                headers={"Content-Type": JOSE},
            )
            assert response.status_code == 201, response.text


MakeTerminal = Callable[..., Terminal]


@pytest.fixture
def make_terminal(engine: Engine, app_client: TestClient, settings: Settings) -> MakeTerminal:
    """Register a terminal-channel client with a request-signing and an attestation key."""

    def make(
        channel: str = "yinzhengtong", alg: str = "ed25519", callback_url: str | None = None
    ) -> Terminal:
        client_id = f"{channel}-t-{secrets.token_hex(3)}"
        key = new_key(alg)
        attester = Attester(client_id, new_key("ecdsa-p256" if alg == "ed25519" else "ed25519"))
        with Session(engine, expire_on_commit=False) as session:
            _, keys, token = clients.register_client(
                session,
                client_id,
                channel,
                "Test bank",
                request_keys=[clients.KeySpec(public_pem(key), f"{client_id}-k1")],
                attestation_key=clients.KeySpec(public_pem(attester.key)),
                callback_url=callback_url,
                by="tests",
            )
        assert token is None
        return Terminal(client_id, keys[0].keyid, key, attester, app_client, settings.base_url)

    return make
