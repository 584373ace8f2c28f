"""Requirements and pre-flight: what a case needs before anything is collected, and every
submission check on a draft with nothing changed (issue 12)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from registration.issuance.authority import LicenceAuthority
from registration.services import issuance
from tests.api.helpers import act, create
from tests.conftest import example, row_counts
from tests.investors.support import Headers
from tests.terminals.support import attest_over_http


def test_a_standard_case_qualifies_for_instant_approval(app_client: TestClient) -> None:
    scope = example("yinzhengtong")["company"]["business_scope"]
    response = app_client.get(
        "/api/v1/requirements", params={"channel": "yinzhengtong", "scope": scope}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["company_type"] == "domestic_llc"
    assert body["instant_approval"] is True
    assert body["category"] == "general"
    assert body["identity_documents"] == ["cn_id_card", "passport"]
    assert "company.name.zh" in body["required_fields"]
    assert "persons[].document.number" in body["required_fields"]
    assert body["needs_human_because"] == []


def test_a_permit_item_goes_to_its_back_office_and_says_why(app_client: TestClient) -> None:
    scope = ",".join(example("paris")["company"]["business_scope"])  # comma-separated works too
    body = app_client.get(
        "/api/v1/requirements", params={"channel": "paris", "scope": scope}
    ).json()
    assert body["instant_approval"] is False
    assert body["category"] == "food_safety"
    assert any("食品销售" in reason for reason in body["needs_human_because"])
    assert body["identity_documents"] == ["passport"]


def test_every_unknown_part_of_the_question_is_listed_at_once(app_client: TestClient) -> None:
    response = app_client.get(
        "/api/v1/requirements",
        params={"channel": "atlantis", "scope": ["软件开发", "时间旅行"]},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "requirements_query_invalid"
    assert [e["field"] for e in body["errors"]] == ["channel", "scope[1]"]
    wrong_type = app_client.get(
        "/api/v1/requirements", params={"channel": "paris", "company_type": "domestic_llc"}
    )
    assert wrong_type.status_code == 422
    assert wrong_type.json()["errors"][0]["field"] == "company_type"
    too_many = app_client.get(
        "/api/v1/requirements", params={"channel": "paris", "scope": ["软件开发"] * 51}
    )
    assert too_many.status_code == 422


@pytest.mark.parametrize("channel", ["yinzhengtong", "hong_kong", "paris"])
def test_the_required_fields_are_what_submission_enforces(
    app_client: TestClient, api_client_for: Callable[[str], Headers], channel: str
) -> None:
    """Every example has every required field, and dropping any top-level one is refused."""
    required = app_client.get("/api/v1/requirements", params={"channel": channel}).json()[
        "required_fields"
    ]
    payload = example(channel)
    bank = api_client_for(channel)
    for path in required:
        if "." in path or "[" in path:
            continue
        assert path in payload, path
        broken = {k: v for k, v in payload.items() if k != path}
        refused = app_client.post("/api/v1/applications", json=broken, headers=bank)
        assert refused.status_code == 422, path
        assert any(e["field"].startswith(path) for e in refused.json()["errors"]), path


def test_preflight_lists_every_problem_and_changes_nothing(
    app_client: TestClient, api_client_for: Callable[[str], Headers], engine: Engine
) -> None:
    bank = api_client_for("yinzhengtong")
    taken = create(app_client, bank, "yinzhengtong")
    attest_over_http(app_client, bank, taken["id"])
    assert act(app_client, bank, taken["id"], "submit").json()["status"] == "approved"
    draft = create(app_client, bank, "yinzhengtong")  # same name, nobody attested
    before = row_counts(engine)
    response = app_client.post(f"/api/v1/applications/{draft['id']}/preflight", headers=bank)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ready"] is False
    assert body["predicted_path"] == "instant"
    codes = {p["code"] for p in body["problems"]}
    assert "attestation_missing" in codes
    assert any(p["field"] == "company.name.zh" for p in body["problems"])
    assert row_counts(engine) == before  # no name held, no event, no status change
    status = app_client.get(f"/api/v1/applications/{draft['id']}", headers=bank).json()
    assert status["status"] == "draft"
    assert status["revision"] == draft["revision"]


def test_preflight_predicts_the_manual_path_and_refuses_a_submitted_case(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("paris")
    draft = create(app_client, bank, "paris")
    attest_over_http(app_client, bank, draft["id"])
    body = app_client.post(f"/api/v1/applications/{draft['id']}/preflight", headers=bank).json()
    assert body["ready"] is True
    assert body["problems"] == []
    assert body["predicted_path"] == "manual"
    assert body["category"] == "food_safety"
    act(app_client, bank, draft["id"], "submit")
    again = app_client.post(f"/api/v1/applications/{draft['id']}/preflight", headers=bank)
    assert again.status_code == 409
    assert again.json()["code"] == "not_editable"
    stranger = api_client_for("paris")
    hidden = app_client.post(f"/api/v1/applications/{draft['id']}/preflight", headers=stranger)
    assert hidden.status_code == 404


def test_preflight_estimates_from_recent_licences_of_the_path(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    engine: Engine,
    authority: LicenceAuthority,
) -> None:
    bank = api_client_for("yinzhengtong")
    first = create(app_client, bank, "yinzhengtong")
    act(app_client, bank, first["id"], "submit")
    assert issuance.run_once(engine, authority) is not None
    company = example("yinzhengtong")["company"]
    company["name"]["zh"] = "东莞市晨曦软件科技有限公司"
    second = create(app_client, bank, "yinzhengtong", company=company)
    body = app_client.post(f"/api/v1/applications/{second['id']}/preflight", headers=bank).json()
    expected = body["expected_time_to_licence"]
    assert expected["sample_size"] == 1
    assert expected["basis"] == "recent_licences"
    assert expected["seconds"] is not None
    assert expected["seconds"] >= 0
