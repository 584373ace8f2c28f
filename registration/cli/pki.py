"""`bizreg pki`: the authority's signing PKI in the data directory (or, for the signer's and
the TSA's keys, in the PKCS#11 token): create it, see when each certificate ends, roll over."""

from __future__ import annotations

import datetime as dt

import click

from registration.settings import Settings


@click.group()
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
    from signing import PkiError

    settings = Settings()
    try:
        certificate = build_authority(settings).rotate_signer()
    except PkiError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"new licence signer serial {certificate.serial_number:x}")


def _margin(days: float | None, settings: Settings) -> dt.timedelta:
    return dt.timedelta(days=settings.archive_renewal_margin_days if days is None else days)


_MARGIN_OPTION = click.option(
    "--margin-days",
    type=click.FloatRange(min=0, min_open=True),
    help="The rollover margin [default: BIZREG_ARCHIVE_RENEWAL_MARGIN_DAYS]",
)


@pki.command("status")
@_MARGIN_OPTION
def pki_status(margin_days: float | None) -> None:
    """Each certificate the service signs with, when it ends, and whether its rollover is due
    (exit status 3 when one is: the worker's archive job should have done it)."""
    from signing import load_pki

    settings = Settings()
    pki = load_pki(settings.pki_dir, settings.pki_passphrase)
    due = pki.due(_margin(margin_days, settings))
    now = dt.datetime.now(dt.UTC)
    for role, cert in pki.current_certificates().items():
        left = (cert.not_valid_after_utc - now).days
        mark = "  ROLLOVER DUE" if role in due else ""
        click.echo(
            f"{role:<11} {cert.not_valid_after_utc:%Y-%m-%d} ({left} days)  "
            f"{cert.serial_number:x}  {cert.subject.rfc4514_string()}{mark}"
        )
    click.echo(
        f"retired: {len(pki.retired_root_certificates)} roots, "
        f"{len(pki.retired_issuing_certificates)} issuing CAs, "
        f"{len(pki.retired_tsa_certificates)} TSA certificates; "
        f"{len(pki.cross_certificates)} cross-certificates"
    )
    if due:
        raise SystemExit(3)


@pki.command("roll-over")
@_MARGIN_OPTION
@click.option("--dry-run", is_flag=True, help="Only say what is due")
@click.option(
    "--root",
    "force_root",
    is_flag=True,
    help="Roll the root over now, due or not (a planned early rollover)",
)
def pki_roll_over(margin_days: float | None, dry_run: bool, force_root: bool) -> None:
    """What the worker's archive job does before it renews archives: replace every
    certificate that is due (root, issuing CA, TSA, signer)."""
    from registration.issuance.authority import build_authority
    from signing import PkiError

    settings = Settings()
    margin = _margin(margin_days, settings)
    try:
        authority = build_authority(settings)
        if dry_run:
            due = authority.pki.due(margin)
            click.echo(f"due: {', '.join(due) or 'nothing'}")
            return
        done = authority.rotate_root() if force_root else []
        done += authority.roll_over(margin)
    except PkiError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"rolled over: {', '.join(done) or 'nothing'}")
