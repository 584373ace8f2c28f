"""POST /api/v1/verify: a licence issued through the API, verified through the API, in every
state; every forgery answered with a report or a 4xx, never a 500."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from registration.issuance.authority import LicenceAuthority
from registration.services import issuance as service
from tests.api.helpers import act, create
from tests.conftest import set_licence_status
from tests.verification import attacks

Headers = dict[str, str]


@dataclass(frozen=True)
class Issued:
    uscc: str
    pdf: bytes


@pytest.fixture
def issued(
    app_client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], Headers],
) -> Issued:
    bank = api_client_for("yinzhengtong")
    app_id = create(app_client, bank, "yinzhengtong")["id"]
    assert act(app_client, bank, app_id, "submit").json()["status"] == "approved"
    service.run_once(engine, authority)
    link = app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json()["licence"]
    pdf = app_client.get(link["pdf_url"], headers=bank).content
    return Issued(link["uscc"], pdf)


def _verify(client: TestClient, pdf: bytes, name: str = "licence.pdf") -> dict[str, object]:
    response = client.post("/api/v1/verify", files={"file": (name, pdf, "application/pdf")})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _set_status(engine: Engine, uscc: str, status: str, reason: str) -> None:
    set_licence_status(engine, uscc, status, reason)


def test_issued_licence_is_in_force(app_client: TestClient, issued: Issued) -> None:
    body = _verify(app_client, issued.pdf)
    assert (body["indication"], body["verdict"], body["in_force"]) == (
        "TOTAL_PASSED",
        "in_force",
        True,
    )
    assert body["passed"] is True
    registry = body["registry"]
    assert isinstance(registry, dict)
    assert (registry["status"], registry["file_match"]) == ("active", "identical")
    licence = body["licence"]
    assert isinstance(licence, dict)
    assert (licence["uscc"], licence["version"], licence["verified"]) == (issued.uscc, 1, True)
    signature = body["signature"]
    assert isinstance(signature, dict)
    # Online, the service checks its current CRLs as well as the embedded ones.
    assert signature["revocation"]["source"] == "current"  # type: ignore[index]


@pytest.mark.parametrize(
    ("status", "reason"), [("revoked", "licence_revoked"), ("superseded", "licence_superseded")]
)
def test_revoked_or_superseded_licence_is_genuine_but_not_in_force(
    app_client: TestClient, engine: Engine, issued: Issued, status: str, reason: str
) -> None:
    _set_status(engine, issued.uscc, status, "fraudulent registration")
    body = _verify(app_client, issued.pdf)
    assert body["signature"]["indication"] == "TOTAL_PASSED"  # type: ignore[index]
    assert (body["verdict"], body["reason"], body["in_force"]) == ("not_in_force", reason, False)
    assert body["registry"]["status_reason"] == "fraudulent registration"  # type: ignore[index]
    assert body["passed"] is False
    assert f"is {status}." in body["summary"]["registry"]  # type: ignore[index]


def test_every_forgery_gets_a_report_or_a_4xx(app_client: TestClient, issued: Issued) -> None:
    forgeries = {
        name: attack(issued.pdf)
        for name, attack in {
            **attacks.CHANGES_AFTER_SIGNING,
            **attacks.SIGNED_BYTES,
            **attacks.BROKEN_FILES,
        }.items()
    }
    forgeries["nested"] = attacks.deeply_nested()
    for name, pdf in forgeries.items():
        start = time.perf_counter()
        response = app_client.post(
            "/api/v1/verify", files={"file": (f"{name}.pdf", pdf, "application/pdf")}
        )
        assert time.perf_counter() - start < 5, name
        assert response.status_code in (200, 400, 413), (name, response.text)
        if response.status_code == 200:
            body = response.json()
            assert body["indication"] == "TOTAL_FAILED", (name, body["problems"])
            assert body["in_force"] is False, name


def test_tampered_licence_fails_with_the_reason(app_client: TestClient, issued: Issued) -> None:
    body = _verify(app_client, attacks.flip_byte(issued.pdf))
    assert (body["indication"], body["sub_indication"], body["reason"]) == (
        "TOTAL_FAILED",
        "HASH_FAILURE",
        "digest_mismatch",
    )
    # One overall answer, and words that do not read as "not in force, yet active": the
    # registry sentence is about the genuine licence and says this file is not it.
    assert body["passed"] is False
    summary = body["summary"]
    assert isinstance(summary, dict)
    assert summary["file"]


def test_an_altered_copy_never_reads_as_active(app_client: TestClient, issued: Issued) -> None:
    """Issue 15: `in_force: false` beside `registry.status: active` read as a contradiction;
    the summary says whose status that is."""
    body = _verify(app_client, attacks.replace_page_content(issued.pdf))
    assert body["passed"] is False
    assert body["registry"]["status"] == "active"  # type: ignore[index]
    registry_sentence = body["summary"]["registry"]  # type: ignore[index]
    assert registry_sentence == (
        f"The registry's licence {issued.uscc} (latest version 1) is active; "
        "this file is not a copy of it."
    )


def test_not_a_pdf_is_a_bad_request(app_client: TestClient) -> None:
    response = app_client.post(
        "/api/v1/verify", files={"file": ("x.pdf", b"GIF89a not a pdf", "application/pdf")}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_a_pdf"


@pytest.mark.parametrize("size", [300 * 1024, 2 * 1024 * 1024])
def test_oversize_upload_is_refused(app_client: TestClient, size: int) -> None:
    """The test settings allow 256 KiB uploads: just over is refused by the endpoint, far over
    by the body-size middleware before it is read."""
    pdf = b"%PDF-1.7\n" + b"0" * size
    response = app_client.post(
        "/api/v1/verify", files={"file": ("big.pdf", pdf, "application/pdf")}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_missing_file_is_a_validation_error(app_client: TestClient) -> None:
    response = app_client.post("/api/v1/verify", data={"other": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"
