"""Every role against every officer endpoint (DESIGN.md §5)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from registration.domain.workflow import Role
from tests.api.helpers import act, create
from tests.conftest import row_counts

Headers = dict[str, str]
CALLERS = [
    "anonymous",
    "terminal",
    "front_desk",
    "back_office",
    "registrar_admin",
    "regulator",
    "auditor",
]
REASONS = [{"field": "company.name.zh", "message": "请更正"}]

# endpoint -> (status the application must be in, callers that succeed)
ACTIONS = {
    "accept": ("submitted", {"front_desk"}),
    "return": ("submitted", {"front_desk", "back_office"}),
    "approve": ("accepted", {"back_office"}),
    "reject": ("accepted", {"back_office"}),
}
QUEUES = {"front-desk": {"front_desk"}, "back-office": {"back_office"}}


@pytest.fixture
def headers_for(
    api_client_for: Callable[[str], Headers], officer: Callable[..., Headers]
) -> Callable[[str], Headers]:
    def make(caller: str) -> Headers:
        if caller == "anonymous":
            return {}
        if caller == "terminal":
            return api_client_for("paris")
        categories = ("food_safety",) if caller == "back_office" else ()
        return officer(Role(caller), categories)

    return make


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_officer_actions(
    app_client: TestClient,
    engine: object,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
    headers_for: Callable[[str], Headers],
    action: str,
    caller: str,
) -> None:
    bank = api_client_for("paris")
    app_id = create(app_client, bank, "paris")["id"]
    act(app_client, bank, app_id, "submit")
    state, allowed = ACTIONS[action]
    if state == "accepted":
        act(app_client, officer(Role.FRONT_DESK), app_id, "accept")
    # The terminal is the application's own submitter: it may read it but not decide on it.
    headers = bank if caller == "terminal" else headers_for(caller)
    before = app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json()
    counts = row_counts(engine)  # type: ignore[arg-type]

    response = act(app_client, headers, app_id, action, REASONS)

    if caller in allowed:
        assert response.status_code == 200, response.text
        return
    expected = {"anonymous": 401, "terminal": 403}.get(caller, 403)
    assert response.status_code == expected, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] in {"not_authenticated", "role_not_permitted"}
    assert app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json() == before
    assert row_counts(engine) == counts  # type: ignore[arg-type]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("queue", sorted(QUEUES))
def test_queues(
    app_client: TestClient, headers_for: Callable[[str], Headers], queue: str, caller: str
) -> None:
    response = app_client.get(f"/api/v1/queues/{queue}", headers=headers_for(caller))
    if caller in QUEUES[queue]:
        assert response.status_code == 200
    else:
        assert response.status_code == (401 if caller == "anonymous" else 403)


@pytest.mark.parametrize("caller", [c for c in CALLERS if c not in ("anonymous", "terminal")])
def test_officers_may_not_edit_or_submit(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    headers_for: Callable[[str], Headers],
    caller: str,
) -> None:
    bank = api_client_for("paris")
    app_id = create(app_client, bank, "paris")["id"]
    headers = headers_for(caller)
    # A draft is not the front desk's nor any back office's to see (issue 11): 404 for them.
    hidden = caller in ("front_desk", "back_office")
    assert act(app_client, headers, app_id, "submit").status_code == (404 if hidden else 403)
    patch = app_client.patch(
        f"/api/v1/applications/{app_id}", json={"language": "en"}, headers=headers
    )
    assert patch.status_code == 403  # editing is for clients: refused before any lookup
    # Officers read applications; auditors read only their audit log (DESIGN.md §5).
    detail = app_client.get(f"/api/v1/applications/{app_id}", headers=headers)
    assert detail.status_code == (404 if hidden else 403 if caller == "auditor" else 200)
    events = app_client.get(f"/api/v1/applications/{app_id}/events", headers=headers)
    assert events.status_code == (404 if hidden else 200)


def test_back_office_returns_only_its_own_category(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
) -> None:
    bank = api_client_for("paris")
    app_id = create(app_client, bank, "paris")["id"]
    act(app_client, bank, app_id, "submit")  # food_safety
    general = officer(Role.BACK_OFFICE, ("general",))
    refused = act(app_client, general, app_id, "return", REASONS)
    assert refused.status_code == 404
    assert refused.json()["code"] == "application_not_found"
    for path in ("", "/events", "/attestations", "/documents"):
        assert app_client.get(
            f"/api/v1/applications/{app_id}{path}", headers=general
        ).status_code in (
            404,
            405,
        )
    food = officer(Role.BACK_OFFICE, ("food_safety",))
    assert act(app_client, food, app_id, "return", REASONS).json()["status"] == "returned"


def test_bad_and_expired_tokens(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/queues/front-desk", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert response.headers["www-authenticate"] == "Bearer"


def test_wrong_password(app_client: TestClient, officer: Callable[..., Headers]) -> None:
    officer(Role.FRONT_DESK, username="alice")
    response = app_client.post(
        "/api/v1/auth/token", data={"username": "alice", "password": "x" * 16}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    unknown = app_client.post("/api/v1/auth/token", data={"username": "bob", "password": "x" * 16})
    assert unknown.json()["code"] == "invalid_credentials"
