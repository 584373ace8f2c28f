"""Development accounts for `make run`: created once, credentials kept in the data directory."""

from __future__ import annotations

import json
import os
import secrets
import shlex
from pathlib import Path
from typing import Any

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


def ensure_dev_accounts(engine: Engine, data_dir: Path) -> dict[str, Any]:
    """Create missing development officers and clients; return every credential."""
    path = data_dir / "dev-credentials.json"
    stored: dict[str, Any] = (
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
    # Attestation keys for every client, and a terminal per channel that signs
    # (docs/terminal-protocol.md).
    stored["attestation_keys"], terminals = ensure_dev_keys(
        engine, data_dir, [client_id for client_id, _, _ in DEV_CLIENTS]
    )
    stored["signing_terminals"] = terminals
    stored["signing_terminal"] = terminals["yinzhengtong"]  # the name earlier runs printed
    path.write_text(json.dumps(stored, indent=2))
    os.chmod(path, 0o600)
    return stored


# The example payloads are the integrators' contract in tests/contract/ (tests/test_contract.py
# submits each as-is, so what the quickstart runs cannot drift from what the service accepts).
EXAMPLES = Path(__file__).resolve().parents[2] / "tests" / "contract"
CHANNEL_FILES = {
    "yinzhengtong": "application-yinzhengtong.json",
    "hong_kong": "application-hong-kong.json",
    "paris": "application-paris.json",
}
# Paris's example asks for 食品销售 (a permit item): front desk accepts, food safety approves.
MANUAL_CHANNELS = frozenset({"paris"})


def _shown(path: Path) -> str:
    """`path` relative to the working directory when below it (ready to paste), else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def quickstart_commands(
    credentials: dict[str, Any], base_url: str, executable: str
) -> dict[str, list[str]]:
    """A ready `bizreg terminal submit` (argv) per channel: signed requests, simulated bank
    attestations, waiting for the licence and saving it as `licence-<channel>.pdf`."""
    terminals: dict[str, dict[str, str]] = credentials["signing_terminals"]
    commands = {}
    for channel, file_name in CHANNEL_FILES.items():
        terminal = terminals[channel]
        commands[channel] = [
            executable,
            "terminal",
            "submit",
            _shown(EXAMPLES / file_name),
            "--base-url",
            base_url,
            "--client-id",
            terminal["client_id"],
            "--keyid",
            terminal["keyid"],
            "--key",
            _shown(Path(terminal["key"])),
            "--attestation-key",
            _shown(Path(terminal["attestation_key"])),
            # Long enough for officers to act by hand on the manual path.
            "--wait",
            "900" if channel in MANUAL_CHANNELS else "30",
            "--pdf",
            f"licence-{channel.replace('_', '-')}.pdf",
        ]
    return commands


def quickstart_text(credentials: dict[str, Any], base_url: str, executable: str) -> list[str]:
    """What `bizreg serve` prints in development: a command per channel and the manual path."""
    lines = ["First licence, one ready command per channel (signed requests, RFC 9421):"]
    for channel, argv in quickstart_commands(credentials, base_url, executable).items():
        path = "manual (officers decide)" if channel in MANUAL_CHANNELS else "instant"
        lines.append(f"  # {channel}: {path}")
        lines.append("  " + shlex.join(argv))
    officers = credentials["officers"]
    lines.append(
        "Manual path (paris): while its command waits, sign in at "
        f"{base_url}/console as frontdesk"
        + (f" / {officers['frontdesk']}" if "frontdesk" in officers else "")
        + ": take the application, accept; then as foodsafety"
        + (f" / {officers['foodsafety']}" if "foodsafety" in officers else "")
        + ": take it, approve. The command then saves the licence."
    )
    return lines
