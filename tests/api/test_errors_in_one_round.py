"""Every error of a payload in one round (issue 15): shape errors no longer hide the
catalogue's, so a bank fixes its request once."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import Headers, example, row_counts


def _broken() -> dict[str, object]:
    body = example("paris")
    body["company"]["registered_capital"]["amount"] = "-5.00"  # shape: must be positive
    body["contact"]["email"] = "not an address"  # shape: pattern
    body["company"]["business_scope"].append("时间旅行服务")  # catalogue: unknown item
    body["company"]["registered_capital"]["currency"] = "CNY"  # catalogue: not offered in Paris
    return body


def test_create_lists_shape_and_catalogue_errors_together(
    app_client: TestClient, api_client_for: Callable[[str], Headers], engine: Engine
) -> None:
    bank = api_client_for("paris")
    before = row_counts(engine)
    response = app_client.post("/api/v1/applications", json=_broken(), headers=bank)
    assert response.status_code == 422
    found = {(e["field"], e["code"]) for e in response.json()["errors"]}
    fields = {field for field, _ in found}
    assert "company.registered_capital.amount" in fields
    assert "contact.email" in fields
    assert ("company.business_scope[2]", "unknown_scope_item") in found
    assert ("company.registered_capital.currency", "currency_not_allowed") in found
    assert row_counts(engine) == before


def test_a_patch_lists_them_together_too(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("paris")
    created = app_client.post("/api/v1/applications", json=example("paris"), headers=bank)
    assert created.status_code == 201, created.text
    scope = [*example("paris")["company"]["business_scope"], "时间旅行服务"]
    patched = app_client.patch(
        f"/api/v1/applications/{created.json()['id']}",
        json={"contact": {"email": "nope"}, "company": {"business_scope": scope}},
        headers=bank,
    )
    assert patched.status_code == 422
    found = {(e["field"], e["code"]) for e in patched.json()["errors"]}
    assert any(field == "contact.email" for field, _ in found)
    assert ("company.business_scope[2]", "unknown_scope_item") in found


def test_garbage_still_gets_a_clean_422(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    for body in ([1, 2], {"channel": ["x"]}, {"channel": "paris", "company": "x", "persons": 3}):
        response = app_client.post(
            "/api/v1/applications", json=body, headers=api_client_for("paris")
        )
        assert response.status_code == 422, body
