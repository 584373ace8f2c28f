"""`bizreg verify`: offline from the published root, online against the deployment's registry;
a batch on several processes; exit status 0 only if every file passed."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from registration.cli import main
from registration.issuance.authority import LicenceAuthority
from registration.services import issuance as service
from signing import LicenceSigner, RevocationReason, init_pki
from tests.api.helpers import act, create
from tests.conftest import set_licence_status
from tests.verification import attacks
from tests.verification.conftest import Genuine


@pytest.fixture(scope="module")
def files(genuine: Genuine, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("cli")
    contents = {
        "root.pem": genuine.root.public_bytes(serialization.Encoding.PEM),
        "blt.pdf": genuine.blt,
        "blta.pdf": genuine.blta,
        "hong-kong.pdf": genuine.hong_kong,
        "tampered.pdf": attacks.flip_byte(genuine.blt),
        "appended.pdf": attacks.replace_page_content(genuine.blt),
    }
    paths = {}
    for name, data in contents.items():
        paths[name] = directory / name
        paths[name].write_bytes(data)
    return paths


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(main, ["verify", *args], env=env)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines, result.stderr


def test_offline_genuine_licence_passes(files: dict[str, Path]) -> None:
    code, lines, _ = _run("--offline", "--trust", str(files["root.pem"]), str(files["blt.pdf"]))
    assert code == 0
    assert lines[0].startswith("PASS")
    assert "Genuine (status not checked)" in lines[0]


def test_one_file_loads_nothing_of_the_signing_half(files: dict[str, Path]) -> None:
    """A regulator verifying one file waits for imports: the whole process must not load the
    signers (and aiohttp under them), the PDF writer, the progress bar or the database."""
    probe = (
        "import sys\n"
        "from registration.cli import main\n"
        "try:\n"
        f"    main(['verify', '--offline', '--trust', {str(files['root.pem'])!r}, "
        f"{str(files['blt.pdf'])!r}])\n"
        "except SystemExit as exit:\n"
        "    print('EXIT', exit.code)\n"
        "heavy = [m for m in ('aiohttp', 'pyhanko.sign.signers', 'pyhanko.sign.timestamps', "
        "'pikepdf', 'reportlab', 'tqdm', 'sqlalchemy', 'fastapi') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert output.startswith("PASS"), output
    assert "EXIT 0" in output
    assert "HEAVY []" in output


def test_offline_batch_on_several_processes(files: dict[str, Path]) -> None:
    names = ["blt.pdf", "tampered.pdf", "blta.pdf", "appended.pdf", "hong-kong.pdf"]
    code, lines, stderr = _run(
        "--offline",
        "--trust",
        str(files["root.pem"]),
        "--json",
        "--jobs",
        "2",
        *(str(files[n]) for n in names),
    )
    assert code == 1  # two of five fail
    reports = [json.loads(line) for line in lines]
    assert [Path(r["file"]).name for r in reports] == names  # in the order given
    assert [r["passed"] for r in reports] == [True, False, True, False, True]
    assert reports[1]["sub_indication"] == "HASH_FAILURE"
    assert reports[3]["reason"] == "modified_after_signing"
    assert "5 files: 3 passed, 2 failed" in stderr
    assert "file/s" in stderr  # the progress bar


def test_reasons_in_chinese(files: dict[str, Path]) -> None:
    code, lines, _ = _run(
        "--offline", "--trust", str(files["root.pem"]), "--lang", "zh", str(files["tampered.pdf"])
    )
    assert code == 1
    assert "文件内容在签名后被修改过" in lines[0]


def test_offline_needs_the_root(files: dict[str, Path]) -> None:
    code, _, stderr = _run("--offline", str(files["blt.pdf"]))
    assert code == 2
    assert "--trust" in stderr


def test_a_missing_file_fails_without_stopping_the_batch(files: dict[str, Path]) -> None:
    code, lines, _ = _run(
        "--offline",
        "--trust",
        str(files["root.pem"]),
        str(files["blt.pdf"]),
        str(files["blt.pdf"].with_name("nowhere.pdf")),
    )
    assert code == 1
    assert lines[0].startswith("PASS")
    assert lines[1].startswith("FAIL")
    assert "FileNotFoundError" in lines[1]


def test_online_uses_the_registry_of_this_deployment(
    app_client: TestClient,
    engine: Engine,
    database_url: str,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], dict[str, str]],
    tmp_path: Path,
) -> None:
    bank = api_client_for("yinzhengtong")
    app_id = create(app_client, bank, "yinzhengtong")["id"]
    act(app_client, bank, app_id, "submit")
    service.run_once(engine, authority)
    link = app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json()["licence"]
    pdf = tmp_path / "licence.pdf"
    pdf.write_bytes(app_client.get(link["pdf_url"], headers=bank).content)
    env = {
        "BIZREG_DATA_DIR": str(authority.settings.data_dir),
        "BIZREG_DATABASE_URL": database_url,
    }

    code, lines, _ = _run("--json", str(pdf), env=env)
    assert code == 0, lines
    report = json.loads(lines[0])
    assert (report["verdict"], report["registry"]["file_match"]) == ("in_force", "identical")

    set_licence_status(engine, link["uscc"], "revoked", "obtained by fraud")
    code, lines, _ = _run(str(pdf), env=env)
    assert code == 1
    assert "revoked on" in lines[0]


def test_offline_with_a_current_crl_sees_a_revocation(genuine: Genuine, tmp_path: Path) -> None:
    """Offline, only the CRLs embedded at signing are known; --crl adds the current one."""
    pki = init_pki(tmp_path / "pki", public_base_url="https://ca.example", passphrase="p" * 16)
    pdf = tmp_path / "licence.pdf"
    pdf.write_bytes(LicenceSigner.for_pki(pki).sign(genuine.unsigned))
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root_certificate.public_bytes(serialization.Encoding.PEM))
    pki.revoke_certificate(
        pki.signer_certificate.serial_number,
        RevocationReason.KEY_COMPROMISE,
        revoked_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2),
    )
    crl = tmp_path / "crl.pem"
    crl.write_bytes(
        x509.load_der_x509_crl(pki.current_crl_der()).public_bytes(serialization.Encoding.PEM)
    )
    assert _run("--offline", "--trust", str(root), str(pdf))[0] == 0
    code, lines, _ = _run("--offline", "--trust", str(root), "--crl", str(crl), str(pdf))
    assert code == 1
    assert "INDETERMINATE/REVOKED_NO_POE" in lines[0]
