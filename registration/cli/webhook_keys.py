"""`bizreg webhook-key list|rotate|retire`: the authority's webhook signing key, rotated with
overlap.

A rotation makes a new current key (every delivery from then on, retries included, is signed
with it) and keeps the replaced key's public half in the JWK Set, so a bank still checking a
delivery signed just before the rotation finds it. `retire` stops publishing a replaced key,
refused while pending webhooks were last signed with it (`--force` to override).
"""

from __future__ import annotations

import click

from registration.cli.clients import by_option
from registration.db import create_db_engine, session_scope
from registration.errors import ServiceError
from registration.services import webhooks
from registration.settings import Settings


def _settings() -> Settings:
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


@click.group("webhook-key")
def webhook_key() -> None:
    """The authority's webhook signing key (published at /api/v1/webhooks/keys)."""


@webhook_key.command("list")
def list_keys() -> None:
    """The published keys: the current one first, then those draining, with pending counts."""
    settings = _settings()
    engine = create_db_engine(settings.effective_database_url)
    keys = webhooks.published_keys(settings.webhook_key_path)
    with session_scope(engine) as session:
        for index, (kid, _) in enumerate(keys):
            role = "current" if index == 0 else "previous"
            pending = webhooks.pending_signed_with(session, kid)
            click.echo(f"{kid} {role} pending={pending}")


@webhook_key.command("rotate")
@by_option
def rotate(by: str) -> None:
    """Make a new current key; the old one stays in the JWK Set until retired."""
    settings = _settings()
    engine = create_db_engine(settings.effective_database_url)
    with session_scope(engine) as session:
        new, previous = webhooks.rotate_key(session, settings, by=by)
    click.echo(f"webhook key {new.keyid} is current; {previous} stays published until retired")


@webhook_key.command("retire")
@click.argument("kid")
@click.option("--force", is_flag=True, help="Retire even while pending webhooks it signed wait")
@by_option
def retire(kid: str, force: bool, by: str) -> None:
    """Stop publishing a replaced key (refused while pending webhooks were signed with it).
    A key id is base64url and may begin with "-": put `--` before it."""
    settings = _settings()
    engine = create_db_engine(settings.effective_database_url)
    with session_scope(engine) as session:
        try:
            pending = webhooks.retire_key(session, settings, kid, by=by, force=force)
        except ServiceError as error:
            raise click.ClickException(error.detail) from None
    suffix = f" ({pending} pending webhook(s) it signed will be re-signed)" if pending else ""
    click.echo(f"webhook key {kid} retired{suffix}")
