"""Bad input gets a specific 4xx problem and changes nothing."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from reportlab.pdfgen import canvas
from sqlalchemy import Engine

from tests.api.helpers import act, create
from tests.conftest import example, row_counts

Headers = dict[str, str]


def _mutate(path: list[Any], value: Any) -> dict[str, Any]:
    body = copy.deepcopy(example("paris"))
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


CASES = [
    (["company", "registered_capital", "amount"], 2000000.0, "company.registered_capital.amount"),
    (["company", "registered_capital", "amount"], "-5.00", "company.registered_capital.amount"),
    (["company", "registered_capital", "amount"], "1e30", "company.registered_capital.amount"),
    (["company", "registered_capital", "amount"], "NaN", "company.registered_capital.amount"),
    (["company", "registered_capital", "amount"], "12.345", "company.registered_capital.amount"),
    (["company", "registered_capital", "currency"], "eur", "company.registered_capital.currency"),
    (["company", "business_term_years"], "thirty", "company.business_term_years"),
    (["company", "business_scope"], [], "company.business_scope"),
    (["company", "business_scope", 1], "走私", "company.business_scope[1]"),
    (["shareholders", 1, "share_percent"], "59", "shareholders"),
    (["shareholders", 0, "share_percent"], "-40", "shareholders[0].share_percent"),
    (
        ["shareholders", 0, "contribution", "currency"],
        "CNY",
        "shareholders[0].contribution.currency",
    ),
    (["legal_representative"], "p9", "legal_representative"),
    (["persons", 0, "birth_date"], "1980-13-45", "persons[0].birth_date"),
    (["persons", 0, "document", "type"], "library_card", "persons[0].document.type"),
    (["company", "type"], "domestic_llc", "company.type"),
    (["supervisor"], "p1", "supervisor"),
    (["contact", "email"], "not-an-email", "contact.email"),
    (["surprise"], True, "surprise"),
]


@pytest.mark.parametrize(
    ("path", "value", "field"), CASES, ids=[c[2] + "=" + repr(c[1]) for c in CASES]
)
def test_invalid_payload_is_a_422_naming_the_field(
    app_client: TestClient,
    engine: Engine,
    api_client_for: Callable[[str], Headers],
    path: list[Any],
    value: Any,
    field: str,
) -> None:
    headers = api_client_for("paris")
    counts = row_counts(engine)
    response = app_client.post("/api/v1/applications", json=_mutate(path, value), headers=headers)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["code"] == "validation_failed"
    assert field in [e["field"] for e in problem["errors"]], problem["errors"]
    assert all(e["message"] for e in problem["errors"])
    assert row_counts(engine) == counts


def test_every_field_error_is_listed_at_once(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    body = _mutate(["shareholders", 1, "share_percent"], "59")
    body["company"]["business_scope"].append("走私")
    body["supervisor"] = "p1"
    response = app_client.post("/api/v1/applications", json=body, headers=api_client_for("paris"))
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"shareholders", "company.business_scope[2]", "supervisor"} <= fields


def test_malformed_json(app_client: TestClient, api_client_for: Callable[[str], Headers]) -> None:
    headers = {**api_client_for("paris"), "Content-Type": "application/json"}
    response = app_client.post("/api/v1/applications", content=b"{not json", headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


def test_invalid_patch_changes_nothing(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    headers = api_client_for("paris")
    app_id = create(app_client, headers, "paris")["id"]
    before = app_client.get(f"/api/v1/applications/{app_id}", headers=headers).json()
    counts = row_counts(engine)
    response = app_client.patch(
        f"/api/v1/applications/{app_id}",
        json={
            "shareholders": [
                {
                    "person": "p1",
                    "contribution": {"amount": "1.00", "currency": "EUR"},
                    "share_percent": "100",
                }
            ]
        },
        headers=headers,
    )
    assert response.status_code == 422
    assert "shareholders" in {e["field"] for e in response.json()["errors"]}
    assert app_client.get(f"/api/v1/applications/{app_id}", headers=headers).json() == before
    assert row_counts(engine) == counts


def _pdf() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Articles of association")
    page.save()
    return buffer.getvalue()


def _upload(
    client: TestClient, headers: Headers, app_id: str, content: bytes, name: str = "a.pdf"
) -> Any:
    return client.post(
        f"/api/v1/applications/{app_id}/documents",
        files={"file": (name, content, "application/pdf")},
        data={"kind": "articles_of_association"},
        headers=headers,
    )


def test_pdf_upload_is_stored_with_its_hash(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    import hashlib

    headers = api_client_for("paris")
    app_id = create(app_client, headers, "paris")["id"]
    content = _pdf()
    response = _upload(app_client, headers, app_id, content)
    assert response.status_code == 201, response.text
    assert response.json()["sha256"] == hashlib.sha256(content).hexdigest()
    assert response.json()["size"] == len(content)
    documents = app_client.get(f"/api/v1/applications/{app_id}", headers=headers).json()[
        "documents"
    ]
    assert [d["sha256"] for d in documents] == [hashlib.sha256(content).hexdigest()]


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"GIF89a not a pdf at all", 400, "not_a_pdf"),
        (b"%PDF-1.7\n1 0 obj <</Type /Catalog>> garbage", 400, "malformed_pdf"),
        (b"%PDF-1.4\n" + b"0" * (300 * 1024), 413, "payload_too_large"),
        (b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024), 413, "payload_too_large"),
    ],
    ids=["not-pdf", "malformed", "oversize", "oversize-refused-before-parsing"],
)
def test_bad_uploads_are_refused_and_change_nothing(
    app_client: TestClient,
    engine: Engine,
    api_client_for: Callable[[str], Headers],
    content: bytes,
    status: int,
    code: str,
) -> None:
    headers = api_client_for("paris")
    app_id = create(app_client, headers, "paris")["id"]
    counts = row_counts(engine)
    response = _upload(app_client, headers, app_id, content)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert row_counts(engine) == counts


def test_uploaded_articles_are_required_before_submission(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    headers = api_client_for("paris")
    body = example("paris")
    body["company"]["articles_of_association"] = {"template": "uploaded"}
    app_id = app_client.post("/api/v1/applications", json=body, headers=headers).json()["id"]
    refused = app_client.post(f"/api/v1/applications/{app_id}/submit", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "submission_checks_failed"
    assert refused.json()["errors"][0]["code"] == "document_missing"
    assert _upload(app_client, headers, app_id, _pdf()).status_code == 201
    submitted = act(app_client, headers, app_id, "submit")  # attests, then submits
    assert submitted.json()["status"] == "submitted"


def test_an_application_holds_at_most_ten_documents(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    headers = api_client_for("paris")
    app_id = create(app_client, headers, "paris")["id"]
    pdf = _pdf()
    for _ in range(10):
        assert _upload(app_client, headers, app_id, pdf).status_code == 201
    counts = row_counts(engine)
    refused = _upload(app_client, headers, app_id, pdf)
    assert refused.status_code == 409
    assert refused.json()["code"] == "too_many_documents"
    assert row_counts(engine) == counts
    documents = app_client.get(f"/api/v1/applications/{app_id}", headers=headers).json()[
        "documents"
    ]
    assert len(documents) == 10


def test_timestamp_query_in_another_media_type_is_a_415(app_client: TestClient) -> None:
    refused = app_client.post(
        "/tsa", content=b"\x30\x00", headers={"Content-Type": "application/octet-stream"}
    )
    assert refused.status_code == 415
    assert refused.json()["code"] == "unsupported_media_type"
