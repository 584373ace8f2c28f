"""Development accounts for `make run`: created once, credentials kept in the data directory."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from registration.cli.devkeys import ensure_dev_keys
from registration.domain.workflow import Role
from registration.errors import Conflict
from registration.services import accounts

DEV_OFFICERS: list[tuple[str, Role, list[str]]] = [
    ("frontdesk", Role.FRONT_DESK, []),
    ("backoffice", Role.BACK_OFFICE, ["general"]),
    ("foodsafety", Role.BACK_OFFICE, ["food_safety"]),
    ("registrar", Role.REGISTRAR_ADMIN, []),
    ("regulator", Role.REGULATOR, []),
    ("auditor", Role.AUDITOR, []),
]
DEV_CLIENTS = [
    ("dev-yinzhengtong", "yinzhengtong", "Development bank terminal"),
    ("dev-hong-kong", "hong_kong", "Development Hong Kong app gateway"),
    ("dev-paris", "paris", "Development Paris partner branch"),
]


def ensure_dev_accounts(engine: Engine, data_dir: Path) -> dict[str, dict[str, str]]:
    """Create missing development officers and clients; return every credential."""
    path = data_dir / "dev-credentials.json"
    stored: dict[str, dict[str, str]] = (
        json.loads(path.read_text())
        if path.exists()
        else {
            "officers": {},
            "clients": {},
        }
    )
    with Session(engine, expire_on_commit=False) as session:
        for username, role, categories in DEV_OFFICERS:
            if username in stored["officers"]:
                continue
            password = secrets.token_urlsafe(12)
            try:
                accounts.add_officer(
                    session, username, role, password, categories, by="development-setup"
                )
            except Conflict:
                continue  # created by hand earlier; its password is not ours to print
            stored["officers"][username] = password
        for client_id, channel, org in DEV_CLIENTS:
            if client_id in stored["clients"]:
                continue
            try:
                _, token = accounts.add_client(session, client_id, channel, org)
            except Conflict:
                continue
            stored["clients"][client_id] = token
    # Attestation keys for every client, and a terminal that signs (docs/terminal-protocol.md).
    stored["attestation_keys"], stored["signing_terminal"] = ensure_dev_keys(
        engine, data_dir, [client_id for client_id, _, _ in DEV_CLIENTS]
    )
    path.write_text(json.dumps(stored, indent=2))
    os.chmod(path, 0o600)
    return stored
