"""Helpers for the investor's side: a Hong Kong application that goes to a back office (its
business scope includes food sales), returned by the front desk with catalogued reasons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from registration.domain.workflow import Role
from tests.api.helpers import act, create
from tests.conftest import example

Headers = dict[str, str]

RETURN_REASONS = [
    {
        "field": "company.domicile",
        "code": "domicile_unclear",
        "message": "门牌号与不动产登记不符",
    },
    {"field": "company.name", "message": "名称中的行业表述需与经营范围一致"},
]


def manual_hong_kong(client: TestClient, bank: Headers) -> dict[str, Any]:
    """A Hong Kong application that needs the food-safety back office (not instant)."""
    company = example("hong_kong")["company"]
    company["business_scope"] = example("paris")["company"]["business_scope"]
    return create(client, bank, "hong_kong", company=company)


def returned_hong_kong(
    client: TestClient, bank: Headers, officer: Callable[..., Headers]
) -> dict[str, Any]:
    created = manual_hong_kong(client, bank)
    submitted = act(client, bank, created["id"], "submit")
    assert submitted.json()["status"] == "submitted", submitted.text
    front = officer(Role.FRONT_DESK)
    returned = act(client, front, created["id"], "return", RETURN_REASONS)
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"
    return created


def track(client: TestClient, reference: str, code: str, **params: str) -> Any:
    return client.get("/api/v1/track", params={"reference": reference, "code": code, **params})
