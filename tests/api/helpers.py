"""Small helpers for driving the HTTP API in tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import example
from tests.terminals.support import ATTESTERS, attest_over_http


def create(
    client: TestClient, headers: dict[str, str], channel: str, **overrides: Any
) -> dict[str, Any]:
    body = example(channel)
    body.update(overrides)
    response = client.post("/api/v1/applications", json=body, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def act(
    client: TestClient,
    headers: dict[str, str],
    application_id: str,
    action: str,
    reasons: list[dict[str, str]] | None = None,
) -> Any:
    body = {"reasons": reasons} if reasons is not None else None
    if action in ("submit", "resubmit") and headers.get("Authorization") in ATTESTERS:
        # What the terminal does first: the bank's identity check of each person (DESIGN §6).
        attest_over_http(client, headers, application_id)
    return client.post(
        f"/api/v1/applications/{application_id}/{action}", json=body, headers=headers
    )
