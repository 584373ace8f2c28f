"""The sandbox's data directory, its client with the known test keys, and its app."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from registration.app import create_app
from registration.errors import Conflict
from registration.issuance.authority import build_authority
from registration.sandbox import journal, report, routes
from registration.services import clients
from registration.settings import Settings

# The conformance kit's test keys (public seeds): a bank configures its client with them before
# the sandbox starts, and the vectors were made with the same ones.
KEYS_FILE: Final = Path(__file__).resolve().parents[2] / "conformance" / "vectors" / "keys.json"
CLIENT_ID: Final = "boc-dongguan-nancheng-t01"  # the `iss` of the vectors' attestations
CHANNEL: Final = "yinzhengtong"
REQUEST_KEYS: Final = ("terminal-ed25519", "terminal-p256")
ATTESTATION_KEY: Final = "attester-ed25519"


@dataclass
class Sandbox:
    journal: journal.Journal
    report_key: Ed25519PrivateKey


def known_keys() -> dict[str, Any]:
    keys: dict[str, Any] = json.loads(KEYS_FILE.read_text("utf-8"))["keys"]
    return keys


def prepare(engine: Engine, data_dir: Path) -> dict[str, Any]:
    """Register the sandbox client (once) and write what a bank needs to configure its client:
    `<data dir>/sandbox.json` and the private keys as PEM files beside it."""
    keys = known_keys()
    # Registered by an earlier start: a Conflict, and nothing to do.
    with Session(engine) as session, contextlib.suppress(Conflict):
        clients.register_client(
            session,
            CLIENT_ID,
            CHANNEL,
            "Sandbox bank terminal",
            request_keys=[
                clients.KeySpec(keys[name]["public_pem"], keys[name]["keyid"])
                for name in REQUEST_KEYS
            ],
            attestation_key=clients.KeySpec(
                keys[ATTESTATION_KEY]["public_pem"], keys[ATTESTATION_KEY]["keyid"]
            ),
            by="sandbox",
        )
    files = {}
    for name in (*REQUEST_KEYS, ATTESTATION_KEY):
        path = data_dir / f"{name}.pem"
        path.write_text(keys[name]["private_pem"], "utf-8")
        path.chmod(0o600)
        files[name] = {"keyid": keys[name]["keyid"], "private_key": str(path)}
    description = {
        "client_id": CLIENT_ID,
        "channel": CHANNEL,
        "request_keys": {name: files[name] for name in REQUEST_KEYS},
        "attestation_key": files[ATTESTATION_KEY],
        "keys_file": str(KEYS_FILE),
    }
    (data_dir / "sandbox.json").write_text(json.dumps(description, indent=2), "utf-8")
    return description


def sandbox_app(settings: Settings) -> FastAPI:
    # Issuance and webhook delivery in this process: the sandbox is one process, like `make run`.
    app = create_app(
        settings, authority=build_authority(settings), issuance_worker=True, webhook_worker=True
    )
    app.state.sandbox = Sandbox(
        journal=journal.Journal(settings.data_dir / "sandbox-journal.jsonl"),
        report_key=report.report_key(settings.data_dir / "sandbox-report-key.pem"),
    )
    app.include_router(routes.router)
    app.add_middleware(journal.Recorder, journal=app.state.sandbox.journal)
    return app
