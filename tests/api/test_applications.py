"""Applications through HTTP: the examples, the instant path, the manual path, returns."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from registration.domain.workflow import Action, EventRecord, Role, Status, replay
from tests.api.helpers import act, create
from tests.conftest import example

Headers = dict[str, str]


@pytest.mark.parametrize("channel", ["yinzhengtong", "hong_kong", "paris"])
def test_each_example_is_accepted_exactly_as_sent(
    app_client: TestClient, api_client_for: Callable[[str], Headers], channel: str
) -> None:
    headers = api_client_for(channel)
    response = app_client.post("/api/v1/applications", json=example(channel), headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "draft"
    assert body["data"] == example(channel)
    assert response.headers["location"] == f"/api/v1/applications/{body['id']}"
    fetched = app_client.get(f"/api/v1/applications/{body['id']}", headers=headers)
    assert fetched.json()["data"] == example(channel)


@pytest.mark.parametrize("channel", ["yinzhengtong", "hong_kong"])
def test_simple_cases_are_approved_instantly_by_the_system(
    app_client: TestClient, api_client_for: Callable[[str], Headers], channel: str
) -> None:
    headers = api_client_for(channel)
    application = create(app_client, headers, channel)
    response = act(app_client, headers, application["id"], "submit")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved"
    events = app_client.get(
        f"/api/v1/applications/{application['id']}/events", headers=headers
    ).json()
    assert [(e["action"], e["actor"]) for e in events[2:]] == [
        ("accept", "system"),
        ("approve", "system"),
    ]
    assert [e["seq"] for e in events] == [1, 2, 3, 4]


def test_paris_goes_through_front_desk_and_food_safety_back_office(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
) -> None:
    bank = api_client_for("paris")
    front = officer(Role.FRONT_DESK)
    general = officer(Role.BACK_OFFICE, ("general",))
    food = officer(Role.BACK_OFFICE, ("food_safety",))
    application = create(app_client, bank, "paris")
    app_id = application["id"]

    submitted = act(app_client, bank, app_id, "submit").json()
    assert submitted["status"] == "submitted"
    assert submitted["category"] == "food_safety"
    queue = app_client.get("/api/v1/queues/front-desk", headers=front).json()
    assert [a["id"] for a in queue] == [app_id]

    assert act(app_client, front, app_id, "accept").json()["status"] == "accepted"
    assert app_client.get("/api/v1/queues/front-desk", headers=front).json() == []
    assert app_client.get("/api/v1/queues/back-office", headers=general).json() == []
    assert [a["id"] for a in app_client.get("/api/v1/queues/back-office", headers=food).json()] == [
        app_id
    ]

    # Another category's back office cannot even see it (issue 11): 404, as for a stranger.
    wrong_office = act(app_client, general, app_id, "approve")
    assert wrong_office.status_code == 404
    assert wrong_office.json()["code"] == "application_not_found"
    assert app_client.get(f"/api/v1/applications/{app_id}", headers=general).status_code == 404

    approved = act(app_client, food, app_id, "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    events = app_client.get(f"/api/v1/applications/{app_id}/events", headers=bank).json()
    assert [e["action"] for e in events] == ["create", "submit", "accept", "approve"]
    assert (
        replay(
            EventRecord(Action(e["action"]), Status(e["from_status"]), Status(e["to_status"]))
            for e in events
        )
        is Status.APPROVED
    )


def test_return_edit_resubmit_keeps_the_reasons_in_the_history(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
) -> None:
    bank = api_client_for("paris")
    front = officer(Role.FRONT_DESK)
    app_id = create(app_client, bank, "paris")["id"]
    act(app_client, bank, app_id, "submit")
    reasons = [{"field": "company.domicile", "message": "门牌号与不动产登记不符"}]

    missing = act(app_client, front, app_id, "return", [])
    assert missing.status_code == 422
    assert missing.json()["code"] == "reasons_required"

    returned = act(app_client, front, app_id, "return", reasons)
    assert returned.json()["status"] == "returned"
    assert set(returned.json()["allowed_actions"]) == {"resubmit", "withdraw"}

    patched = app_client.patch(
        f"/api/v1/applications/{app_id}",
        json={"company": {"domicile": "广东省东莞市东城街道东纵大道2号"}},
        headers=bank,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["company"]["domicile"] == "广东省东莞市东城街道东纵大道2号"
    assert (
        patched.json()["data"]["company"]["business_scope"]
        == example("paris")["company"]["business_scope"]
    )

    assert act(app_client, bank, app_id, "resubmit").json()["status"] == "submitted"
    events = app_client.get(f"/api/v1/applications/{app_id}/events", headers=front).json()
    assert [e["action"] for e in events] == ["create", "submit", "return", "update", "resubmit"]
    assert events[2]["reasons"] == reasons
    assert events[2]["role"] == "front_desk"


def test_wrong_state_is_a_409_naming_the_allowed_actions_and_changes_nothing(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
) -> None:
    bank = api_client_for("paris")
    # A registrar sees drafts (a back office does not: they are not in its categories yet).
    registrar = officer(Role.REGISTRAR_ADMIN)
    app_id = create(app_client, bank, "paris")["id"]
    before = app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json()

    response = act(app_client, registrar, app_id, "approve")
    assert response.status_code == 409
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["code"] == "transition_not_allowed"
    assert problem["allowed_actions"] == ["submit", "withdraw"]
    assert problem["current_status"] == "draft"
    assert app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json() == before


def test_content_cannot_change_after_submission(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("paris")
    app_id = create(app_client, bank, "paris")["id"]
    act(app_client, bank, app_id, "submit")
    response = app_client.patch(
        f"/api/v1/applications/{app_id}",
        json={"company": {"domicile": "广东省东莞市某地1号"}},
        headers=bank,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "not_editable"


def test_withdraw_then_nothing_more(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("paris")
    app_id = create(app_client, bank, "paris")["id"]
    assert act(app_client, bank, app_id, "withdraw").json()["status"] == "withdrawn"
    again = act(app_client, bank, app_id, "submit")
    assert again.status_code == 409
    assert again.json()["allowed_actions"] == []


def test_a_client_sees_only_its_own_applications(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    owner = api_client_for("yinzhengtong")
    other = api_client_for("yinzhengtong")
    app_id = create(app_client, owner, "yinzhengtong")["id"]
    for path in ("", "/events"):
        response = app_client.get(f"/api/v1/applications/{app_id}{path}", headers=other)
        assert response.status_code == 404
        assert response.json()["code"] == "application_not_found"
    assert act(app_client, other, app_id, "submit").status_code == 404


def test_a_client_cannot_file_for_another_channel(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    response = app_client.post(
        "/api/v1/applications", json=example("paris"), headers=api_client_for("hong_kong")
    )
    assert response.status_code == 422
    fields = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert fields["channel"] == "channel_mismatch"


def test_idempotency_key_is_recorded_in_the_event(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("paris")
    response = app_client.post(
        "/api/v1/applications", json=example("paris"), headers={**bank, "Idempotency-Key": "k-123"}
    )
    events = app_client.get(
        f"/api/v1/applications/{response.json()['id']}/events", headers=bank
    ).json()
    assert events[0]["idempotency_key"] == "k-123"


def test_health_and_openapi(app_client: TestClient) -> None:
    assert app_client.get("/healthz").json()["status"] == "ok"
    paths = app_client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/applications",
        "/api/v1/applications/{application_id}/approve",
        "/api/v1/auth/token",
    ):
        assert path in paths
