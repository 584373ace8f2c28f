"""Every kind of licence we issue, checked by validators we did not write.

poppler's `pdfsig` (NSS database trusting only our root) and the pyhanko CLI (which fetches
CRLs from the distribution points in our certificates, so a live service answers them).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from registration.domain.workflow import Role
from signing import RevocationReason, init_pki
from tests.conftest import example
from tests.issuance.live import LiveService, live_service
from tests.terminals.support import attest_over_http
from tests.tooling import require_tool

PYHANKO = Path(sys.executable).parent / "pyhanko"
CHANNELS = ["yinzhengtong", "hong_kong", "paris"]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with live_service(tmp_path_factory.mktemp("live")) as live:
        yield live


@pytest.fixture(scope="module")
def licences(service: LiveService) -> dict[str, bytes]:
    """One licence per channel, issued through the API as integrators and officers would."""
    pdfs = {}
    for channel in CHANNELS:
        bank = service.client_headers(channel)
        app_id = service.http.post(
            "/api/v1/applications", json=example(channel), headers=bank
        ).json()["id"]
        attest_over_http(service.http, bank, app_id)  # the bank's identity checks
        status = service.http.post(f"/api/v1/applications/{app_id}/submit", headers=bank).json()[
            "status"
        ]
        if status != "approved":  # paris: food sales need the food-safety office
            front = service.officer_headers(Role.FRONT_DESK)
            food = service.officer_headers(Role.BACK_OFFICE, ("food_safety",))
            service.http.post(
                f"/api/v1/applications/{app_id}/accept", headers=front
            ).raise_for_status()
            service.http.post(
                f"/api/v1/applications/{app_id}/approve", headers=food
            ).raise_for_status()
        link = service.wait_issued(app_id, bank)["licence"]
        pdfs[channel] = service.http.get(link["pdf_url"], headers=bank).content  # type: ignore[index]
    return pdfs


@pytest.fixture(scope="module")
def root_pem(service: LiveService, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trust") / "root.pem"
    path.write_bytes(service.http.get("/pki/root.pem").content)
    return path


def _nss_db(root: Path, directory: Path) -> str:
    certutil = require_tool("certutil", "libnss3-tools")
    directory.mkdir(exist_ok=True)
    subprocess.run([certutil, "-N", "-d", f"sql:{directory}", "--empty-password"], check=True)
    subprocess.run(
        [certutil, "-A", "-d", f"sql:{directory}", "-n", "root", "-t", "CT,C,C", "-i", str(root)],
        check=True,
    )
    return f"sql:{directory}"


def pdfsig(pdf: Path, nss: str) -> str:
    tool = require_tool("pdfsig", "poppler-utils")
    # pdfsig exits 0 whatever it finds: its verdict is in the text.
    return subprocess.run(
        [tool, "-nssdir", nss, str(pdf)], capture_output=True, text=True, timeout=60
    ).stdout


def pyhanko_cli(pdf: Path, root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(PYHANKO),
            "sign",
            "validate",
            "--trust",
            str(root),
            "--trust-replace",
            "--executive-summary",
            str(pdf),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("channel", CHANNELS)
def test_pdfsig_and_pyhanko_accept_every_licence_kind(
    channel: str, licences: dict[str, bytes], root_pem: Path, tmp_path: Path
) -> None:
    pdf = _write(tmp_path, f"{channel}.pdf", licences[channel])
    report = pdfsig(pdf, _nss_db(root_pem, tmp_path / "nss"))
    assert "Signature is Valid." in report, report
    assert "Certificate is Trusted." in report, report
    assert "ETSI.CAdES.detached" in report
    result = pyhanko_cli(pdf, root_pem)
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_flipped_byte_in_the_signed_range_is_refused_by_both(
    licences: dict[str, bytes], root_pem: Path, tmp_path: Path
) -> None:
    data = bytearray(licences["paris"])
    position = data.index(b"/Type /Catalog") if b"/Type /Catalog" in data else 200
    data[position + 1] ^= 0x01
    pdf = _write(tmp_path, "tampered.pdf", bytes(data))
    report = pdfsig(pdf, _nss_db(root_pem, tmp_path / "nss"))
    assert "Signature is Valid." not in report
    assert "Digest Mismatch." in report, report
    assert pyhanko_cli(pdf, root_pem).returncode != 0


def test_a_licence_is_not_trusted_under_another_root(
    licences: dict[str, bytes], tmp_path: Path
) -> None:
    stranger = init_pki(
        tmp_path / "other-pki",
        public_base_url="http://127.0.0.1:9",
        passphrase="another passphrase",
    )
    other_root = _write(
        tmp_path,
        "other-root.pem",
        stranger.root_certificate.public_bytes(serialization.Encoding.PEM),
    )
    pdf = _write(tmp_path, "licence.pdf", licences["yinzhengtong"])
    report = pdfsig(pdf, _nss_db(other_root, tmp_path / "nss"))
    assert "Certificate is Trusted." not in report, report
    assert pyhanko_cli(pdf, other_root).returncode != 0


def test_revoked_signing_certificate_is_reported(
    service: LiveService, licences: dict[str, bytes], root_pem: Path, tmp_path: Path
) -> None:
    """Runs last in this module: it revokes the live service's signer."""
    pdf = _write(tmp_path, "licence.pdf", licences["hong_kong"])
    assert pyhanko_cli(pdf, root_pem).returncode == 0
    serial = service.authority.signer_certificate.serial_number
    service.authority.pki.revoke_certificate(serial, RevocationReason.KEY_COMPROMISE)
    result = pyhanko_cli(pdf, root_pem)
    assert result.returncode != 0
    assert "revoked" in (result.stdout + result.stderr).lower()
