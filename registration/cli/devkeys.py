"""Development keys for `make run`: every development client can attest identities, and one
development terminal per channel signs its requests, so the whole protocol can be tried by hand.

Private keys are written to `<data dir>/dev-keys/` (mode 600); production never calls this.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlmodel import Session

from bank_adapter import public_key_pem, write_private_key
from registration.services import clients

# One signing terminal per channel: a client with a request-signing key may not use a bearer
# token, and the service refuses an application whose channel is not its client's
# (`channel_mismatch`), so each channel needs its own.
DEV_TERMINALS = [
    ("dev-terminal", "yinzhengtong", "Development signing terminal"),
    ("dev-terminal-hong-kong", "hong_kong", "Development Hong Kong signing app gateway"),
    ("dev-terminal-paris", "paris", "Development Paris signing partner branch"),
]
DEV_TERMINAL = DEV_TERMINALS[0]


def _write_key(path: Path) -> str:
    """Create an Ed25519 key at `path`; return its public PEM."""
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private_key(path, key, replace=True)
    return public_key_pem(key)


def ensure_dev_keys(
    engine: Engine, data_dir: Path, client_ids: list[str]
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Attestation keys for `client_ids` and a signing terminal per channel; returns
    (attestation key paths by client, each terminal's connection settings by channel)."""
    directory = data_dir / "dev-keys"
    attestation_paths: dict[str, str] = {}
    with Session(engine, expire_on_commit=False) as session:
        registered = {c.client_id for c in clients.list_clients(session)}
        for client_id, channel, org in DEV_TERMINALS:
            if client_id in registered:
                continue
            clients.register_client(
                session,
                client_id,
                channel,
                org,
                request_keys=[
                    clients.KeySpec(
                        _write_key(directory / f"{client_id}-key.pem"), f"{client_id}-1"
                    )
                ],
                by="development-setup",
            )
        existing = {c.client_id for c in clients.list_clients(session)}
        for owner in [*client_ids, *(t[0] for t in DEV_TERMINALS)]:
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
    terminals = {
        channel: {
            "client_id": client_id,
            "channel": channel,
            "keyid": f"{client_id}-1",
            "key": str(directory / f"{client_id}-key.pem"),
            "attestation_key": attestation_paths[client_id],
        }
        for client_id, channel, _ in DEV_TERMINALS
    }
    return attestation_paths, terminals
