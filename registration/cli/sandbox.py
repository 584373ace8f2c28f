"""`bizreg sandbox`: serve the API for a bank's client to be graded, fetch and check reports."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.group()
def sandbox() -> None:
    """A sandbox of the API with known keys that grades a bank's client (docs/sandbox.md)."""


@sandbox.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8100, show_default=True, type=int)
@click.option(
    "--data",
    "data_dir",
    default=Path("var/sandbox"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
)
def serve(host: str, port: int, data_dir: Path) -> None:
    """Serve the sandbox: SQLite and a development PKI in DATA, one client with the
    conformance kit's test keys, a journal of every request, reports at /sandbox/v1/report."""
    import uvicorn

    from registration import logs
    from registration.db import create_db_engine, upgrade_database
    from registration.sandbox.setup import prepare, sandbox_app
    from registration.settings import Settings

    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        data_dir=data_dir.resolve(),
        public_base_url=f"http://{host}:{port}",
        database_url=None,
        log_format="text",
    )
    logs.configure(settings.log_format)
    engine = create_db_engine(settings.effective_database_url)
    upgrade_database(engine)
    described = prepare(engine, settings.data_dir)
    engine.dispose()
    click.echo(f"sandbox: http://{host}:{port} (data in {settings.data_dir})")
    click.echo(f"client id: {described['client_id']} (channel {described['channel']})")
    for name, key in described["request_keys"].items():
        click.echo(f"request key {key['keyid']} ({name}): {key['private_key']}")
    attestation = described["attestation_key"]
    click.echo(f"attestation key {attestation['keyid']}: {attestation['private_key']}")
    click.echo(f"report: http://{host}:{port}/sandbox/v1/report?client_id={described['client_id']}")
    sys.stdout.flush()
    from registration.workers.api_processes import HTTP_PARSER

    uvicorn.run(
        sandbox_app(settings),
        host=host,
        port=port,
        http=HTTP_PARSER,
        log_config=None,
        access_log=False,
    )


@sandbox.command()
@click.option("--url", required=True, help="the sandbox, e.g. http://127.0.0.1:8100")
@click.option("--client", "client_id", required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write the JWS")
def report(url: str, client_id: str, out: Path | None) -> None:
    """Print a client's conformance report; exit 1 unless every step passed."""
    import httpx

    answer = httpx.get(
        f"{url.rstrip('/')}/sandbox/v1/report", params={"client_id": client_id}, timeout=30
    )
    answer.raise_for_status()
    body = answer.json()
    if out is not None:
        out.write_text(body["jws"] + "\n", "utf-8")
    content = body["report"]
    for step in content["steps"]:
        mark = "PASS" if step["passed"] else "FAIL"
        click.echo(f"{mark}  {step['step']:<22} {step['reason']}")
    click.echo("conformant" if content["passed"] else "not conformant yet")
    sys.exit(0 if content["passed"] else 1)


@sandbox.command("verify-report")
@click.argument("report_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", help="fetch the sandbox's key from this sandbox")
@click.option("--jwk", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_report(report_file: Path, url: str | None, jwk: Path | None) -> None:
    """Check that REPORT_FILE (a JWS) was signed by the sandbox; print the report it holds."""
    from registration.sandbox import report as reports

    if (url is None) == (jwk is None):
        raise click.UsageError("give exactly one of --url and --jwk")
    if url is not None:
        import httpx

        key = httpx.get(f"{url.rstrip('/')}/sandbox/v1/key", timeout=30).json()
    else:
        assert jwk is not None
        key = json.loads(jwk.read_text("utf-8"))
    try:
        content = reports.verify(report_file.read_text("utf-8"), reports.public_key_of(key))
    except reports.ReportInvalid as exc:
        click.echo(f"INVALID: {exc}", err=True)
        sys.exit(1)
    click.echo(json.dumps(content, indent=2, ensure_ascii=False))
    click.echo(f"signed by the sandbox; {'passed' if content['passed'] else 'not passed'}")
