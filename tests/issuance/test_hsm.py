"""The licence signer's key in a PKCS#11 token, end to end with SoftHSM2 (issue 14):
`bizreg pki init --pkcs11` generates it inside the token and writes only its certificate; the
service issues licences signed and timestamped by the token and verifies them; neither the
signer's nor the TSA's key is a file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pkcs11 import Attribute
from sqlalchemy import Engine

from registration.app import create_app
from registration.cli import main
from registration.issuance import hsm
from registration.issuance.authority import (
    LicenceAuthority,
    build_authority,
    init_token_signer,
)
from registration.services import issuance as service
from registration.settings import Settings
from registration.workers.checkpoints import CheckpointWorker
from signing import PkiError
from signing.pkcs11_keystore import close_token_session
from tests.api.helpers import act, create
from tests.conftest import SINGLE_CONNECTION_POOL
from tests.tooling import SOFTHSM_TOKENS
from tlog import Checkpoint, NoteVerifier

TOKEN = "bizreg-e2e"
PIN = SOFTHSM_TOKENS[TOKEN]


def _issue_and_verify(
    app: FastAPI,
    settings: Settings,
    engine: Engine,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], dict[str, str]],
) -> dict[str, Any]:
    """A bank's instant application issued by `authority` (the token's keys), downloaded and
    put to the service's own verification: its report."""
    with TestClient(app, base_url=settings.base_url) as client:
        bank = api_client_for("yinzhengtong")
        app_id = create(client, bank, "yinzhengtong")["id"]
        assert act(client, bank, app_id, "submit").json()["status"] == "approved"
        assert service.run_once(engine, authority) == app_id
        link = client.get(f"/api/v1/applications/{app_id}", headers=bank).json()["licence"]
        pdf = client.get(link["pdf_url"], headers=bank).content
        report: dict[str, Any] = client.post(
            "/api/v1/verify", files={"file": ("l.pdf", pdf, "application/pdf")}
        ).json()
    return report


def test_licences_signed_in_the_token(
    softhsm_library: str,
    tmp_path: Path,
    engine: Engine,
    database_url: str,
    api_client_for: Callable[[str], dict[str, str]],
) -> None:
    pin_file = tmp_path / "pin"
    pin_file.write_text(PIN + "\n")
    env = {
        "BIZREG_DATA_DIR": str(tmp_path / "var"),
        "BIZREG_DATABASE_URL": database_url,
        "BIZREG_PKCS11_MODULE": softhsm_library,
        "BIZREG_PKCS11_SIGNER_KEY": f"pkcs11:token={TOKEN};object=licence-signer",
        "BIZREG_PKCS11_TSA_KEY": f"pkcs11:token={TOKEN};object=timestamping",
        "BIZREG_PKCS11_LOG_KEY": f"pkcs11:token={TOKEN};object=log",
        "BIZREG_PKCS11_PIN_FILE": str(pin_file),
    }
    settings = Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        pkcs11_module=softhsm_library,
        pkcs11_signer_key=env["BIZREG_PKCS11_SIGNER_KEY"],
        pkcs11_tsa_key=env["BIZREG_PKCS11_TSA_KEY"],
        pkcs11_log_key=env["BIZREG_PKCS11_LOG_KEY"],
        pkcs11_pin_file=pin_file,
    )
    try:
        result = CliRunner().invoke(main, ["pki", "init", "--pkcs11"], env=env)
        assert result.exit_code == 0, result.output
        # Only certificates for the signer and the TSA: no key file, current or retired.
        keys = {p.name for p in settings.pki_dir.rglob("*.key.pem")}
        assert keys == {"root.key.pem", "issuing.key.pem"}, keys  # the CAs' (see the report)
        key = hsm.signer_keystore(settings)
        private = key.private_key_object
        assert private[Attribute.SENSITIVE]
        assert not private[Attribute.EXTRACTABLE]

        authority = build_authority(settings)
        assert hsm.same_key(authority.signer_certificate.public_key(), key.public_key)
        tsa_key = hsm.keystore(settings, env["BIZREG_PKCS11_TSA_KEY"])
        assert hsm.same_key(authority.pki.tsa_certificate.public_key(), tsa_key.public_key)
        app = create_app(settings.model_copy(update=SINGLE_CONNECTION_POOL), authority=authority)
        report = _issue_and_verify(app, settings, engine, authority, api_client_for)
        assert (report["indication"], report["verdict"]) == ("TOTAL_PASSED", "in_force")
        # The licence's timestamp was made by the token's TSA key.
        assert report["signature"]["timestamp"]["trusted"] is True

        # The log's checkpoints are signed by the token's Ed25519 key, and verify.
        assert CheckpointWorker(engine, settings).sign_once() is not None
        log_key = hsm.log_key(settings)
        assert not log_key.private_key_object[Attribute.EXTRACTABLE]
        with TestClient(app, base_url=settings.base_url) as client:
            verifier = NoteVerifier.parse(client.get("/log/key").text)
            assert verifier.public_key == log_key.public_key_raw
            assert Checkpoint.open(client.get("/log/checkpoint").text, verifier).size > 0
        assert not settings.log_key_path.exists()

        # A wrong PIN or a missing key is a clear refusal, not a crash.
        env["BIZREG_PKCS11_SIGNER_KEY"] = f"pkcs11:token={TOKEN};object=no-such-key"
        refused = CliRunner().invoke(main, ["pki", "rotate-signer"], env=env)
        assert refused.exit_code != 0
    finally:
        close_token_session(hsm._token(settings)[0])


