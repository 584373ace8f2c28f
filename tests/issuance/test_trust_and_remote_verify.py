"""`bizreg trust export` and `bizreg verify --url`, against a live service on loopback.

Each exported form is used with the exact command the export prints (pdfsig, the pyhanko CLI,
bizreg verify) on a licence the service issued. Remote verification runs as a separate process
from an empty directory, with no data directory and no database: only the service's URL.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlmodel import Session

from registration.db import create_db_engine
from registration.domain.workflow import Role
from registration.principal import Principal
from registration.services import licences as licence_service
from tests.conftest import example, unique_name
from tests.issuance.live import LiveService, live_service
from tests.terminals.support import attest_over_http
from tests.tooling import require_tool

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with live_service(tmp_path_factory.mktemp("live")) as live:
        yield live


def _issue(service: LiveService, name: str | None = None) -> bytes:
    bank = service.client_headers("yinzhengtong")
    payload = example("yinzhengtong")
    if name is not None:
        payload["company"]["name"] = {"zh": name, "en": "Dongguan Qingsong Trading Co., Ltd."}
    created = service.http.post("/api/v1/applications", json=payload, headers=bank)
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    attest_over_http(service.http, bank, app_id)
    service.http.post(f"/api/v1/applications/{app_id}/submit", headers=bank).raise_for_status()
    link = service.wait_issued(app_id, bank)["licence"]
    return service.http.get(link["pdf_url"], headers=bank).content  # type: ignore[index]


@pytest.fixture(scope="module")
def licence(service: LiveService, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("licence") / "licence.pdf"
    path.write_bytes(_issue(service))
    return path


@pytest.fixture(scope="module")
def fingerprint(service: LiveService) -> str:
    root = service.authority.pki.root_certificate
    return hashlib.sha256(root.public_bytes(serialization.Encoding.DER)).hexdigest()


def _bizreg(
    args: list[str], cwd: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`bizreg ARGS` in `cwd`, with no database or data directory of the service's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIZREG_")}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["BIZREG_DATA_DIR"] = str(cwd / "no-data-here")
    env.update(extra_env or {})
    return subprocess.run(
        [str(BIN / "bizreg"), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )


def _printed(output: str, tool: str) -> list[str]:
    """The validation command the export printed for `tool`."""
    for line in output.splitlines():
        if line.startswith(f"  {tool} "):
            return shlex.split(line)
    raise AssertionError(f"no {tool} command printed:\n{output}")


def _on(argv: list[str], pdf: Path) -> list[str]:
    return [str(pdf) if a == "licence.pdf" else a for a in argv]


def test_pem_export_from_the_url_pinned_then_the_printed_bizreg_verify(
    service: LiveService, licence: Path, fingerprint: str, tmp_path: Path
) -> None:
    export = _bizreg(
        [
            "trust",
            "export",
            "--pem",
            "root.pem",
            "--url",
            service.base_url,
            "--fingerprint",
            fingerprint.upper(),
        ],
        tmp_path,
    )
    assert export.returncode == 0, export.stdout + export.stderr
    assert (tmp_path / "root.pem").read_bytes() == service.http.get("/pki/root.pem").content
    assert fingerprint in export.stdout
    assert "PASS only when" in export.stdout  # how to read it
    verify = _bizreg(_on(_printed(export.stdout, "bizreg")[1:], licence), tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.startswith("PASS")


def test_nss_export_then_the_printed_pdfsig_trusts_the_licence(
    service: LiveService, licence: Path, fingerprint: str, tmp_path: Path
) -> None:
    require_tool("certutil", "libnss3-tools")
    pdfsig = require_tool("pdfsig", "poppler-utils")
    export = _bizreg(
        [
            "trust",
            "export",
            "--nss",
            "nss",
            "--url",
            service.base_url,
            "--fingerprint",
            fingerprint,
        ],
        tmp_path,
    )
    assert export.returncode == 0, export.stdout + export.stderr
    assert "Total document signed" in export.stdout  # how to read pdfsig's text
    argv = _on(_printed(export.stdout, "pdfsig"), licence)
    report = subprocess.run(
        [pdfsig, *argv[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=60
    ).stdout
    assert "Signature is Valid." in report, report
    assert "Certificate is Trusted." in report, report
    # Exported again (a root rotated, say): the database is refreshed, not refused.
    again = _bizreg(["trust", "export", "--nss", "nss", "--url", service.base_url], tmp_path)
    assert again.returncode == 0, again.stderr
    assert "without --fingerprint" in again.stderr


def test_pyhanko_export_then_the_printed_pyhanko_command_validates(
    service: LiveService, licence: Path, tmp_path: Path
) -> None:
    # The local PKI this time: run where the service's data directory is.
    export = _bizreg(
        ["trust", "export", "--pyhanko"],
        tmp_path,
        {"BIZREG_DATA_DIR": str(service.settings.data_dir)},
    )
    assert export.returncode == 0, export.stdout + export.stderr
    assert (tmp_path / "bizreg-root.pem").exists()
    argv = _on(_printed(export.stdout, "pyhanko"), licence)
    assert "--trust-replace" in argv
    done = subprocess.run(
        [str(BIN / "pyhanko"), *argv[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "AuthoritySeal:" in done.stdout, done.stdout
    assert ":VALID" in done.stdout, done.stdout


def test_a_root_with_another_fingerprint_is_refused(
    service: LiveService, licence: Path, tmp_path: Path
) -> None:
    wrong = "00" * 32
    export = _bizreg(
        ["trust", "export", "--pem", "root.pem", "--url", service.base_url, "--fingerprint", wrong],
        tmp_path,
    )
    assert export.returncode == 1
    assert "refused" in export.stderr
    assert not (tmp_path / "root.pem").exists()
    verify = _bizreg(
        ["verify", str(licence), "--url", service.base_url, "--fingerprint", wrong], tmp_path
    )
    assert verify.returncode == 1
    assert "refused" in verify.stderr


def test_remote_verify_from_elsewhere_reads_signature_and_registry_status(
    service: LiveService, licence: Path, fingerprint: str, tmp_path: Path
) -> None:
    base = ["--url", service.base_url, "--fingerprint", fingerprint]
    genuine = _bizreg(["verify", str(licence), *base, "--json"], tmp_path)
    assert genuine.returncode == 0, genuine.stdout + genuine.stderr
    report = json.loads(genuine.stdout)
    assert report["passed"] is True
    assert report["registry"]["consulted"] is True
    assert report["registry"]["file_match"] == "identical"
    assert not (tmp_path / "no-data-here").exists()  # nothing local was needed or made
    # What the status lookup gives: enough to tell an archive's renewal from an alteration.
    public = service.http.get(f"/api/v1/licences/{report['licence']['uscc']}").json()
    assert public["size"] == licence.stat().st_size
    assert public["sha256"] == hashlib.sha256(licence.read_bytes()).hexdigest()

    tampered = tmp_path / "tampered.pdf"
    data = bytearray(licence.read_bytes())
    at = data.index(b"/Producer")
    data[at + 1] ^= 0x20
    tampered.write_bytes(bytes(data))
    altered = _bizreg(["verify", str(tampered), *base], tmp_path)
    assert altered.returncode == 1
    assert altered.stdout.startswith("FAIL")
    # Several files on several processes: each worker asks the registry over HTTP itself.
    both = _bizreg(["verify", str(licence), str(tampered), *base, "--jobs", "2"], tmp_path)
    assert both.returncode == 1
    assert [line.split()[0] for line in both.stdout.splitlines()] == ["PASS", "FAIL"]

    # Revoked at the registry: the same genuine file now fails, status from the public API.
    revoked_pdf = tmp_path / "revoked.pdf"
    revoked_pdf.write_bytes(_issue(service, unique_name(5, "贸易")))
    uscc = json.loads(_bizreg(["verify", str(revoked_pdf), *base, "--json"], tmp_path).stdout)[
        "licence"
    ]["uscc"]
    engine = create_db_engine(service.settings.effective_database_url)
    with Session(engine) as session:
        licence_service.revoke(
            session, Principal("officer", "registrar", Role.REGISTRAR_ADMIN), uscc, "test"
        )
        session.commit()
    engine.dispose()
    revoked = _bizreg(["verify", str(revoked_pdf), *base], tmp_path)
    assert revoked.returncode == 1, revoked.stdout
    assert revoked.stdout.startswith("FAIL")
    assert "revoked" in revoked.stdout.lower()

    unreachable = _bizreg(["verify", str(licence), "--url", "http://127.0.0.1:9"], tmp_path)
    assert unreachable.returncode == 1
    assert "cannot fetch" in unreachable.stderr


def test_a_relying_party_pinned_to_the_old_root_keeps_verifying_after_a_root_rollover(
    service: LiveService, licence: Path, fingerprint: str, tmp_path: Path
) -> None:
    """Last in this module: it rolls the live service's root over. `--fingerprint` of the old
    root still selects it (from /pki/roots.pem), and a licence signed after the rollover is
    verified against it through the cross-certificate it carries."""
    old_root = service.authority.pki.root_certificate
    new_root = service.authority.pki.rotate_root()  # as the worker's archive job would
    after = tmp_path / "after.pdf"
    after.write_bytes(_issue(service, unique_name(6, "贸易")))
    roots = service.http.get("/pki/roots.pem").text
    assert roots.count("BEGIN CERTIFICATE") == 2
    new_fingerprint = hashlib.sha256(new_root.public_bytes(serialization.Encoding.DER)).hexdigest()
    assert new_fingerprint != fingerprint
    # (after, new root) passing shows `after` is signed under the new root: a licence of the
    # old hierarchy has no path to it.
    for pdf, pinned in ((after, fingerprint), (licence, fingerprint), (after, new_fingerprint)):
        verify = _bizreg(
            ["verify", str(pdf), "--url", service.base_url, "--fingerprint", pinned], tmp_path
        )
        assert verify.returncode == 0, (pdf.name, pinned, verify.stdout + verify.stderr)
        assert verify.stdout.startswith("PASS")
    assert old_root != new_root

    # Independent validators holding only the old root: pyHanko's CLI fetches the CRL of the
    # old root's certificate of the new issuing CA from where that certificate says (the old
    # root's own address, /pki/ca/{serial}.crl); pdfsig (NSS) finds the same path.
    from tests.issuance.test_independent_validators import _nss_db, pdfsig, pyhanko_cli

    old_pem = tmp_path / "old-root.pem"
    old_pem.write_bytes(old_root.public_bytes(serialization.Encoding.PEM))
    validated = pyhanko_cli(after, old_pem)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    report = pdfsig(after, _nss_db(old_pem, tmp_path / "nss"))
    assert "Signature is Valid." in report, report
    assert "Certificate is Trusted." in report, report
