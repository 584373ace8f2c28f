"""A real bizreg server on a loopback port, for tests that need real HTTP peers (validators
fetching CRLs from the certificates' distribution points, browsers)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlmodel import Session

from registration.app import create_app
from registration.db import create_db_engine, upgrade_database
from registration.domain.workflow import Role
from registration.issuance.authority import LicenceAuthority, build_authority
from registration.services import accounts, clients
from registration.settings import Settings
from registration.workers.api_processes import HTTP_PARSER
from tests.terminals.support import ATTESTERS, Attester, public_pem


@dataclass
class LiveService:
    base_url: str
    settings: Settings
    authority: LicenceAuthority
    http: httpx.Client

    def client_headers(self, channel: str) -> dict[str, str]:
        # With an attestation key, so `attest_over_http` can verify identities before submit.
        attester = Attester(f"live-{channel}-{time.monotonic_ns()}")
        engine = create_db_engine(self.settings.effective_database_url)
        with Session(engine) as session:
            _, _, token = clients.register_client(
                session,
                attester.client_id,
                channel,
                "Live",
                attestation_key=clients.KeySpec(public_pem(attester.key)),
                by="tests",
            )
        engine.dispose()
        headers = {"Authorization": f"Bearer {token}"}
        ATTESTERS[headers["Authorization"]] = attester
        return headers

    def officer_headers(self, role: Role, categories: tuple[str, ...] = ()) -> dict[str, str]:
        username, password = f"{role.value}-{time.monotonic_ns()}", "live-test-password"
        engine = create_db_engine(self.settings.effective_database_url)
        with Session(engine) as session:
            accounts.add_officer(session, username, role, password, categories, by="tests")
        engine.dispose()
        token = self.http.post(
            "/api/v1/auth/token", data={"username": username, "password": password}
        ).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    def wait_issued(
        self, app_id: str, headers: dict[str, str], timeout: float = 60
    ) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body: dict[str, object] = self.http.get(
                f"/api/v1/applications/{app_id}", headers=headers
            ).json()
            if body["status"] == "issued":
                return body
            time.sleep(0.05)
        raise TimeoutError(f"application {app_id} was not issued within {timeout}s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def live_service(
    data_dir: Path, *, background: bool = False, **overrides: Any
) -> Iterator[LiveService]:
    """`background`: also the webhook, mail and checkpoint workers (as `bizreg serve`)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(
        data_dir=data_dir,
        public_base_url=base_url,
        database_url=f"sqlite:///{data_dir / 'live.db'}",
        **overrides,
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.effective_database_url)
    upgrade_database(engine)
    authority = build_authority(settings)
    app = create_app(settings, engine, authority, issuance_worker=True, webhook_worker=background)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, http=HTTP_PARSER, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    with httpx.Client(base_url=base_url, timeout=30) as http:
        for _ in range(200):
            try:
                if http.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield LiveService(base_url, settings, authority, http)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()
