"""Development keys for `make run`: every development client can attest identities, and one
development terminal signs its requests, so the whole protocol can be tried by hand.

Private keys are written to `<data dir>/dev-keys/` (mode 600); production never calls this.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlmodel import Session

from bank_adapter import public_key_pem, write_private_key
from registration.services import clients

DEV_TERMINAL = ("dev-terminal", "yinzhengtong", "Development signing terminal")


def _write_key(path: Path) -> str:
    """Create an Ed25519 key at `path`; return its public PEM."""
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private_key(path, key, replace=True)
    return public_key_pem(key)


def ensure_dev_keys(
    engine: Engine, data_dir: Path, client_ids: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Attestation keys for `client_ids` and a signing terminal; returns (attestation key paths
    by client, the terminal's connection settings)."""
    directory = data_dir / "dev-keys"
    attestation_paths: dict[str, str] = {}
    with Session(engine, expire_on_commit=False) as session:
        client_id, channel, org = DEV_TERMINAL
        terminal_key = directory / f"{client_id}-key.pem"
        if client_id not in {c.client_id for c in clients.list_clients(session)}:
            clients.register_client(
                session,
                client_id,
                channel,
                org,
                request_keys=[clients.KeySpec(_write_key(terminal_key), f"{client_id}-1")],
                by="development-setup",
            )
        existing = {c.client_id for c in clients.list_clients(session)}
        for owner in [*client_ids, client_id]:
            if owner not in existing:
                continue
            path = directory / f"{owner}-attestation-key.pem"
            if not clients.active_attestation_keys(session, owner):
                clients.add_key(
                    session,
                    owner,
                    clients.KeySpec(_write_key(path)),
                    "attestation",
                    by="development-setup",
                )
            attestation_paths[owner] = str(path)
    terminal = {
        "client_id": client_id,
        "keyid": f"{client_id}-1",
        "key": str(terminal_key),
        "attestation_key": attestation_paths[client_id],
    }
    return attestation_paths, terminal
