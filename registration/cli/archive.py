"""`bizreg archive renew|status`: archive renewal of the stored licences and notices (B-LTA)."""

from __future__ import annotations

from datetime import timedelta

import click

from registration.db import create_db_engine
from registration.settings import Settings


@click.group()
def archive() -> None:
    """Archive renewal (PAdES B-LTA) of the stored licences and notices."""


def _margin(settings: Settings) -> timedelta:
    return timedelta(days=settings.archive_renewal_margin_days)


@archive.command("renew")
@click.option("--dry-run", is_flag=True, help="List what is due; change nothing")
def archive_renew(dry_run: bool) -> None:
    """Add a document timestamp with fresh validation data to every stored licence and notice
    whose newest timestamp's chain expires within `BIZREG_ARCHIVE_RENEWAL_MARGIN_DAYS` (the
    built-in TSA and the issuing CA are rolled over first if they are within it)."""
    from registration.issuance.authority import build_authority
    from registration.services import archive as service

    settings = Settings()
    engine = create_db_engine(settings.effective_database_url)
    report = service.renew_due(
        engine, build_authority(settings), _margin(settings), dry_run=dry_run
    )
    for rotated in report.rolled_over:
        click.echo(f"rolled over: {rotated}")
    for ref in report.due:
        state = "due" if dry_run else ("renewed" if ref in report.renewed else "not renewed")
        click.echo(f"{ref} {state}")
    verb = "due" if dry_run else "renewed"
    count = len(report.due) if dry_run else len(report.renewed)
    click.echo(f"{count} {verb}, {len(report.failed)} failed")
    raise SystemExit(1 if report.failed else 0)


@archive.command("status")
def archive_status() -> None:
    """How many stored licences and notices are due for renewal, how many were left to
    expire, and the earliest expiry of any stored file's newest timestamp."""
    from registration.services import archive as service

    settings = Settings()
    engine = create_db_engine(settings.effective_database_url)
    service.examine(engine)
    status = service.status(engine, _margin(settings))
    oldest = status.oldest_expiry.isoformat() if status.oldest_expiry else "none"
    click.echo(f"licences due: {status.due_licences}")
    click.echo(f"notices due: {status.due_notices}")
    click.echo(f"expired unrenewed: {status.expired}")
    click.echo(f"oldest last-timestamp expiry: {oldest}")
