"""`bizreg audit verify`, `bizreg log checkpoint` and `bizreg log monitor`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import httpx

from registration.db import create_db_engine, session_scope
from registration.services import audit as audit_service
from registration.services import checkpoints
from registration.settings import Settings
from tlog.monitor import MonitorState, check


@click.group()
def audit() -> None:
    """Check the database against its transparency log."""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON")
def audit_verify(as_json: bool) -> None:
    """Recompute every leaf from the database, rebuild the tree, compare it with the stored
    tree and the signed checkpoints; name every row edited, deleted or inserted behind the
    service's back. Exits 1 if anything is found."""
    settings = Settings()
    engine = create_db_engine(settings.effective_database_url)
    with session_scope(engine) as session:
        report = audit_service.audit(session, settings)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "leaves": report.leaves,
                    "rows": report.rows,
                    "checkpoint_size": report.checkpoint_size,
                    "findings": [f.__dict__ for f in report.findings],
                },
                ensure_ascii=False,
            )
        )
    else:
        for finding in report.findings:
            click.echo(str(finding))
        verdict = "consistent" if report.clean else f"{len(report.findings)} finding(s)"
        click.echo(
            f"{report.rows} rows, {report.leaves} leaves, last checkpoint "
            f"{report.checkpoint_size}: {verdict}"
        )
    sys.exit(0 if report.clean else 1)


@click.group()
def log() -> None:
    """The transparency log."""


@log.command("checkpoint")
def log_checkpoint() -> None:
    """Sign a checkpoint now if the log grew (`bizreg serve` does it every few seconds)."""
    settings = Settings()
    engine = create_db_engine(settings.effective_database_url)
    with session_scope(engine) as session:
        try:
            row = checkpoints.sign_checkpoint(
                session, checkpoints.log_signer(settings), checkpoints.tree_cache(engine)
            )
        except checkpoints.LogRewritten as error:
            raise click.ClickException(f"refusing to sign: {error}") from None
    click.echo("no new leaves" if row is None else f"signed checkpoint of {row.size} leaves")


@log.command("adopt")
def log_adopt() -> None:
    """Give every row written before the log existed its leaf (once, into an empty log)."""
    settings = Settings()
    engine = create_db_engine(settings.effective_database_url)
    with session_scope(engine) as session:
        try:
            count = audit_service.adopt_existing(session)
        except audit_service.LogNotEmpty as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"{count} existing rows logged")


@log.command("monitor")
@click.option("--url", "base_url", required=True, help="The registry's base URL")
@click.option(
    "--state", "state_file", required=True, type=click.Path(path_type=Path), help="State file"
)
@click.option("--key", default=None, help="The log's verifier key (default: trust on first use)")
def log_monitor(base_url: str, state_file: Path, key: str | None) -> None:
    """Prove the log's latest checkpoint consistent with the last one seen (kept in --state)
    and check every new leaf; exit 1 naming what was rewritten."""
    state = None
    if state_file.exists():
        state = MonitorState.from_json(json.loads(state_file.read_text()))
        if key is not None and key != state.key:
            raise click.ClickException("--key differs from the key kept in the state file")
    with httpx.Client(base_url=base_url.rstrip("/"), timeout=30) as http:

        def get(path: str) -> str:
            response = http.get(path)
            response.raise_for_status()
            return response.text

        try:
            result = check(get, state, key)
        except httpx.HTTPError as error:
            raise click.ClickException(f"cannot read the log: {error}") from None
    for problem in result.problems:
        click.echo(problem)
    if result.problems:
        sys.exit(1)
    temporary = state_file.with_name(state_file.name + ".tmp")
    temporary.write_text(json.dumps(result.state.to_json()))
    temporary.replace(state_file)
    size = result.checkpoint.size if result.checkpoint else 0
    click.echo(f"checkpoint of {size} leaves consistent with the last one seen")
