"""Identifier and name checks at submission: hard errors refuse, flags route to an officer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registration.domain.identifiers import compute_uscc
from tests.api.helpers import act
from tests.conftest import example

Headers = dict[str, str]


def _submit(client: TestClient, headers: Headers, body: dict[str, Any]) -> Any:
    created = client.post("/api/v1/applications", json=body, headers=headers)
    assert created.status_code == 201, created.text
    return act(client, headers, created.json()["id"], "submit")


def _with(channel: str, edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    body = example(channel)
    edit(body)
    return body


CASES = [
    (
        "yinzhengtong",
        lambda b: b["persons"][0]["document"].update(number="441900198503170116"),
        "persons[0].document.number",
    ),
    (
        "yinzhengtong",
        lambda b: b["persons"][0].update(birth_date="1985-03-18"),
        "persons[0].birth_date",
    ),
    (
        "hong_kong",
        lambda b: b["persons"][1]["document"].update(number="D807983(8)"),
        "persons[1].document.number",
    ),
    ("paris", lambda b: b["persons"][0].update(nationality="DEU"), "persons[0].nationality"),
    (
        "paris",
        lambda b: b["persons"][1]["document"].update(number="21CD67891"),
        "persons[1].document.number",
    ),
    (
        "paris",
        lambda b: b["shareholders"][1]["entity"]["registration"].update(number="730187441"),
        "shareholders[1].entity.registration.number",
    ),
    (
        "paris",
        lambda b: b["company"]["name"].update(zh="东莞市国家食品科技有限公司"),
        "company.name.zh",
    ),
]


@pytest.mark.parametrize(("channel", "edit", "field"), CASES, ids=[c[2] for c in CASES])
def test_hard_errors_refuse_submission_with_itemised_reasons(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    channel: str,
    edit: Any,
    field: str,
) -> None:
    headers = api_client_for(channel)
    response = _submit(app_client, headers, _with(channel, edit))
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["code"] == "submission_checks_failed"
    assert field in [e["field"] for e in problem["errors"]], problem["errors"]
    app_id = response.url.path.split("/")[-2]
    assert (
        app_client.get(f"/api/v1/applications/{app_id}", headers=headers).json()["status"]
        == "draft"
    )


def test_a_received_uscc_failing_its_check_is_flagged_not_rejected(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    valid = compute_uscc("9", "1", "440300", "MA5FXXXX".replace("X", "1"))
    wrong_check = valid[:-1] + ("0" if valid[-1] != "0" else "1")

    def corporate_shareholder(body: dict[str, Any]) -> None:
        body["shareholders"] = [
            {
                "person": "p1",
                "contribution": {"amount": "500000.00", "currency": "HKD"},
                "share_percent": "50",
            },
            {
                "entity": {
                    "name": "深圳市早期实业有限公司",
                    "country": "CHN",
                    "registration": {"scheme": "cn_uscc", "number": wrong_check},
                },
                "contribution": {"amount": "500000.00", "currency": "HKD"},
                "share_percent": "50",
            },
        ]

    response = _submit(
        app_client, api_client_for("hong_kong"), _with("hong_kong", corporate_shareholder)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "submitted"  # not the instant path: an officer looks at it
    assert [f["field"] for f in body["flags"]] == ["shareholders[1].entity.registration.number"]


def test_a_licence_that_would_not_print_is_refused_at_submission(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    """A character the licence font lacks must stop submission, not issuance later."""
    body = _with(
        "paris", lambda b: b["company"].update(domicile="广东省东莞市东城街道\U00020000路1号")
    )
    response = _submit(app_client, api_client_for("paris"), body)
    assert response.status_code == 409, response.text
    errors = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert errors.get("company.domicile") == "unprintable_character", errors
