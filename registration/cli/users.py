"""`bizreg user list | deactivate | activate | reset-password` (`user add` is in the group's
module)."""

from __future__ import annotations

import sys

import click

from registration.db import create_db_engine, session_scope
from registration.errors import ServiceError
from registration.services import accounts
from registration.settings import Settings


@click.command("list")
def user_list() -> None:
    """Every officer account: username, role, categories, active or not."""
    with session_scope(create_db_engine(Settings().effective_database_url)) as session:
        for officer in accounts.list_officers(session):
            state = "active" if officer.active else "DEACTIVATED"
            categories = ",".join(officer.categories) or "-"
            click.echo(f"{officer.username:<24} {officer.role:<16} {categories:<24} {state}")


_BY = click.option("--by", required=True, help="Who makes this change (recorded in the log)")


@click.command("deactivate")
@click.argument("username")
@_BY
def user_deactivate(username: str, by: str) -> None:
    """Disable an account: its sessions and tokens end at once."""
    _set_active(username, False, by)
    click.echo(f"officer {username} deactivated; every session and token ended")


@click.command("activate")
@click.argument("username")
@_BY
def user_activate(username: str, by: str) -> None:
    """Enable a deactivated account again."""
    _set_active(username, True, by)
    click.echo(f"officer {username} activated")


def _set_active(username: str, active: bool, by: str) -> None:
    with session_scope(create_db_engine(Settings().effective_database_url)) as session:
        try:
            accounts.set_active(session, username, active, by=by)
        except ServiceError as error:
            raise click.ClickException(error.detail) from None


@click.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from stdin")
@_BY
def user_reset_password(username: str, password_stdin: bool, by: str) -> None:
    """Set a new password (from stdin, or a printed one-time password); sessions end."""
    given = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with session_scope(create_db_engine(Settings().effective_database_url)) as session:
        try:
            new = accounts.reset_password(session, username, given, by=by)
        except ServiceError as error:
            raise click.ClickException(error.detail) from None
    if given is None:
        click.echo(f"one-time password for {username}: {new}")
        click.echo("give it to the officer over a separate channel; it is not shown again")
    else:
        click.echo(f"password of {username} changed; every session and token ended")


USER_COMMANDS = (user_list, user_deactivate, user_activate, user_reset_password)
