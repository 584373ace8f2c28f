"""`bizreg trust export`: the authority's root in the form each validator needs.

    bizreg trust export --pem root.pem                 PEM, for `bizreg verify --trust`
    bizreg trust export --nss ./nss                    an NSS database trusting only the root,
                                                       for poppler's `pdfsig -nssdir`
    bizreg trust export --pyhanko [bizreg-root.pem]    the root for `pyhanko sign validate
                                                       --trust … --trust-replace`

The root comes from this deployment's PKI (`BIZREG_DATA_DIR`), or with `--url BASE` from the
service's `/pki/root.pem`; `--fingerprint SHA256HEX` pins it (compare with the fingerprint the
authority publishes through another channel): a different root is refused, exit status 1.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization

NSS_NICKNAME = "bizreg-root"

HOW_TO_READ = {
    "pdfsig": (
        "pdfsig exits 0 whatever it finds: read its text. Accept only when the one signature, "
        "AuthoritySeal, shows all three of 'Total document signed', 'Signature is Valid.' and "
        "'Certificate is Trusted.'. 'Not total document signed' means bytes were added after "
        "signing, which pdfsig cannot tell apart from a forged page (an archive's timestamp is "
        "legitimate): such a file needs bizreg verify or pyHanko. pdfsig does not know whether "
        "the licence is still in force."
    ),
    "pyhanko": (
        "Exit status 0 alone is not enough (a file may carry other, valid signatures): accept "
        "only when the exit status is 0 and the summary line is "
        "'AuthoritySeal:<sha256>:VALID'. --trust-replace makes this root the only trust anchor; "
        "without it the system's CAs would count too. pyHanko does not know whether the licence "
        "is still in force."
    ),
    "bizreg": (
        "One line per file: PASS only when the signature is the authority's, the file is "
        "unaltered and the registry says the licence is in force; exit status 0 only if every "
        "file passed. FAIL names why (altered, not this authority's, superseded, revoked, "
        "deregistered, unknown to the registry); INDETERMINATE means it could not be confirmed, "
        "never that it is genuine."
    ),
}


def normalise_fingerprint(value: str) -> str:
    """A SHA-256 fingerprint as 64 lower-case hex digits (colons and spaces allowed)."""
    digits = value.replace(":", "").replace(" ", "").lower()
    if len(digits) != 64 or any(c not in "0123456789abcdef" for c in digits):
        raise click.UsageError("--fingerprint: 64 hexadecimal digits of a SHA-256 expected")
    return digits


def sha256_fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER encoding, lower-case hex."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def fetch_if_present(base_url: str, path: str) -> bytes | None:
    """`fetch`, or None where the service answers 404 (an older version without `path`)."""
    url = base_url.rstrip("/") + path
    try:
        response = httpx.get(url, timeout=30.0, follow_redirects=True)
    except httpx.HTTPError as error:
        raise click.ClickException(f"cannot fetch {url}: {error}") from None
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise click.ClickException(f"cannot fetch {url}: HTTP {response.status_code}")
    return response.content


def fetch(base_url: str, path: str) -> bytes:
    """GET `base_url` + `path`; a ClickException naming what failed otherwise."""
    data = fetch_if_present(base_url, path)
    if data is None:
        raise click.ClickException(f"cannot fetch {base_url.rstrip('/')}{path}: HTTP 404")
    return data


def root_certificate(url: str | None, pinned: str | None) -> x509.Certificate:
    """The authority's root: from `url`'s /pki/roots.pem (every root, current first; a service
    without it: /pki/root.pem), or this deployment's PKI. With `pinned`, the root of that
    fingerprint: after a root rollover a relying party pinned to the old root keeps it, and
    new licences still reach it through the cross-certificate they carry. Refused
    (ClickException, exit 1) when no root has the pinned fingerprint."""
    if url is not None:
        source = f"{url.rstrip('/')}/pki/roots.pem"
        data = fetch_if_present(url, "/pki/roots.pem")
        if data is None:
            source = f"{url.rstrip('/')}/pki/root.pem"
            data = fetch(url, "/pki/root.pem")
        try:
            roots = x509.load_pem_x509_certificates(data)
        except ValueError:
            raise click.ClickException(f"{source} is not a PEM certificate") from None
    else:
        from registration.settings import Settings
        from signing.pki import root_certificates

        directory = Settings().pki_dir
        if not (directory / "root.pem").exists():
            raise click.UsageError(
                f"no PKI in {directory}: run where the service's data directory is, "
                "or fetch the root with --url BASE"
            )
        source, roots = str(directory), list(root_certificates(directory))
    if pinned is None:
        root = roots[0]
        if url is not None:
            click.echo(
                f"warning: root fetched from {source} without --fingerprint; compare its "
                f"SHA-256 {sha256_fingerprint(root)} with the one the authority publishes",
                err=True,
            )
        return root
    wanted = normalise_fingerprint(pinned)
    for root in roots:
        if sha256_fingerprint(root) == wanted:
            return root
    found = ", ".join(sha256_fingerprint(r) for r in roots)
    raise click.ClickException(
        f"refused: no root from {source} has the pinned SHA-256 fingerprint {wanted} (it has "
        f"{found}); it is not the authority you meant to trust"
    )


def root_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--fingerprint",
        metavar="SHA256HEX",
        help="Refuse a root whose SHA-256 (of its DER) is not this (exit status 1).",
    )(command)
    return click.option(
        "--url",
        metavar="BASE",
        help="Fetch the root from BASE/pki/root.pem instead of this deployment's PKI.",
    )(command)


def write_nss_db(directory: Path, root: x509.Certificate) -> str:
    """An NSS database in `directory` trusting only `root` (certutil, Debian libnss3-tools);
    returns the `sql:` spec for `pdfsig -nssdir`."""
    certutil = shutil.which("certutil")
    if certutil is None:
        raise click.ClickException(
            "certutil not found: install the Debian package libnss3-tools (or use --pem)"
        )
    directory.mkdir(parents=True, exist_ok=True)
    spec = f"sql:{directory}"
    if not (directory / "cert9.db").exists():
        _run([certutil, "-N", "-d", spec, "--empty-password"])
    listed = subprocess.run(  # noqa: S603  # certutil from PATH, our own arguments
        [certutil, "-L", "-d", spec, "-n", NSS_NICKNAME], capture_output=True, check=False
    )
    if listed.returncode == 0:  # re-exported: the current root replaces the old one
        _run([certutil, "-D", "-d", spec, "-n", NSS_NICKNAME])
    with tempfile.NamedTemporaryFile(suffix=".pem") as pem:
        pem.write(root.public_bytes(serialization.Encoding.PEM))
        pem.flush()
        _run([certutil, "-A", "-d", spec, "-n", NSS_NICKNAME, "-t", "CT,C,C", "-i", pem.name])
    return spec


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise click.ClickException(f"{' '.join(argv)} failed: {done.stderr.strip()}")


@click.group("trust")
def trust() -> None:
    """The authority's root certificate for independent validators."""


