"""`bizreg terminal …`: the reference client at work.

The `terminal` commands are what a bank's developer runs against a bizreg deployment: they go
through `bank_adapter.BizregClient`, so every request is signed exactly as a terminal signs it.

    bizreg terminal keygen ./keys --name boc-t01
    bizreg client add boc-t01 --channel yinzhengtong --org "Bank of China" \\
        --public-key keys/boc-t01-public.pem --attestation-key keys/boc-t01-attest-public.pem
    bizreg terminal submit application.json --base-url https://bizreg.example \\
        --client-id boc-t01 --keyid <keyid printed above> --key keys/boc-t01-key.pem \\
        --attestation-key keys/boc-t01-attest-key.pem --wait 60 --pdf licence.pdf
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bank_adapter import (
    BizregApiError,
    BizregClient,
    PrivateKey,
    load_private_key,
    public_key_pem,
    sign_attestation,
    write_private_key,
)
from registration.domain.application import ApplicationPayload
from registration.domain.attestation import persons_to_attest

FINAL_STATUSES = frozenset({"issued", "rejected", "returned", "withdrawn"})


def make_http() -> httpx.Client:
    """The HTTP client the terminal commands use (tests substitute the in-process app)."""
    return httpx.Client(timeout=30.0)


# --- bizreg terminal … --------------------------------------------------------------------


@click.group("terminal")
def terminal() -> None:
    """The reference terminal (bank_adapter.BizregClient): keys, submit, attest, status, PDF."""


@terminal.command("keygen")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default="terminal", show_default=True, help="File name prefix")
@click.option("--alg", type=click.Choice(["ed25519", "ecdsa-p256"]), default="ed25519")
def keygen(directory: Path, name: str, alg: str) -> None:
    """Write NAME-key.pem (private, mode 600) and NAME-public.pem (to register)."""
    key: PrivateKey = (
        Ed25519PrivateKey.generate()
        if alg == "ed25519"
        else ec.generate_private_key(ec.SECP256R1())
    )
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / f"{name}-key.pem", directory / f"{name}-public.pem"
    write_private_key(private_path, key)
    public_path.write_text(public_key_pem(key), "ascii")
    click.echo(f"private key: {private_path}")
    click.echo(f"public key:  {public_path}")


def _connection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--base-url", envvar="BIZREG_TERMINAL_BASE_URL", required=True),
        click.option("--client-id", envvar="BIZREG_TERMINAL_CLIENT_ID", required=True),
        click.option("--keyid", envvar="BIZREG_TERMINAL_KEYID", required=True),
        click.option(
            "--key",
            "key_path",
            envvar="BIZREG_TERMINAL_KEY",
            required=True,
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="The terminal's private request-signing key (PEM)",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _client(base_url: str, client_id: str, keyid: str, key_path: Path) -> BizregClient:
    key = load_private_key(key_path.read_bytes())
    return BizregClient(base_url, client_id, keyid, key, http=make_http())


def simulated_attestation(
    key: PrivateKey,
    client_id: str,
    application_id: str,
    person: dict[str, Any],
    kid: str | None = None,
) -> str:
    """An attestation as a bank's identity system would sign it after a successful check.

    For integration environments only: a real terminal gets this token from its face-match
    and document-reading system, never from the command line.
    """
    now = datetime.now(UTC)
    claims = {
        "iss": client_id,
        "aud": "bizreg",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "jti": str(uuid.uuid4()),
        "application_id": application_id,
        "person": {
            "name": person["name"],
            "document_type": person["document"]["type"],
            "document_number": person["document"]["number"],
            "nationality": person["nationality"],
            "birth_date": person["birth_date"],
        },
        "evidence": {
            "document_chip_read": True,
            "face_match_score": 0.99,
            "liveness_passed": True,
            "checked_at": now.isoformat(),
        },
    }
    return sign_attestation(claims, key, kid=kid)


def _fail(error: BizregApiError) -> click.ClickException:
    detail = json.dumps(error.problem, ensure_ascii=False, indent=2)
    return click.ClickException(f"{error}\n{detail}")


@terminal.command("submit")
@click.argument("payload_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_connection_options
@click.option(
    "--attestation-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Sign simulated identity attestations with this key (integration environments)",
)
@click.option(
    "--attestation-kid",
    help="The attestation key's registered keyid, sent as the JWS kid (needed while the "
    "client holds several active attestation keys, e.g. during a rotation)",
)
@click.option(
    "--idempotency-key",
    help="Default: derived from the client and the file, so re-running never files twice",
)
@click.option("--wait", type=float, default=0, help="Seconds to wait for a final status")
@click.option("--pdf", type=click.Path(dir_okay=False, path_type=Path), help="Save the licence")
def submit(
    payload_file: Path,
    base_url: str,
    client_id: str,
    keyid: str,
    key_path: Path,
    attestation_key: Path | None,
    attestation_kid: str | None,
    idempotency_key: str | None,
    wait: float,
    pdf: Path | None,
) -> None:
    """Create the application in PAYLOAD_FILE, attest its people, submit, optionally wait."""
    raw = payload_file.read_bytes()
    payload = json.loads(raw)
    key = idempotency_key or hashlib.sha256(client_id.encode() + b"\0" + raw).hexdigest()
    people = [
        payload["persons"][p.index]
        for p in persons_to_attest(ApplicationPayload.model_validate(payload))
    ]
    with _client(base_url, client_id, keyid, key_path) as bizreg:
        try:
            created = bizreg.create_application(payload, idempotency_key=key)
            app_id = created["id"]
            if created.get("tracking_code"):
                # What the bank prints on the investor's receipt (the code is shown only once).
                click.echo(
                    f"tracking reference {created['tracking_reference']} "
                    f"code {created['tracking_code']} ({base_url.rstrip('/')}/track)"
                )
            # A re-run replays the first create's answer: read where the application is now.
            application = bizreg.get_application(app_id)
            click.echo(f"application {app_id}: {application['status']}")
            if application["status"] == "draft":
                if attestation_key is not None:
                    signer = load_private_key(attestation_key.read_bytes())
                    for person in people:
                        jws = simulated_attestation(
                            signer, client_id, app_id, person, attestation_kid
                        )
                        bizreg.attest(app_id, jws)
                        click.echo(f"attested {person['ref']} ({person['name']})")
                application = bizreg.submit(app_id, idempotency_key=f"{key}:submit")
            click.echo(f"application {app_id}: {application['status']}")
            deadline = time.monotonic() + wait
            while application["status"] not in FINAL_STATUSES:
                remaining = int(deadline - time.monotonic())
                if remaining <= 0:
                    break
                application = bizreg.wait_for_change(app_id, seconds=min(remaining, 25))
            if wait:
                click.echo(f"application {app_id}: {application['status']}")
            licence = application.get("licence")
            if pdf is not None and licence:
                pdf.write_bytes(bizreg.get_licence_pdf(licence["uscc"]))
                click.echo(f"licence {licence['uscc']} saved to {pdf}")
        except BizregApiError as error:
            raise _fail(error) from None
    # A script that asked to wait must not read "exit 0, no file" as success.
    if wait and application["status"] not in FINAL_STATUSES:
        raise click.ClickException(
            f"no final status within {wait:g} s: application {app_id} is still "
            f"{application['status']} (run `terminal status {app_id}` later)"
        )
    if pdf is not None and not application.get("licence"):
        raise click.ClickException(
            f"no licence to save: application {app_id} is {application['status']}"
        )


@terminal.command("preflight")
@click.argument("application_id")
@_connection_options
def preflight(
    application_id: str, base_url: str, client_id: str, keyid: str, key_path: Path
) -> None:
    """Run every submission check on a draft without submitting: the predicted path, the
    problems, the expected time to licence. Exits 1 when something must be fixed first."""
    with _client(base_url, client_id, keyid, key_path) as bizreg:
        try:
            answer = bizreg.preflight(application_id)
        except BizregApiError as error:
            raise _fail(error) from None
    expected = answer["expected_time_to_licence"]
    when = "no history yet" if expected["seconds"] is None else f"~{expected['seconds']:.0f} s"
    click.echo(
        f"path {answer['predicted_path']} (category {answer['category']}); "
        f"expected time to licence: {when}"
    )
    for reason in answer["needs_human_because"]:
        click.echo(f"  needs an officer: {reason}")
    for problem in answer["problems"]:
        click.echo(f"  fix {problem['field']}: {problem['message']} [{problem['code']}]")
    if not answer["ready"]:
        raise click.ClickException(f"{len(answer['problems'])} problem(s) to fix before submit")


@terminal.command("attest")
@click.argument("application_id")
@click.argument("jws_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_connection_options
def attest(
    application_id: str, jws_file: Path, base_url: str, client_id: str, keyid: str, key_path: Path
) -> None:
    """Post an identity attestation (compact JWS from the bank's identity system)."""
    with _client(base_url, client_id, keyid, key_path) as bizreg:
        try:
            result = bizreg.attest(application_id, jws_file.read_text("ascii").strip())
        except BizregApiError as error:
            raise _fail(error) from None
    click.echo(json.dumps(result, ensure_ascii=False, indent=2))


@terminal.command("status")
@click.argument("application_id")
@_connection_options
def status(application_id: str, base_url: str, client_id: str, keyid: str, key_path: Path) -> None:
    """Print an application's status, allowed actions and licence link."""
    with _client(base_url, client_id, keyid, key_path) as bizreg:
        try:
            application = bizreg.get_application(application_id)
        except BizregApiError as error:
            raise _fail(error) from None
    summary = {k: application.get(k) for k in ("id", "status", "allowed_actions", "licence")}
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@terminal.command("licence")
@click.argument("uscc")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@_connection_options
def licence(
    uscc: str, out: Path, base_url: str, client_id: str, keyid: str, key_path: Path
) -> None:
    """Download the signed licence PDF (verify it with any PAdES validator)."""
    with _client(base_url, client_id, keyid, key_path) as bizreg:
        try:
            out.write_bytes(bizreg.get_licence_pdf(uscc))
        except BizregApiError as error:
            raise _fail(error) from None
    click.echo(f"saved {out}")
