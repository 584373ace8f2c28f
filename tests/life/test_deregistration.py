"""Simplified deregistration: notice, objections, withdrawal, the end of the period, the
registrar's decision, the licence's status everywhere, the name's release."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from registration.db import utcnow
from registration.domain.workflow import Role
from registration.issuance.authority import LicenceAuthority
from registration.models import CompanyName
from registration.services import deregistrations
from tests.conftest import row_counts
from tests.life.support import issue_company

Headers = dict[str, str]


@pytest.fixture
def company(
    app_client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], Headers],
) -> tuple[str, Headers]:
    bank = api_client_for("yinzhengtong")
    return issue_company(app_client, engine, authority, bank, "yinzhengtong"), bank


def _file(client: TestClient, uscc: str, headers: Headers) -> dict[str, object]:
    response = client.post(f"/api/v1/licences/{uscc}/deregistration", headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data


def _feed_kinds(client: TestClient) -> list[str]:
    return [x["kind"] for x in client.get("/api/v1/feed").json()["events"]]


def test_filing_opens_a_public_notice_and_the_period_ends_in_deregistration(
    app_client: TestClient, engine: Engine, company: tuple[str, Headers]
) -> None:
    uscc, bank = company
    notice = _file(app_client, uscc, bank)
    assert notice["status"] == "notice"
    assert notice["pending_objections"] == 0
    ends = notice["notice_ends_at"]
    listed = app_client.get("/api/v1/deregistrations").json()
    assert [x["id"] for x in listed] == [notice["id"]]
    entry = app_client.get("/api/v1/register", params={"q": uscc}).json()["entries"][0]
    assert entry["deregistration_notice"]["notice_ends_at"] == ends
    # Nothing happens before the end of the period.
    with Session(engine) as session:
        assert deregistrations.complete_due(session, utcnow(), 365) == 0
    assert app_client.get(f"/api/v1/licences/{uscc}").json()["status"] == "active"
    with Session(engine) as session:
        assert deregistrations.complete_due(session, utcnow() + timedelta(days=21), 365) == 1
    status = app_client.get(f"/api/v1/licences/{uscc}").json()
    assert status["status"] == "deregistered"
    assert status["status_changed_at"] is not None
    assert app_client.get(f"/api/v1/deregistrations/{notice['id']}").json()["status"] == "completed"
    assert _feed_kinds(app_client) == [
        "licence.issued",
        "deregistration.opened",
        "deregistration.completed",
    ]
    # A second filing, an amendment: refused, the company is gone.
    again = app_client.post(f"/api/v1/licences/{uscc}/deregistration", headers=bank)
    assert again.status_code == 409
    assert again.json()["code"] == "licence_not_active"


def test_an_objection_stops_the_system_and_the_registrar_decides(
    app_client: TestClient,
    engine: Engine,
    company: tuple[str, Headers],
    officer: Callable[..., Headers],
) -> None:
    uscc, bank = company
    notice = _file(app_client, uscc, bank)
    url = f"/api/v1/deregistrations/{notice['id']}"
    lodged = app_client.post(
        f"{url}/objections",
        json={"contact": "creditor@example.com", "reason": "未结清货款 12,000 元 / unpaid invoice"},
    )
    assert lodged.status_code == 201, lodged.text
    assert app_client.get(url).json()["pending_objections"] == 1
    # The public sees that an objection exists, never who lodged it or why.
    assert "creditor@example.com" not in app_client.get(url).text
    assert "creditor@example.com" not in app_client.get("/api/v1/feed").text
    registrar = officer(Role.REGISTRAR_ADMIN)
    seen = app_client.get(f"{url}/objections", headers=registrar).json()
    assert [x["contact"] for x in seen] == ["creditor@example.com"]
    assert app_client.get(f"{url}/objections", headers=bank).status_code == 403

    early = app_client.post(
        f"{url}/decision",
        json={"decision": "complete", "reason": "debt settled"},
        headers=registrar,
    )
    assert early.status_code == 409
    assert early.json()["code"] == "notice_period_running"
    with Session(engine) as session:
        assert deregistrations.complete_due(session, utcnow() + timedelta(days=21), 365) == 0
        row = deregistrations.get(session, str(notice["id"]))
        row.notice_ends_at = utcnow() - timedelta(seconds=1)  # the period is over
        session.add(row)
        session.commit()
    refused = app_client.post(
        f"{url}/decision", json={"decision": "refuse", "reason": "债务未清偿"}, headers=bank
    )
    assert refused.status_code == 403
    decided = app_client.post(
        f"{url}/decision", json={"decision": "refuse", "reason": "债务未清偿"}, headers=registrar
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "refused"
    assert app_client.get(f"/api/v1/licences/{uscc}").json()["status"] == "active"
    assert _feed_kinds(app_client)[-1] == "deregistration.refused"


def test_objection_withdrawn_by_its_author_and_the_company_withdraws(
    app_client: TestClient, engine: Engine, company: tuple[str, Headers]
) -> None:
    uscc, bank = company
    notice = _file(app_client, uscc, bank)
    url = f"/api/v1/deregistrations/{notice['id']}"
    receipt = app_client.post(
        f"{url}/objections", json={"contact": "+852 5555 0000", "reason": "lease still running"}
    ).json()
    wrong = app_client.post(
        f"{url}/objections/{receipt['id']}/withdraw", json={"token": "not-the-token-at-all"}
    )
    assert wrong.status_code == 404
    assert wrong.json()["code"] == "objection_not_found"
    done = app_client.post(
        f"{url}/objections/{receipt['id']}/withdraw", json={"token": receipt["withdraw_token"]}
    )
    assert done.status_code == 200
    assert done.json()["status"] == "withdrawn"
    assert app_client.get(url).json()["pending_objections"] == 0
    # Another client may not withdraw the company's deregistration.
    withdrawn = app_client.post(f"{url}/withdraw", headers=bank)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    assert app_client.get(f"/api/v1/licences/{uscc}").json()["status"] == "active"
    late = app_client.post(
        f"{url}/objections", json={"contact": "someone", "reason": "too late to object"}
    )
    assert late.status_code == 409
    assert late.json()["code"] == "deregistration_closed"
    assert _feed_kinds(app_client)[1:] == [
        "deregistration.opened",
        "deregistration.objected",
        "deregistration.objection_withdrawn",
        "deregistration.withdrawn",
    ]


def test_only_the_company_files_and_withdraws(
    app_client: TestClient, company: tuple[str, Headers], api_client_for: Callable[[str], Headers]
) -> None:
    uscc, bank = company
    other = api_client_for("hong_kong")
    refused = app_client.post(f"/api/v1/licences/{uscc}/deregistration", headers=other)
    assert refused.status_code == 404
    notice = _file(app_client, uscc, bank)
    twice = app_client.post(f"/api/v1/licences/{uscc}/deregistration", headers=bank)
    assert twice.status_code == 409
    assert twice.json()["code"] == "deregistration_pending"
    amend = app_client.post(f"/api/v1/licences/{uscc}/amendments", json={}, headers=bank)
    assert amend.status_code in (409, 422)
    not_yours = app_client.post(f"/api/v1/deregistrations/{notice['id']}/withdraw", headers=other)
    assert not_yours.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"contact": "x", "reason": "short"},
        {"contact": "a@b.c", "reason": "r" * 2001},
        {"contact": "a@b.c", "reason": "contains a NUL \x00 character"},
        {"contact": "a@b.c"},
        {"contact": "a@b.c", "reason": "valid reason here", "extra": 1},
        ["not", "an", "object"],
    ],
)
def test_malformed_objections_change_nothing(
    app_client: TestClient, engine: Engine, company: tuple[str, Headers], body: object
) -> None:
    uscc, bank = company
    notice = _file(app_client, uscc, bank)
    before = row_counts(engine)
    response = app_client.post(f"/api/v1/deregistrations/{notice['id']}/objections", json=body)
    # A NUL is refused at the edge for every endpoint (400 unstorable_character); the rest by
    # the objection's own rules (422).
    nul = isinstance(body, dict) and "\x00" in str(body.get("reason", ""))
    assert response.status_code == (400 if nul else 422), response.text
    after = row_counts(engine)
    assert {k: v for k, v in after.items() if k != "security_event"} == {
        k: v for k, v in before.items() if k != "security_event"
    }


def test_objections_are_rate_limited_and_unknown_notices_are_404(
    app_client: TestClient, company: tuple[str, Headers]
) -> None:
    uscc, bank = company
    notice = _file(app_client, uscc, bank)
    app_client.app.state.settings.objections_per_minute = 2  # type: ignore[attr-defined]
    body = {"contact": "a@b.example", "reason": "an honest reason"}
    url = f"/api/v1/deregistrations/{notice['id']}/objections"
    codes = [app_client.post(url, json=body).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    missing = app_client.get("/api/v1/deregistrations/does-not-exist")
    assert missing.status_code == 404
    assert missing.json()["code"] == "deregistration_not_found"


def test_the_name_is_released_after_the_delay(
    app_client: TestClient, engine: Engine, company: tuple[str, Headers]
) -> None:
    uscc, bank = company
    _file(app_client, uscc, bank)
    now = utcnow() + timedelta(days=21)
    with Session(engine) as session:
        deregistrations.complete_due(session, now, release_days=30)
        assert deregistrations.release_names_due(session, now + timedelta(days=29)) == 0
        assert session.exec(select(CompanyName)).first() is not None
        assert deregistrations.release_names_due(session, now + timedelta(days=31)) == 1
        assert session.exec(select(CompanyName)).first() is None


def test_the_worker_ends_notice_periods(
    app_client: TestClient, engine: Engine, settings: object, company: tuple[str, Headers]
) -> None:
    from registration.workers.webhooks import WebhookWorker

    uscc, bank = company
    app_client.app.state.settings.deregistration_notice_days = 1e-9  # type: ignore[attr-defined]
    _file(app_client, uscc, bank)
    time.sleep(0.05)  # the notice period (86 µs) is over
    worker = WebhookWorker(engine, app_client.app.state.settings)  # type: ignore[attr-defined]
    worker.drain()
    assert app_client.get(f"/api/v1/licences/{uscc}").json()["status"] == "deregistered"


def test_revocation_is_in_the_feed(
    app_client: TestClient, company: tuple[str, Headers], officer: Callable[..., Headers]
) -> None:
    uscc, _ = company
    revoked = app_client.post(
        f"/api/v1/licences/{uscc}/revoke",
        json={"reason": "以欺骗手段取得登记"},
        headers=officer(Role.REGISTRAR_ADMIN),
    )
    assert revoked.status_code == 200
    events = app_client.get("/api/v1/feed").json()["events"]
    assert [x["kind"] for x in events] == ["licence.issued", "licence.revoked"]
    assert events[1]["data"]["reason"] == "以欺骗手段取得登记"
