"""The licence signer's key in a PKCS#11 token, end to end with SoftHSM2 (issue 14):
`bizreg pki init --pkcs11` generates it inside the token and writes only its certificate; the
service issues licences signed and timestamped by the token and verifies them; neither the
signer's nor the TSA's key is a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient
from pkcs11 import Attribute
from sqlalchemy import Engine

from registration.app import create_app
from registration.cli import main
from registration.issuance import hsm
from registration.issuance.authority import build_authority
from registration.services import issuance as service
from registration.settings import Settings
from registration.workers.checkpoints import CheckpointWorker
from signing.pkcs11_keystore import close_token_session
from tests.api.helpers import act, create
from tests.conftest import SINGLE_CONNECTION_POOL
from tests.tooling import SOFTHSM_TOKENS
from tlog import Checkpoint, NoteVerifier

TOKEN = "bizreg-e2e"
PIN = SOFTHSM_TOKENS[TOKEN]


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
        with TestClient(app, base_url=settings.base_url) as client:
            bank = api_client_for("yinzhengtong")
            app_id = create(client, bank, "yinzhengtong")["id"]
            assert act(client, bank, app_id, "submit").json()["status"] == "approved"
            assert service.run_once(engine, authority) == app_id
            link = client.get(f"/api/v1/applications/{app_id}", headers=bank).json()["licence"]
            pdf = client.get(link["pdf_url"], headers=bank).content
            report = client.post(
                "/api/v1/verify", files={"file": ("l.pdf", pdf, "application/pdf")}
            ).json()
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
