"""Company names over HTTP: check, reserve, consume at submission, expire, and race."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from registration.domain.application import ApplicationPayload
from registration.domain.workflow import Action, Role
from registration.errors import Conflict
from registration.models import CompanyName
from registration.principal import Principal
from registration.services import accounts, applications, names
from registration.services.names import add_months
from tests.api.helpers import act, create
from tests.conftest import example, unique_name
from tests.terminals.support import attest_directly

Headers = dict[str, str]
ROUNDS = 50


def test_check_reports_reasons_and_similar_names(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("yinzhengtong")
    anonymous = app_client.get("/api/v1/names/check", params={"name": "东莞市蓝海贸易有限公司"})
    assert anonymous.status_code == 401  # DESIGN.md §5: the public may only verify licences
    free = app_client.get(
        "/api/v1/names/check", params={"name": "东莞市蓝海贸易有限公司"}, headers=bank
    ).json()
    assert free == {"available": True, "reasons": [], "similar": []}

    assert (
        app_client.post(
            "/api/v1/names/reservations", json={"name": "东莞市蓝海贸易有限公司"}, headers=bank
        ).status_code
        == 201
    )
    # A Hong Kong applicant typing Traditional characters and full-width brackets collides.
    taken = app_client.get(
        "/api/v1/names/check", params={"name": "東莞市藍海貿易有限公司"}, headers=bank
    ).json()
    assert taken["available"] is False
    assert taken["similar"] == ["东莞市蓝海贸易有限公司"]
    assert {r["code"] for r in taken["reasons"]} & {"identical_name", "similar_name"}

    bad = app_client.get(
        "/api/v1/names/check", params={"name": "东莞市中华蓝贸易有限公司"}, headers=bank
    ).json()
    assert bad["available"] is False
    assert bad["reasons"][0]["code"] in {
        "prohibited_word",
        "restricted_word",
        "trade_name_too_short",
    }


def test_reservation_conflict_and_refusal(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    first, second = api_client_for("hong_kong"), api_client_for("hong_kong")
    created = app_client.post(
        "/api/v1/names/reservations", json={"name": "东莞市港湾咨询有限公司"}, headers=first
    )
    assert created.status_code == 201
    expires = datetime.fromisoformat(created.json()["expires_at"])
    assert timedelta(days=58) < expires - datetime.now(UTC) < timedelta(days=63)

    clash = app_client.post(
        "/api/v1/names/reservations", json={"name": "东莞市港灣諮詢有限公司"}, headers=second
    )
    assert clash.status_code == 409
    assert clash.json()["code"] == "name_unavailable"
    refused = app_client.post(
        "/api/v1/names/reservations", json={"name": "东莞市A咨询有限公司"}, headers=second
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "name_refused"
    anonymous = app_client.post(
        "/api/v1/names/reservations", json={"name": "东莞市青松咨询有限公司"}
    )
    assert anonymous.status_code == 401


def test_submission_consumes_the_reservation_and_blocks_others(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    owner, rival = api_client_for("yinzhengtong"), api_client_for("yinzhengtong")
    name = example("yinzhengtong")["company"]["name"]["zh"]
    app_client.post("/api/v1/names/reservations", json={"name": name}, headers=owner)

    rival_app = create(app_client, rival, "yinzhengtong")["id"]
    blocked = act(app_client, rival, rival_app, "submit")
    assert blocked.status_code == 409
    assert {e["code"] for e in blocked.json()["errors"]} & {"identical_name", "similar_name"}
    assert (
        app_client.get(f"/api/v1/applications/{rival_app}", headers=rival).json()["status"]
        == "draft"
    )

    own_app = create(app_client, owner, "yinzhengtong")["id"]
    assert act(app_client, owner, own_app, "submit").json()["status"] == "approved"
    with Session(engine) as session:
        rows = list(session.exec(select(CompanyName)))
    assert [(r.kind, r.application_id) for r in rows] == [("held", own_app)]


def test_withdrawal_frees_the_name(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for("paris")
    app_id = create(app_client, bank, "paris")["id"]
    act(app_client, bank, app_id, "submit")
    name = example("paris")["company"]["name"]["zh"]
    check = {"params": {"name": name}, "headers": bank}
    assert app_client.get("/api/v1/names/check", **check).json()["available"] is False
    act(app_client, bank, app_id, "withdraw")
    assert app_client.get("/api/v1/names/check", **check).json()["available"] is True


def test_an_expired_reservation_frees_the_name(
    app_client: TestClient, engine: Engine, api_client_for: Callable[[str], Headers]
) -> None:
    first, second = api_client_for("paris"), api_client_for("paris")
    name = unique_name(7)
    assert (
        app_client.post(
            "/api/v1/names/reservations", json={"name": name}, headers=first
        ).status_code
        == 201
    )
    with Session(engine) as session:
        session.execute(
            update(CompanyName).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        session.commit()
    check = {"params": {"name": name}, "headers": second}
    assert app_client.get("/api/v1/names/check", **check).json()["available"] is True
    assert (
        app_client.post(
            "/api/v1/names/reservations", json={"name": name}, headers=second
        ).status_code
        == 201
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [("2026-12-31", "2027-02-28"), ("2027-12-31", "2028-02-29"), ("2026-11-29", "2027-01-29")],
)
def test_two_months_follow_the_calendar(start: str, end: str) -> None:
    moment = datetime.fromisoformat(start + "T10:00:00+00:00")
    assert add_months(moment, 2).date().isoformat() == end


def _race(engine: Engine, steps: list[Callable[[Session], object]]) -> list[str]:
    barrier = threading.Barrier(len(steps))
    outcomes: list[str] = []

    def run(step: Callable[[Session], object]) -> None:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                step(session)
                outcomes.append("ok")
            except Conflict as error:
                outcomes.append(error.code)

    threads = [threading.Thread(target=run, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_simultaneous_reservations_of_equivalent_names_one_wins(engine: Engine) -> None:
    with Session(engine) as session:
        for client_id in ("a", "b"):
            accounts.add_client(session, client_id, "hong_kong", "Test")
    clients = [
        Principal(kind="client", subject=c, role=Role.APPLICANT, channel="hong_kong") for c in "ab"
    ]
    for round_ in range(ROUNDS):
        simplified = unique_name(round_, "咨询")
        traditional = simplified.replace("东", "東").replace("咨询", "諮詢")
        outcomes = _race(
            engine,
            [
                lambda s, p=clients[0], n=simplified: names.reserve(s, p, "441900", n),
                lambda s, p=clients[1], n=traditional: names.reserve(s, p, "441900", n),
            ],
        )
        assert sorted(outcomes) == ["name_unavailable", "ok"], (round_, outcomes)
    with Session(engine) as session:
        assert len(list(session.exec(select(CompanyName)))) == ROUNDS


def test_simultaneous_submissions_of_equivalent_names_one_wins(engine: Engine) -> None:
    with Session(engine) as session:
        for client_id in ("a", "b"):
            accounts.add_client(session, client_id, "yinzhengtong", "Test")
    clients = [
        Principal(kind="client", subject=c, role=Role.TERMINAL, channel="yinzhengtong")
        for c in "ab"
    ]
    for round_ in range(ROUNDS // 2):
        app_ids = []
        for client, variant in zip(clients, ("simplified", "traditional"), strict=True):
            data = example("yinzhengtong")
            name = unique_name(round_, "贸易")
            data["company"]["name"]["zh"] = (
                name if variant == "simplified" else name.replace("东", "東")
            )
            with Session(engine, expire_on_commit=False) as session:
                payload = ApplicationPayload.model_validate(data)
                app_ids.append(applications.create_application(session, client, payload, None).id)
            attest_directly(engine, client, app_ids[-1])
        outcomes = _race(
            engine,
            [
                lambda s, p=clients[0], a=app_ids[0]: applications.perform(s, p, a, Action.SUBMIT),
                lambda s, p=clients[1], a=app_ids[1]: applications.perform(s, p, a, Action.SUBMIT),
            ],
        )
        assert outcomes.count("ok") == 1, (round_, outcomes)
        with Session(engine) as session:
            held = list(session.exec(select(CompanyName).where(CompanyName.kind == "held")))
        assert len(held) == round_ + 1


def test_two_submissions_consuming_one_reservation_one_wins(engine: Engine) -> None:
    """The same client files two applications under the name it reserved, at once."""
    with Session(engine) as session:
        accounts.add_client(session, "a", "yinzhengtong", "Test")
    client = Principal(kind="client", subject="a", role=Role.TERMINAL, channel="yinzhengtong")
    for round_ in range(ROUNDS // 5):
        name = unique_name(round_, "贸易")
        with Session(engine) as session:
            names.reserve(session, client, "441900", name)
        app_ids = []
        for _ in range(2):
            data = example("yinzhengtong")
            data["company"]["name"]["zh"] = name
            with Session(engine, expire_on_commit=False) as session:
                payload = ApplicationPayload.model_validate(data)
                app_ids.append(applications.create_application(session, client, payload, None).id)
            attest_directly(engine, client, app_ids[-1])
        outcomes = _race(
            engine,
            [
                lambda s, a=app_ids[0]: applications.perform(s, client, a, Action.SUBMIT),
                lambda s, a=app_ids[1]: applications.perform(s, client, a, Action.SUBMIT),
            ],
        )
        assert outcomes.count("ok") == 1, (round_, outcomes)
        with Session(engine) as session:
            rows = list(session.exec(select(CompanyName).where(CompanyName.name == name)))
        assert len(rows) == 1
        assert rows[0].application_id in app_ids
