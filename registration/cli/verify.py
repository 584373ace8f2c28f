"""`bizreg verify FILE...`: the same verification report as the API and the web page.

    bizreg verify licence.pdf                      online: this deployment's registry, its root
                                                   and current CRLs (needs its settings)
    bizreg verify --offline --trust root.pem *.pdf  anywhere: only the published root
                                                   certificate (GET /pki/root.pem) and what each
                                                   licence embeds (PAdES B-LT)
    bizreg verify --url BASE [--fingerprint HEX] *.pdf
                                                   anywhere, with the registry: the signature
                                                   checked here against BASE's root (pinned) and
                                                   current CRLs, the status from BASE's public
                                                   API (GET /api/v1/licences/{uscc}?v=N; the
                                                   file is not uploaded)

Files are verified on every core (`--jobs`), with a progress bar on stderr. The exit status is
0 only if every file passed (authentic, and not known to be out of force), 1 otherwise.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click
from cryptography import x509
from cryptography.hazmat.primitives import serialization

if TYPE_CHECKING:  # imported when the command runs: `bizreg` starts fast for other commands
    from verification.batch import FileResult, RegistryFactory


@click.command("verify")
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
)
@click.option(
    "--trust",
    "trust_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM file with the authority's published root certificate(s).",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Use nothing but --trust and what each licence embeds: no registry, no database.",
)
@click.option(
    "--crl",
    "crl_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Current CRLs (DER or PEM), e.g. GET /pki/crls.pem; repeatable.",
)
@click.option(
    "--url",
    metavar="BASE",
    help="The service to ask: its root (/pki/root.pem, unless --trust), CRLs and public status.",
)
@click.option(
    "--fingerprint",
    metavar="SHA256HEX",
    help="With --url: refuse a root whose SHA-256 is not this (exit status 1).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON report per line on stdout.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Processes (all cores).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def verify(
    files: tuple[Path, ...],
    trust_file: Path | None,
    offline: bool,
    crl_files: tuple[Path, ...],
    url: str | None,
    fingerprint: str | None,
    as_json: bool,
    jobs: int | None,
    lang: str,
    quiet: bool,
) -> None:
    """Verify licence PDFs: genuine, unaltered, issued by the authority, in force?"""
    from verification.batch import verify_files

    crls = [der for path in crl_files for der in _crls_der(path.read_bytes())]
    registry: RegistryFactory | None = None
    if fingerprint is not None and url is None:
        raise click.UsageError("--fingerprint pins the root fetched with --url BASE")
    if offline and url is not None:
        raise click.UsageError("--offline asks no service: drop --url, or --offline")
    if url is not None:
        trust_pem, service_crls, registry = _remote(url, trust_file, fingerprint)
        crls += service_crls
    elif offline:
        if trust_file is None:
            raise click.UsageError("--offline needs --trust ROOT.pem (GET /pki/root.pem)")
        trust_pem = trust_file.read_bytes()
    else:
        trust_pem, service_crls, registry = _online(trust_file)
        crls += service_crls
    try:
        roots = x509.load_pem_x509_certificates(trust_pem)
    except ValueError as error:
        raise click.UsageError(f"--trust: not a PEM certificate file ({error})") from None
    if not roots:
        raise click.UsageError("--trust: no certificate in the file")

    failures = 0
    with _progress(len(files), shown=not quiet and len(files) > 1) as progress:
        for result in verify_files(
            files, trust_pem=trust_pem, crls=crls, registry_factory=registry, jobs=jobs
        ):
            progress.update()
            failures += not result.passed
            line = _json_line(result) if as_json else _text_line(result, lang)
            progress.write(line, file=sys.stdout)
    if len(files) > 1:
        click.echo(
            f"{len(files)} files: {len(files) - failures} passed, {failures} failed", err=True
        )
    sys.exit(1 if failures else 0)


class _NoProgress:
    """One file: no bar, and no tqdm to import (a whole `bizreg verify` of one file is timed)."""

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self) -> None:
        return None

    def write(self, line: str, file: TextIO) -> None:
        print(line, file=file, flush=True)


def _progress(total: int, shown: bool) -> Any:
    if not shown:
        return _NoProgress()
    from tqdm import tqdm

    return tqdm(total=total, unit="file", file=sys.stderr)


def _online(trust_file: Path | None) -> tuple[bytes, list[bytes], RegistryFactory]:
    """This deployment's trust root, current CRLs and registry (its settings, its PKI)."""
    from registration.services.verification import DatabaseRegistry
    from registration.settings import Settings
    from signing import PkiError, load_pki

    settings = Settings()
    try:
        pki = load_pki(settings.pki_dir, settings.pki_passphrase)
    except PkiError as error:
        raise click.UsageError(
            f"no PKI in {settings.pki_dir} ({error}); to verify elsewhere use "
            "--url BASE (the service's registry and root) or --offline --trust ROOT.pem"
        ) from None
    trust_pem = trust_file.read_bytes() if trust_file is not None else pki.trust_pem()
    return (
        trust_pem,
        list(pki.crls_der()),
        DatabaseRegistry(settings.effective_database_url, settings),
    )


def _remote(
    url: str, trust_file: Path | None, pinned: str | None
) -> tuple[bytes, list[bytes], RegistryFactory]:
    """BASE's root (or --trust), its current CRLs (signed by the CAs, so safe to fetch from
    anywhere: /pki/crls.pem) and its public registry."""
    from registration.cli.remote import RemoteRegistry
    from registration.cli.trust import fetch, root_certificate

    if trust_file is not None:
        trust_pem = trust_file.read_bytes()
    else:
        trust_pem = root_certificate(url, pinned).public_bytes(serialization.Encoding.PEM)
    # Every current CRL, retired issuing CAs' included: a licence signed before a rollover is
    # checked against its own CA's latest word, not only against what it embeds.
    crls = _crls_der(fetch(url, "/pki/crls.pem"))
    return trust_pem, crls, RemoteRegistry(url)


def _crls_der(data: bytes) -> list[bytes]:
    """The CRLs of a DER file, or of a PEM file holding one or more (GET /pki/crls.pem)."""
    if not data.lstrip().startswith(b"-----BEGIN"):
        return [data]
    end = b"-----END X509 CRL-----"
    return [
        x509.load_pem_x509_crl(block + end).public_bytes(serialization.Encoding.DER)
        for block in data.split(end)
        if b"-----BEGIN" in block
    ]


def _json_line(result: FileResult) -> str:
    body = {"file": result.path, "passed": result.passed, **(result.report or {})}
    if result.error is not None:
        body["error"] = result.error
    return json.dumps(body, ensure_ascii=False)


def _text_line(result: FileResult, lang: str) -> str:
    from verification import explain, verdict_title

    status = "PASS" if result.passed else "FAIL"
    if result.report is None:
        return f"{status}  {result.path}  {result.error}"
    report = result.report
    title = verdict_title(report["verdict"], lang)
    registry = report.get("registry") or {}
    changed = registry.get("status_changed_at")
    on = dt.datetime.fromisoformat(changed).date() if changed else None
    reason = explain(report["reason"], lang, report.get("sub_indication"), on)
    indication = report["indication"] + (
        f"/{report['sub_indication']}" if report.get("sub_indication") else ""
    )
    notice = report.get("notice")
    if notice:  # say what kind of document it is before anything else
        title = f"NOTICE ({notice['kind']}, {notice['number']}), not a licence: {title}"
    return f"{status}  {result.path}  {title} [{indication}] {reason}"
