"""`bizreg stats`: the service statistics from this deployment's database, as the API gives
them (JSON, or CSV with --csv)."""

from __future__ import annotations

import json
from datetime import datetime

import click
from sqlmodel import Session

from registration.db import create_db_engine, utcnow
from registration.settings import Settings


@click.command("stats")
@click.option(
    "--from", "start", type=click.DateTime(), default=None, help="UTC; default 30 days ago."
)
@click.option("--to", "end", type=click.DateTime(), default=None, help="UTC; default now.")
@click.option("--channel", default=None, help="yinzhengtong, hong_kong or paris; default all.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV instead of JSON.")
def stats(start: datetime | None, end: datetime | None, channel: str | None, as_csv: bool) -> None:
    """Shares decided instantly / with no return / without a visit against the targets, times
    from submission to licence, returns by reason, queues per category."""
    from registration.api.statistics import period
    from registration.services import statistics

    settings = Settings()
    engine = create_db_engine(settings.effective_database_url)
    try:
        begin, finish = period(start, end)
    except Exception as error:
        raise click.ClickException(str(error)) from None
    with Session(engine) as session:
        report = statistics.compute(session, begin, finish, channel, utcnow())
    engine.dispose()
    if as_csv:
        click.echo(statistics.report_csv(report), nl=False)
    else:
        click.echo(
            json.dumps(statistics.report_json(report), indent=2, ensure_ascii=False, default=str)
        )
