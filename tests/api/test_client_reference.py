"""Clients find their own applications (issue 15): a create may carry the client's reference
(unique per client), and `GET /api/v1/applications` lists the caller's own by reference or time
— how a terminal recovers an application whose create response it never read."""

from __future__ import annotations

import threading
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from registration.domain.workflow import Role
from registration.errors import ClientReferenceTaken
from registration.models import ApiClient
from registration.principal import Principal
from registration.services import applications
from tests.conftest import Headers, example, row_counts, unique_name


def _create(client: TestClient, bank: Headers, reference: str, key: str, i: int = 0) -> object:
    body = example("yinzhengtong")
    body["company"]["name"]["zh"] = unique_name(i)
    return client.post(
        "/api/v1/applications",
        params={"client_reference": reference},
        json=body,
        headers={**bank, "Idempotency-Key": key},
    )


def test_a_reference_finds_the_application_and_is_unique_per_client(
    app_client: TestClient, api_client_for: Callable[[str], Headers], engine: Engine
) -> None:
    bank = api_client_for("yinzhengtong")
    created = _create(app_client, bank, "BOC-2026-000123", "k1")
    assert created.status_code == 201, created.text  # type: ignore[attr-defined]
    app_id = created.json()["id"]  # type: ignore[attr-defined]
    assert created.json()["client_reference"] == "BOC-2026-000123"  # type: ignore[attr-defined]

    found = app_client.get(
        "/api/v1/applications", params={"client_reference": "BOC-2026-000123"}, headers=bank
    )
    assert found.status_code == 200, found.text
    assert [row["id"] for row in found.json()] == [app_id]

    before = row_counts(engine)
    again = _create(app_client, bank, "BOC-2026-000123", "k2", 1)  # a new key, same reference
    assert again.status_code == 409  # type: ignore[attr-defined]
    assert again.json()["code"] == "client_reference_taken"  # type: ignore[attr-defined]
    assert again.json()["application_id"] == app_id  # type: ignore[attr-defined]
    assert row_counts(engine)["application"] == before["application"]

    # Another client may use the same reference, and sees none of ours.
    other = api_client_for("yinzhengtong")
    assert _create(app_client, other, "BOC-2026-000123", "k3", 2).status_code == 201  # type: ignore[attr-defined]
    mine = app_client.get("/api/v1/applications", headers=other).json()
    assert app_id not in [row["id"] for row in mine]


def test_listing_by_time_pages_back(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("yinzhengtong")
    ids = [
        _create(app_client, bank, f"REF-{i}", f"key-{i}", i).json()["id"]  # type: ignore[attr-defined]
        for i in range(5)
    ]
    first = app_client.get("/api/v1/applications", params={"limit": 2}, headers=bank).json()
    assert [row["id"] for row in first] == ids[::-1][:2]
    rest = app_client.get(
        "/api/v1/applications",
        params={"limit": 10, "created_before": first[-1]["created_at"]},
        headers=bank,
    ).json()
    assert [row["id"] for row in rest] == ids[::-1][2:]


def test_bad_references_and_officers_are_refused(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
) -> None:
    bank = api_client_for("yinzhengtong")
    for reference in ("", "x" * 65, "has space", "中文"):
        response = _create(app_client, bank, reference, f"bad-{len(reference)}")
        assert response.status_code == 422, reference  # type: ignore[attr-defined]
    listed = app_client.get("/api/v1/applications", headers=officer(Role.FRONT_DESK))
    assert listed.status_code == 403


def test_two_racing_creates_with_one_reference_make_one_application(
    app_client: TestClient, api_client_for: Callable[[str], Headers], engine: Engine
) -> None:
    bank = api_client_for("yinzhengtong")
    assert app_client.get("/api/v1/applications", headers=bank).status_code == 200
    with Session(engine) as session:
        client = session.exec(select(ApiClient)).first()
        assert client is not None
        principal = Principal(
            kind="client", subject=client.client_id, role=Role.TERMINAL, channel=client.channel
        )
    payload = applications.parse_payload(example("yinzhengtong"))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def create() -> None:
        with Session(engine) as session:
            barrier.wait()
            try:
                applications.create_application(
                    session, principal, payload, None, client_reference="RACE-1"
                )
                outcomes.append("created")
            except ClientReferenceTaken:
                outcomes.append("taken")

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created", "taken"]