@trust.command("export")
@click.option("--pem", "pem_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--nss", "nss_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--pyhanko",
    "pyhanko_file",
    type=click.Path(dir_okay=False, path_type=Path),
    is_flag=False,
    flag_value="bizreg-root.pem",
    help="Root PEM for the pyHanko CLI [default file: bizreg-root.pem]",
)
@root_options
def export(
    pem_file: Path | None,
    nss_dir: Path | None,
    pyhanko_file: Path | None,
    url: str | None,
    fingerprint: str | None,
) -> None:
    """Write the authority's root as --pem FILE, --nss DIR and/or --pyhanko [FILE], and print
    the validation command for each and how to read its output."""
    if pem_file is None and nss_dir is None and pyhanko_file is None:
        raise click.UsageError("say which form: --pem FILE, --nss DIR or --pyhanko [FILE]")
    root = root_certificate(url, fingerprint)
    pem = root.public_bytes(serialization.Encoding.PEM)
    click.echo(f"root: {root.subject.rfc4514_string()}")
    click.echo(f"SHA-256 fingerprint: {sha256_fingerprint(root)}")
    status = f" --url {url}" if url else ""
    if pem_file is not None:
        pem_file.write_bytes(pem)
        click.echo(f"\nwrote {pem_file}; verify (signature, and the registry's status):")
        click.echo(f"  bizreg verify --trust {pem_file}{status} licence.pdf")
        click.echo(f"  (anywhere, signature only: bizreg verify --offline --trust {pem_file} …)")
        click.echo(HOW_TO_READ["bizreg"])
    if nss_dir is not None:
        spec = write_nss_db(nss_dir, root)
        click.echo(f"\nwrote the NSS database {nss_dir} (trusting only this root); verify:")
        click.echo(f"  pdfsig -nssdir {spec} licence.pdf")
        click.echo(HOW_TO_READ["pdfsig"])
    if pyhanko_file is not None:
        pyhanko_file.write_bytes(pem)
        click.echo(f"\nwrote {pyhanko_file}; verify:")
        click.echo(
            f"  pyhanko sign validate --trust {pyhanko_file} --trust-replace "
            "--executive-summary licence.pdf"
        )
        click.echo(HOW_TO_READ["pyhanko"])
