"""Sealed notices: queued with each step, signed by the issuance worker through the licence's
PAdES pipeline, listed on the application, and recognised by every verifier as what they are —
never as a licence (issue 12)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from registration.issuance.authority import LicenceAuthority
from registration.services import notices
from registration.settings import Settings
from tests.api.helpers import act, create
from tests.investors.support import Headers, returned_hong_kong
from tests.signing.support import make_nss_db, pdfsig, write_pem
from tests.tooling import require_tool


def _verify(client: TestClient, pdf: bytes) -> Any:
    return client.post("/api/v1/verify", files={"file": ("doc.pdf", pdf, "application/pdf")})


def _signed(
    client: TestClient,
    bank: Headers,
    app_id: str,
    engine: Engine,
    authority: LicenceAuthority,
    settings: Settings,
) -> list[dict[str, object]]:
    notices.sign_pending(engine, authority, settings)
    listed = client.get(f"/api/v1/applications/{app_id}/notices", headers=bank)
    assert listed.status_code == 200, listed.text
    rows: list[dict[str, object]] = listed.json()
    return rows


def test_each_decision_gets_a_signed_notice_that_verifies_as_a_notice(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
    engine: Engine,
    authority: LicenceAuthority,
    settings: Settings,
) -> None:
    bank = api_client_for("hong_kong")
    app_id = returned_hong_kong(app_client, bank, officer)["id"]
    rows = _signed(app_client, bank, app_id, engine, authority, settings)
    assert [r["kind"] for r in rows] == ["return"]
    assert rows[0]["pdf_url"]
    assert rows[0]["sha256"]
    pdf = app_client.get(str(rows[0]["pdf_url"]), headers=bank)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"

    report = app_client.post(
        "/api/v1/verify", files={"file": ("doc.pdf", pdf.content, "application/pdf")}
    )
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["kind"] == "notice"
    assert body["licence"] is None
    assert body["notice"]["kind"] == "return"
    assert body["notice"]["number"] == rows[0]["number"]
    assert [r["field"] for r in body["notice"]["data"]["reasons"]] == [
        "company.domicile",
        "company.name",
    ]
    assert body["indication"] == "TOTAL_PASSED"
    assert body["verdict"] == "authentic"
    assert body["in_force"] is None  # a notice is never "in force" as a licence
    assert body["passed"] is True
    assert "NOT a business licence" in body["summary"]["file"]

    # Another client cannot list or fetch them.
    stranger = api_client_for("hong_kong")
    assert (
        app_client.get(f"/api/v1/applications/{app_id}/notices", headers=stranger).status_code
        == 404
    )


def test_a_notice_altered_after_signing_fails(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
    engine: Engine,
    authority: LicenceAuthority,
    settings: Settings,
) -> None:
    bank = api_client_for("hong_kong")
    app_id = returned_hong_kong(app_client, bank, officer)["id"]
    rows = _signed(app_client, bank, app_id, engine, authority, settings)
    pdf = app_client.get(str(rows[0]["pdf_url"]), headers=bank).content
    # Flip one byte inside the signed range (the page content): the signature breaks.
    at = pdf.index(b"stream") + 20
    forged = pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]
    report = app_client.post(
        "/api/v1/verify", files={"file": ("doc.pdf", forged, "application/pdf")}
    ).json()
    assert report["passed"] is False
    assert report["verdict"] == "invalid"


def test_instant_path_notices_and_pdfsig_accepts_a_notice(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    engine: Engine,
    authority: LicenceAuthority,
    settings: Settings,
    tmp_path: Path,
) -> None:
    bank = api_client_for("yinzhengtong")
    app_id = create(app_client, bank, "yinzhengtong")["id"]
    assert act(app_client, bank, app_id, "submit").json()["status"] == "approved"
    rows = _signed(app_client, bank, app_id, engine, authority, settings)
    assert [r["kind"] for r in rows] == ["acceptance", "approval"]
    assert len({r["number"] for r in rows}) == 2
    pdf = app_client.get(str(rows[1]["pdf_url"]), headers=bank).content
    with pikepdf.open(__import__("io").BytesIO(pdf)) as document:
        names = [str(n) for n in document.Root.Names.EmbeddedFiles.Names[::2]]
    assert names == ["notice.json"]  # never licence.json
    path = tmp_path / "approval.pdf"
    path.write_bytes(pdf)
    pdfsig_path = require_tool("pdfsig", "poppler-utils")
    certutil = require_tool("certutil", "libnss3-tools")
    root = write_pem(tmp_path / "root.pem", authority.pki.root_certificate)
    output = pdfsig(pdfsig_path, make_nss_db(certutil, tmp_path / "nss", root), path)
    assert "Signature is Valid" in output, output
    assert "Certificate is Trusted" in output, output


def test_a_pdf_with_both_licence_and_notice_data_is_refused(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    engine: Engine,
    authority: LicenceAuthority,
    settings: Settings,
) -> None:
    """Assembled by hand and signed with the authority's own key (an insider's mistake or a
    stolen key): the verifier still will not let it pass as either."""
    import io

    from sqlmodel import Session, select

    from registration.models import Notice

    bank = api_client_for("yinzhengtong")
    app_id = create(app_client, bank, "yinzhengtong")["id"]
    act(app_client, bank, app_id, "submit")
    with Session(engine) as session:
        notice = session.exec(select(Notice).where(Notice.application_id == app_id)).first()
        assert notice is not None
        unsigned = notices.render(notice, settings)
    with pikepdf.open(io.BytesIO(unsigned)) as document:
        document.attachments["licence.json"] = pikepdf.AttachedFileSpec(
            document, json.dumps({"uscc": "91441900MA00000000"}).encode()
        )
        document.Root.AF.append(document.Root.Names.EmbeddedFiles.Names[-1])
        out = io.BytesIO()
        document.save(out)
    signed = authority.sign_notice(out.getvalue(), title="x", number="y")
    report = app_client.post(
        "/api/v1/verify", files={"file": ("doc.pdf", signed, "application/pdf")}
    ).json()
    assert report["passed"] is False
    assert report["reason"] == "ambiguous_document"


def test_bizreg_verify_offline_names_the_notice(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
    engine: Engine,
    authority: LicenceAuthority,
    settings: Settings,
    tmp_path: Path,
) -> None:
    bank = api_client_for("hong_kong")
    app_id = returned_hong_kong(app_client, bank, officer)["id"]
    rows = _signed(app_client, bank, app_id, engine, authority, settings)
    path = tmp_path / "return.pdf"
    path.write_bytes(app_client.get(str(rows[0]["pdf_url"]), headers=bank).content)
    root = tmp_path / "root.pem"
    from cryptography.hazmat.primitives import serialization

    root.write_bytes(authority.pki.root_certificate.public_bytes(serialization.Encoding.PEM))
    result = subprocess.run(
        [".venv/bin/bizreg", "verify", "--offline", "--trust", str(root), "--json", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout.splitlines()[0])
    assert line["kind"] == "notice"
    assert line["notice"]["kind"] == "return"


def test_the_webhook_of_a_step_links_its_notice(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
    engine: Engine,
) -> None:
    from sqlmodel import Session, select

    from registration.models import ApiClient, WebhookOutbox

    bank = api_client_for("hong_kong")
    with Session(engine) as session:
        for client in session.exec(select(ApiClient)):
            client.callback_url = "https://bank.example/hooks"
            session.add(client)
        session.commit()
    app_id = returned_hong_kong(app_client, bank, officer)["id"]
    with Session(engine) as session:
        events = [
            row.event
            for row in session.exec(
                select(WebhookOutbox).where(WebhookOutbox.application_id == app_id)
            )
        ]
    by_status = {e["status"]: e for e in events}
    assert "notice_url" not in by_status["submitted"]  # submission has no notice
    listed = app_client.get(f"/api/v1/applications/{app_id}/notices", headers=bank).json()
    assert by_status["returned"]["notice_url"] == (
        f"/api/v1/applications/{app_id}/notices/{listed[0]['id']}/pdf"
    )


def test_an_uncatalogued_reason_code_is_refused_and_changes_nothing(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
) -> None:
    from registration.domain.workflow import Role
    from tests.investors.support import manual_hong_kong

    bank = api_client_for("hong_kong")
    app_id = manual_hong_kong(app_client, bank)["id"]
    act(app_client, bank, app_id, "submit")
    refused = act(
        app_client,
        officer(Role.FRONT_DESK),
        app_id,
        "return",
        [{"field": "company.name", "code": "no_such_reason", "message": "x"}],
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"].endswith("code")
    status = app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json()["status"]
    assert status == "submitted"
    assert app_client.get(f"/api/v1/applications/{app_id}/notices", headers=bank).json() == []
