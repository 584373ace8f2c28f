"""A licence issued through the API, for the page tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from registration.issuance.authority import LicenceAuthority
from registration.services import issuance as service
from tests.api.helpers import act, create


@dataclass(frozen=True)
class Issued:
    uscc: str
    pdf: bytes


@pytest.fixture
def issued(
    app_client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], dict[str, str]],
) -> Issued:
    bank = api_client_for("hong_kong")
    app_id = create(app_client, bank, "hong_kong")["id"]
    assert act(app_client, bank, app_id, "submit").json()["status"] == "approved"
    service.run_once(engine, authority)
    link = app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json()["licence"]
    return Issued(link["uscc"], app_client.get(link["pdf_url"], headers=bank).content)
