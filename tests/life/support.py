"""Issuing licences quickly for the company-life tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from registration.issuance.authority import LicenceAuthority
from registration.services import issuance
from tests.api.helpers import act
from tests.conftest import example

Headers = dict[str, str]


def issue_company(
    client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    headers: Headers,
    channel: str,
    **name: str,
) -> str:
    """Create, submit and issue a standard company through `channel`; returns its USCC."""
    body: dict[str, Any] = example(channel)
    body["company"]["name"].update(name)
    response = client.post("/api/v1/applications", json=body, headers=headers)
    assert response.status_code == 201, response.text
    app_id = response.json()["id"]
    assert act(client, headers, app_id, "submit").json()["status"] == "approved"
    assert issuance.run_once(engine, authority) == app_id
    licence = client.get(f"/api/v1/applications/{app_id}", headers=headers).json()["licence"]
    return str(licence["uscc"])


ClientFactory = Callable[[str], Headers]
