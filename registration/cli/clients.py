"""`bizreg client …`: the client registry from the command line (what the registrar's admin API
does, for the operator of the deployment)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import Engine

from registration.db import create_db_engine, session_scope
from registration.errors import ServiceError
from registration.models import ATTESTATION, REQUEST_SIGNING
from registration.services import clients
from registration.settings import Settings

CHANNELS = ["yinzhengtong", "hong_kong", "paris"]


def _engine() -> Engine:
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return create_db_engine(settings.effective_database_url)


# Who is doing it: recorded with the change, in the transparency log.
by_option = click.option(
    "--by", required=True, help="Who makes this change (an officer's username), for the record"
)


def _pem(path: Path) -> str:
    return path.read_text("ascii")


@click.command("add")
@click.argument("client_id")
@click.option("--channel", required=True, type=click.Choice(CHANNELS))
@click.option("--org", required=True, help="Organisation operating the client")
@click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Request-signing public key, PEM (Ed25519 or P-256); repeatable",
)
@click.option("--keyid", "keyids", multiple=True, help="keyid of each --public-key, in order")
@click.option(
    "--attestation-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Public key (PEM) the bank signs identity attestations with",
)
@click.option("--callback-url", help="Where status-change webhooks are POSTed")
@by_option
def client_add(
    client_id: str,
    channel: str,
    org: str,
    public_keys: tuple[Path, ...],
    keyids: tuple[str, ...],
    attestation_key: Path | None,
    callback_url: str | None,
    by: str,
) -> None:
    """Register a client. With --public-key it must sign every request (RFC 9421) and the
    registered keys are printed; without, it is a development client and its bearer token is
    printed (shown once)."""
    if len(keyids) > len(public_keys):
        raise click.UsageError("more --keyid than --public-key")
    specs = [
        clients.KeySpec(_pem(path), keyids[i] if i < len(keyids) else None)
        for i, path in enumerate(public_keys)
    ]
    settings = Settings()
    with session_scope(_engine()) as session:
        try:
            _, keys, token = clients.register_client(
                session,
                client_id,
                channel,
                org,
                request_keys=specs,
                attestation_key=clients.KeySpec(_pem(attestation_key)) if attestation_key else None,
                callback_url=callback_url,
                require_https=not settings.is_development,
                by=by,
            )
        except ServiceError as error:
            raise click.ClickException(error.detail) from None
    if token is not None:
        click.echo(token)
        return
    for key in keys:
        click.echo(f"{key.purpose} key {key.keyid} ({key.alg}, sha256 {key.fingerprint})")


@click.command("add-key")
@click.argument("client_id")
@click.argument("public_key", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--keyid", help="Default: derived from the key's fingerprint")
@click.option(
    "--purpose", type=click.Choice([REQUEST_SIGNING, ATTESTATION]), default=REQUEST_SIGNING
)
@by_option
def client_add_key(
    client_id: str, public_key: Path, keyid: str | None, purpose: str, by: str
) -> None:
    """Add a key (rotation: add the new keyid, switch the terminals, revoke the old one)."""
    with session_scope(_engine()) as session:
        try:
            key = clients.add_key(
                session, client_id, clients.KeySpec(_pem(public_key), keyid), purpose, by=by
            )
        except ServiceError as error:
            raise click.ClickException(error.detail) from None
    click.echo(f"{key.purpose} key {key.keyid} ({key.alg}, sha256 {key.fingerprint})")


@click.command("revoke-key")
@click.argument("client_id")
@click.argument("keyid")
@by_option
def client_revoke_key(client_id: str, keyid: str, by: str) -> None:
    """Revoke a key at once."""
    with session_scope(_engine()) as session:
        try:
            clients.revoke_key(session, client_id, keyid, by=by)
        except ServiceError as error:
            raise click.ClickException(error.detail) from None
    click.echo(f"key {keyid} revoked")


def _set_active(client_id: str, active: bool, by: str) -> None:
    with session_scope(_engine()) as session:
        try:
            clients.set_active(session, client_id, active, by=by)
        except ServiceError as error:
            raise click.ClickException(error.detail) from None
    click.echo(f"client {client_id} {'resumed' if active else 'suspended'}")


@click.command("suspend")
@click.argument("client_id")
@by_option
def client_suspend(client_id: str, by: str) -> None:
    """Refuse every request of the client until it is resumed."""
    _set_active(client_id, False, by)


@click.command("resume")
@click.argument("client_id")
@by_option
def client_resume(client_id: str, by: str) -> None:
    """Accept the client's requests again."""
    _set_active(client_id, True, by)


CLIENT_COMMANDS = [client_add, client_add_key, client_revoke_key, client_suspend, client_resume]
