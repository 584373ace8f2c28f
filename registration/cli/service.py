"""`bizreg serve | worker | pki | db | user | client`: running the service and administering it.
Loaded only when one of these commands runs (see `registration.cli`)."""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

import click
from sqlalchemy import Engine

from registration import logs
from registration.cli import clients as client_commands
from registration.cli import users as user_commands
from registration.db import create_db_engine, session_scope, upgrade_database
from registration.domain.workflow import OFFICER_ROLES, Role
from registration.errors import ServiceError
from registration.services import accounts
from registration.settings import Settings


def _prepare(settings: Settings) -> Engine:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return create_db_engine(settings.effective_database_url)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="API processes sharing the port",
)
@click.option(
    "--no-background",
    is_flag=True,
    help="API only: no issuance processes, webhook, e-mail or log checkpoint threads "
    "(`bizreg worker` and another `bizreg serve` do that work)",
)
def serve(host: str, port: int, workers: int, no_background: bool) -> None:
    """Migrate the database and serve the API, with `BIZREG_ISSUANCE_PROCESSES` issuance
    processes beside it (development accounts are created on first run). SIGTERM: requests in
    flight finish, issuance processes finish the licence in hand, then exit status 0."""
    import uvicorn

    from registration.app import SERVE_BACKGROUND_ENV, create_app
    from registration.issuance.authority import build_authority
    from registration.workers.api_processes import (
        HTTP_PARSER,
        ApiProcesses,
        reuse_port_supported,
    )
    from registration.workers.processes import IssuanceProcesses

    settings = Settings()
    logs.configure(settings.log_format)
    if settings.is_development and "public_base_url" not in settings.model_fields_set:
        # Signed requests, QR codes and webhooks name the public address: in development it is
        # where this server listens, whatever --port says.
        settings = settings.model_copy(update={"public_base_url": f"http://{host}:{port}"})
    engine = _prepare(settings)
    upgrade_database(engine)
    authority = build_authority(settings)
    click.echo(f"PKI: {settings.pki_dir} (root certificate at /pki/root.pem)")
    if settings.is_development:
        _print_dev_accounts(engine, settings, host, port)
    click.echo(f"API docs: http://{host}:{port}/docs")
    engine.dispose()  # the app opens its own, with a pool sized to its request cap
    background = not no_background
    if background:
        # The key is created here, once, not raced for by N API processes.
        from registration.services.webhooks import webhook_key

        webhook_key(settings.webhook_key_path)
    issuance = IssuanceProcesses(settings, settings.issuance_processes if background else 0)
    served: Any
    if workers == 1:
        served = create_app(settings, authority=authority, webhook_worker=background)
        if background:
            served.state.issuance_worker = issuance  # approvals wake it (api/applications)
    else:
        # uvicorn starts each API process from an import string (registration.app's
        # factory), which reads everything from the environment: pass what was decided here.
        os.environ["BIZREG_PUBLIC_BASE_URL"] = settings.public_base_url
        os.environ[SERVE_BACKGROUND_ENV] = "1" if background else "0"
        served = "registration.app:app_from_environment"
    # uvicorn finishes the requests in flight on SIGTERM, then raises the signal again once
    # its own handler is gone: this one turns that into a normal return, so the issuance
    # processes are stopped below and the exit status is 0.
    signal.signal(signal.SIGTERM, lambda *_: None)
    issuance.start()
    if workers > 1 and reuse_port_supported():
        try:
            status = ApiProcesses(served, host, port, workers).run()
        finally:
            issuance.stop()
        sys.exit(status)
    try:
        # Our logging, not uvicorn's; one access line per request comes from api.request_ids.
        uvicorn.run(
            served,
            host=host,
            port=port,
            workers=workers,
            factory=workers > 1,
            http=HTTP_PARSER,
            log_config=None,
            access_log=False,
        )
    finally:
        issuance.stop()


def _print_dev_accounts(engine: Engine, settings: Settings, host: str, port: int) -> None:
    from registration.cli.devsetup import ensure_dev_accounts, quickstart_text

    credentials = ensure_dev_accounts(engine, settings.data_dir)
    click.echo("Development officers (username / password):")
    for username, password in credentials["officers"].items():
        click.echo(f"  {username:<12} {password}")
    click.echo("Development API clients (client id / bearer token):")
    for client_id, token in credentials["clients"].items():
        click.echo(f"  {client_id:<18} {token}")
    # The executable as invoked (.venv/bin/bizreg under `make run`), ready to paste.
    for line in quickstart_text(credentials, f"http://{host}:{port}", sys.argv[0]):
        click.echo(line)
    click.echo(f"(kept in {settings.data_dir / 'dev-credentials.json'})")


@click.command()
@click.option(
    "--concurrency",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="issuance loops (each above one in a process of its own)",
)
def worker(concurrency: int) -> None:
    """Issue licences for approved applications; run as many as you like beside the API.
    SIGTERM or Ctrl-C: the licence in hand is finished, then exit status 0."""
    settings = Settings()
    logs.configure(settings.log_format)
    stopping = threading.Event()
    if concurrency > 1:
        # Signing is pure Python: one interpreter per loop, supervised as `bizreg serve`'s.
        from registration.workers.processes import IssuanceProcesses

        _prepare(settings).dispose()
        processes = IssuanceProcesses(settings, concurrency)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        processes.start()
        click.echo(f"{concurrency} issuance processes running; Ctrl-C to stop")
        while not stopping.wait(1.0):
            pass
        processes.stop()
        return
    from registration.issuance.authority import build_authority
    from registration.workers.issuance import IssuanceWorker

    engine = _prepare(settings)
    issuance = IssuanceWorker(engine, build_authority(settings), settings.issuance_poll_seconds)
    for signum in (signal.SIGTERM, signal.SIGINT):
        # Not KeyboardInterrupt: that would abandon the licence being signed half-way.
        signal.signal(signum, lambda *_: issuance.request_stop())
    click.echo("issuance worker running; Ctrl-C to stop")
    issuance.run_forever()
    engine.dispose()


@click.group()
def db() -> None:
    """Database schema."""


@db.command()
def upgrade() -> None:
    """Apply every Alembic migration."""
    settings = Settings()
    upgrade_database(_prepare(settings))
    click.echo("database is at the latest revision")


@click.group()
def user() -> None:
    """Officer accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(sorted(r.value for r in OFFICER_ROLES)))
@click.option("--category", "categories", multiple=True, help="Back-office category (repeatable)")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from stdin")
@client_commands.by_option
def user_add(
    username: str, role: str, categories: tuple[str, ...], password_stdin: bool, by: str
) -> None:
    """Create an officer account."""
    password = sys.stdin.readline().rstrip("\n")
    settings = Settings()
    with session_scope(_prepare(settings)) as session:
        try:
            accounts.add_officer(session, username, Role(role), password, categories, by=by)
        except ServiceError as error:
            raise click.ClickException(error.detail) from None
    click.echo(f"officer {username} ({role}) created")


for _user_command in user_commands.USER_COMMANDS:
    user.add_command(_user_command)


@click.group()
def client() -> None:
    """API clients: bank terminals, the Hong Kong app gateway, partner branches."""


# `client add|add-key|revoke-key|suspend|resume`: clients.py.
for _command in client_commands.CLIENT_COMMANDS:
    client.add_command(_command)