def test_keys_in_the_token_are_certified_anew_at_rollovers(
    softhsm_library: str,
    tmp_path: Path,
    engine: Engine,
    database_url: str,
    api_client_for: Callable[[str], dict[str, str]],
) -> None:
    """The worker's rollovers (issuing CA, TSA, licence signer) certify the token's keys anew
    instead of skipping them: without it, a deployment on the HSM path would stop issuing the
    day the signer's two-year certificate ends. Re-keying inside the token is the operator's
    (a new label, then `pki init --pkcs11`); `pki rotate-signer` says so instead of quietly
    moving the signer's key into a file."""
    pin_file = tmp_path / "pin"
    pin_file.write_text(PIN + "\n")
    settings = Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        pkcs11_module=softhsm_library,
        pkcs11_signer_key=f"pkcs11:token={TOKEN};object=rollover-signer",
        pkcs11_tsa_key=f"pkcs11:token={TOKEN};object=rollover-tsa",
        pkcs11_pin_file=pin_file,
    )
    try:
        authority = init_token_signer(settings)
        signer_key = hsm.signer_keystore(settings).public_key
        tsa_key = hsm.keystore(settings, f"pkcs11:token={TOKEN};object=rollover-tsa").public_key
        before = authority.pki.issuing_certificate, authority.pki.tsa_certificate
        signer_before = authority.signer_certificate

        # A margin beyond the TSA's five years: everything is due, the root first.
        assert authority.roll_over(dt.timedelta(days=6 * 365)) == ["root", "issuing_ca", "tsa"]
        pki = authority.pki
        assert (pki.issuing_certificate, pki.tsa_certificate) != before
        assert authority.signer_certificate != signer_before
        pki.signer_certificate.verify_directly_issued_by(pki.issuing_certificate)
        pki.tsa_certificate.verify_directly_issued_by(pki.issuing_certificate)
        assert hsm.same_key(pki.signer_certificate.public_key(), signer_key)
        assert hsm.same_key(pki.tsa_certificate.public_key(), tsa_key)
        assert before[1] in pki.retired_tsa_certificates
        keys = {p.name for p in settings.pki_dir.rglob("*.key.pem")}
        assert {"tsa.key.pem"} & keys == set()
        assert not list(settings.pki_dir.glob("signers/*.key*"))

        # The running authority signs with the new certificates and the same token keys, and
        # the licence verifies, its timestamp trusted.
        app = create_app(settings.model_copy(update=SINGLE_CONNECTION_POOL), authority=authority)
        report = _issue_and_verify(app, settings, engine, authority, api_client_for)
        assert (report["indication"], report["verdict"]) == ("TOTAL_PASSED", "in_force")
        assert report["signature"]["timestamp"]["trusted"] is True
        signer_serial = report["signature"]["signer"]["serial_number"]
        assert int(signer_serial, 16) == pki.signer_certificate.serial_number

        # `rotate-signer` would make a file key: refused, with what to do instead.
        with pytest.raises(PkiError, match="pki init --pkcs11"):
            authority.rotate_signer()
        assert pki.signer_key_is_external
    finally:
        close_token_session(hsm._token(settings)[0])
