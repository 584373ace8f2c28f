"""The `bizreg` command (`registration.cli:main`): a composition root beside `registration.app`.

__init__.py  the group; serve, worker, pki, db, user
clients.py   bizreg client …    the client registry
terminal.py  bizreg terminal …  the reference terminal (signed requests, attestations)
verify.py    bizreg verify …    licence verification, online or offline
log.py       bizreg audit verify, bizreg log checkpoint|monitor: the transparency log
webhook_keys.py  bizreg webhook-key list|rotate|retire: the webhook key, rotated with overlap
devsetup.py  development accounts for `bizreg serve` (with devkeys.py: development keys)
"""

from __future__ import annotations

import sys

import click
from sqlalchemy import Engine

from registration import logs
from registration.cli import clients as client_commands
from registration.cli import log as log_commands
from registration.cli import terminal as terminal_commands
from registration.cli import users as user_commands
from registration.cli.feed import feed as feed_command
from registration.cli.stats import stats as stats_command
from registration.cli.verify import verify as verify_command
from registration.cli.webhook_keys import webhook_key as webhook_key_commands
from registration.db import create_db_engine, session_scope, upgrade_database
from registration.domain.workflow import OFFICER_ROLES, Role
from registration.errors import ServiceError
from registration.services import accounts
from registration.settings import Settings


def _prepare(settings: Settings) -> Engine:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return create_db_engine(settings.effective_database_url)


@click.group()
def main() -> None:
    """bizreg: company registration and signed electronic business licences."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Migrate the database and serve the API, with `BIZREG_ISSUANCE_PROCESSES` issuance
    processes beside it (development accounts are created on first run)."""
    import uvicorn

    from registration.app import create_app
    from registration.issuance.authority import build_authority
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
        from registration.cli.devsetup import ensure_dev_accounts

        credentials = ensure_dev_accounts(engine, settings.data_dir)
        click.echo("Development officers (username / password):")
        for username, password in credentials["officers"].items():
            click.echo(f"  {username:<12} {password}")
        click.echo("Development API clients (client id / bearer token):")
        for client_id, token in credentials["clients"].items():
            click.echo(f"  {client_id:<18} {token}")
        terminal = credentials["signing_terminal"]
        click.echo("Development signing terminal (RFC 9421), e.g.:")
        click.echo(
            # The executable as invoked (.venv/bin/bizreg under `make run`), ready to paste.
            f"  {sys.argv[0]} terminal submit tests/contract/application-yinzhengtong.json "
            f"--base-url http://{host}:{port} --client-id {terminal['client_id']} "
            f"--keyid {terminal['keyid']} --key {terminal['key']} "
            f"--attestation-key {terminal['attestation_key']}"
        )
        click.echo(f"(kept in {settings.data_dir / 'dev-credentials.json'})")
    click.echo(f"API docs: http://{host}:{port}/docs")
    engine.dispose()  # the app opens its own, with a pool sized to its request cap
    app = create_app(settings, authority=authority, webhook_worker=True)
    issuance = IssuanceProcesses(settings, settings.issuance_processes)
    app.state.issuance_worker = issuance  # approvals wake it (registration/api/applications)
    issuance.start()
    try:
        # Our logging, not uvicorn's; one access line per request comes from api.request_ids.
        uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
    finally:
        issuance.stop()


@main.command()
def worker() -> None:
    """Issue licences for approved applications; run as many as you like beside the API."""
    from registration.issuance.authority import build_authority
    from registration.workers.issuance import IssuanceWorker

    settings = Settings()
    logs.configure(settings.log_format)
    engine = _prepare(settings)
    issuance = IssuanceWorker(engine, build_authority(settings), settings.issuance_poll_seconds)
    click.echo("issuance worker running; Ctrl-C to stop")
    try:
        issuance.run_forever()
    except KeyboardInterrupt:
        issuance.stop()


@main.group()
def pki() -> None:
    """The authority's signing PKI (development hierarchy in the data directory)."""


@pki.command("init")
@click.option(
    "--pkcs11",
    is_flag=True,
    help="Generate the licence-signing key inside the PKCS#11 token of BIZREG_PKCS11_SIGNER_KEY "
    "(non-extractable); only its certificate is written",
)
def pki_init(pkcs11: bool) -> None:
    """Create the root CA, issuing CA, licence-signing and timestamping certificates and CRLs."""
    from registration.issuance.authority import build_authority, init_token_signer
    from signing import PkiError

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        authority = init_token_signer(settings) if pkcs11 else build_authority(settings)
    except PkiError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"PKI ready in {settings.pki_dir}")
    click.echo(f"licence signer: {authority.signer_certificate.subject.rfc4514_string()}")


@pki.command("rotate-signer")
def pki_rotate_signer() -> None:
    """Issue a new licence-signing certificate; licences signed before stay valid."""
    from registration.issuance.authority import build_authority

    settings = Settings()
    certificate = build_authority(settings).rotate_signer()
    click.echo(f"new licence signer serial {certificate.serial_number:x}")


@main.group()
def db() -> None:
    """Database schema."""


@db.command()
def upgrade() -> None:
    """Apply every Alembic migration."""
    settings = Settings()
    upgrade_database(_prepare(settings))
    click.echo("database is at the latest revision")


@main.group()
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


@main.group()
def client() -> None:
    """API clients: bank terminals, the Hong Kong app gateway, partner branches."""


# `client add|add-key|revoke-key|suspend|resume`: clients.py; `terminal …`: terminal.py.
for _command in client_commands.CLIENT_COMMANDS:
    client.add_command(_command)
main.add_command(terminal_commands.terminal)
# `verify FILE...`: verify.py.
main.add_command(verify_command)
# `audit verify`, `log checkpoint|monitor`: log.py.
main.add_command(log_commands.audit)
main.add_command(log_commands.log)
# `feed`: feed.py, the change feed's reference consumer.
main.add_command(feed_command)
# `stats`: stats.py, the service statistics against the targets.
main.add_command(stats_command)
# `webhook-key list|rotate|retire`: webhook_keys.py.
main.add_command(webhook_key_commands)
