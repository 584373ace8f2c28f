"""The officer who accepted an application may not approve it, even after a role change."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from registration.domain.workflow import Role
from registration.models import Officer
from tests.api.helpers import act, create

Headers = dict[str, str]


def test_acceptor_cannot_approve(
    app_client: TestClient,
    engine: Engine,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
) -> None:
    bank = api_client_for("paris")
    app_id = create(app_client, bank, "paris")["id"]
    act(app_client, bank, app_id, "submit")
    wang = officer(Role.FRONT_DESK, username="wang")
    assert act(app_client, wang, app_id, "accept").status_code == 200
    with Session(engine) as session:  # wang moves to the food-safety back office
        account = session.exec(select(Officer).where(Officer.username == "wang")).one()
        account.role = Role.BACK_OFFICE.value
        account.categories = ["food_safety"]
        session.add(account)
        session.commit()

    refused = act(app_client, wang, app_id, "approve")
    assert refused.status_code == 403
    assert refused.json()["code"] == "separation_of_duties"
    assert (
        app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json()["status"]
        == "accepted"
    )
    colleague = officer(Role.BACK_OFFICE, ("food_safety",))
    assert act(app_client, colleague, app_id, "approve").json()["status"] == "approved"
