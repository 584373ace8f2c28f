"""All three channels from draft to signed licence through the reference client
(`bank_adapter.BizregClient`: every request RFC 9421-signed), and the `bizreg terminal` CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bank_adapter import BizregApiError
from registration.cli import main
from registration.cli import terminal as terminal_cli
from registration.domain.workflow import Role
from registration.issuance.authority import LicenceAuthority
from registration.services import issuance
from registration.settings import Settings
from templates import read_licence_data
from tests.conftest import example, row_counts
from tests.terminals.conftest import MakeTerminal
from tests.terminals.support import people_to_attest

Headers = dict[str, str]


@pytest.mark.parametrize("channel", ["yinzhengtong", "hong_kong", "paris"])
def test_draft_to_licence_through_the_reference_client(
    app_client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    make_terminal: MakeTerminal,
    officer: Callable[..., Headers],
    channel: str,
) -> None:
    terminal = make_terminal(channel, "ecdsa-p256-sha256" if channel == "paris" else "ed25519")
    payload = example(channel)
    with terminal.reference_client() as bizreg:
        application = bizreg.create_application(payload, idempotency_key=f"e2e-{channel}")
        app_id = application["id"]
        # The terminal lost the answer and retries: same application, not a second one.
        retried = bizreg.create_application(payload, idempotency_key=f"e2e-{channel}")
        assert retried["id"] == app_id
        assert row_counts(engine)["application"] == 1

        with pytest.raises(BizregApiError) as early:
            bizreg.submit(app_id)
        assert early.value.code == "submission_checks_failed"

        for person in people_to_attest(payload):
            attested = bizreg.attest(app_id, terminal.attester.token(app_id, person))
            assert attested["person_ref"] == person["ref"]
        submitted = bizreg.submit(app_id, idempotency_key=f"submit-{app_id}")

        if channel == "paris":
            # 食品销售 needs a permit: front desk, then the food-safety back office.
            assert submitted["status"] == "submitted"
            assert submitted["category"] == "food_safety"
            front = officer(Role.FRONT_DESK)
            food = officer(Role.BACK_OFFICE, ("food_safety",))
            accept = app_client.post(f"/api/v1/applications/{app_id}/accept", headers=front)
            assert accept.json()["status"] == "accepted"
            approve = app_client.post(f"/api/v1/applications/{app_id}/approve", headers=food)
            assert approve.json()["status"] == "approved"
        else:
            assert submitted["status"] == "approved"  # instant path

        assert issuance.run_once(engine, authority) == app_id
        issued = bizreg.get_application(app_id)
        assert issued["status"] == "issued"
        uscc = issued["licence"]["uscc"]
        pdf = bizreg.get_licence_pdf(uscc)
    assert pdf.startswith(b"%PDF-")
    data = read_licence_data(pdf)
    assert data["uscc"] == uscc
    assert b"/ETSI.CAdES.detached" in pdf


def test_the_reference_client_reports_problems_by_code(make_terminal: MakeTerminal) -> None:
    terminal = make_terminal("hong_kong")
    with terminal.reference_client() as bizreg:
        app_id = bizreg.create_application(example("hong_kong"), idempotency_key="k1")["id"]
        supervisor = example("hong_kong")["persons"][1]
        with pytest.raises(BizregApiError) as refused:
            bizreg.attest(app_id, terminal.attester.token(app_id, supervisor))
        assert (refused.value.status_code, refused.value.code) == (422, "person_not_attestable")
        with pytest.raises(BizregApiError) as reused:
            bizreg.create_application(example("paris"), idempotency_key="k1")
        assert reused.value.code == "idempotency_key_reused"


def test_bizreg_terminal_commands(
    app_client: TestClient,
    engine: Engine,
    settings: Settings,
    authority: LicenceAuthority,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {"BIZREG_DATABASE_URL": database_url, "BIZREG_DATA_DIR": str(tmp_path / "var")}
    monkeypatch.setattr(terminal_cli, "make_http", lambda: app_client)
    runner = CliRunner()
    keys = tmp_path / "keys"
    for name in ("t01", "att"):
        result = runner.invoke(main, ["terminal", "keygen", str(keys), "--name", name], env=env)
        assert result.exit_code == 0, result.output
    registered = runner.invoke(
        main,
        [
            "client",
            "add",
            "boc-t01",
            "--channel",
            "yinzhengtong",
            "--org",
            "Bank of China",
            "--public-key",
            str(keys / "t01-public.pem"),
            "--keyid",
            "boc-t01-2025",
            "--attestation-key",
            str(keys / "att-public.pem"),
            "--by",
            "registrar",
        ],
        env=env,
    )
    assert registered.exit_code == 0, registered.output

    application = tmp_path / "application.json"
    application.write_text(json.dumps(example("yinzhengtong"), ensure_ascii=False), "utf-8")
    connection = [
        "--base-url",
        settings.base_url,
        "--client-id",
        "boc-t01",
        "--keyid",
        "boc-t01-2025",
        "--key",
        str(keys / "t01-key.pem"),
    ]
    submit = ["terminal", "submit", str(application), *connection]
    submit += ["--attestation-key", str(keys / "att-key.pem")]
    result = runner.invoke(main, submit, env=env)
    assert result.exit_code == 0, result.output
    assert "attested p1" in result.output
    assert result.output.strip().endswith("approved")
    app_id = re.search(r"application (\S+):", result.output).group(1)  # type: ignore[union-attr]
    # The receipt's tracking reference and code, which the bank prints for the investor.
    assert re.search(r"tracking reference DG-[0-9A-Z-]+ code [0-9A-Z-]{24}", result.output)

    # Running it again is safe: the derived Idempotency-Key replays the first create.
    again = runner.invoke(main, submit, env=env)
    assert again.exit_code == 0, again.output
    assert f"application {app_id}: approved" in again.output
    # Pre-flight is for drafts: on a submitted case the reference client says why and exits 1.
    late = runner.invoke(main, ["terminal", "preflight", app_id, *connection], env=env)
    assert late.exit_code == 1, late.output
    assert "not_editable" in late.output
    assert row_counts(engine)["application"] == 1

    # Waiting with no worker running: the licence cannot come, and the command says so.
    waited = runner.invoke(
        main, [*submit, "--wait", "1", "--pdf", str(tmp_path / "x.pdf")], env=env
    )
    assert waited.exit_code != 0
    assert "no final status within 1 s" in waited.output
    assert not (tmp_path / "x.pdf").exists()

    assert issuance.run_once(engine, authority) == app_id
    issued = runner.invoke(
        main, [*submit, "--wait", "5", "--pdf", str(tmp_path / "y.pdf")], env=env
    )
    assert issued.exit_code == 0, issued.output
    assert (tmp_path / "y.pdf").exists()
    status = runner.invoke(main, ["terminal", "status", app_id, *connection], env=env)
    assert json.loads(status.output)["status"] == "issued"
    uscc = json.loads(status.output)["licence"]["uscc"]
    pdf = tmp_path / "licence.pdf"
    saved = runner.invoke(
        main, ["terminal", "licence", uscc, "--out", str(pdf), *connection], env=env
    )
    assert saved.exit_code == 0, saved.output
    assert read_licence_data(pdf.read_bytes())["uscc"] == uscc

    unknown = runner.invoke(main, ["terminal", "status", "nope", *connection], env=env)
    assert unknown.exit_code != 0
    assert "application_not_found" in unknown.output
