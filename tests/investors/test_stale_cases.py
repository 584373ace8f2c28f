"""Stale cases closed: drafts and returned applications left untouched are withdrawn by the
system — event, name released, notice, e-mail — after a warning e-mail; exactly once with
several workers (issue 12)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from registration.db import utcnow
from registration.models import (
    Application,
    ApplicationEvent,
    CompanyName,
    MailOutbox,
    Notice,
)
from registration.services import stale_cases
from registration.settings import Settings
from tests.api.helpers import create
from tests.conftest import example, unique_name
from tests.investors.support import Headers, returned_hong_kong


def _events(engine: Engine, app_id: str) -> list[ApplicationEvent]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(ApplicationEvent)
                .where(ApplicationEvent.application_id == app_id)
                .order_by(col(ApplicationEvent.seq))
            )
        )


def _mail_kinds(engine: Engine, app_id: str) -> list[tuple[str, int]]:
    with Session(engine) as session:
        rows = session.exec(select(MailOutbox).where(MailOutbox.application_id == app_id))
        return sorted((r.kind, r.seq) for r in rows)


def test_a_returned_case_is_warned_then_withdrawn_and_its_name_released(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
    engine: Engine,
    settings: Settings,
) -> None:
    app_id = returned_hong_kong(app_client, api_client_for("hong_kong"), officer)["id"]
    with Session(engine) as session:
        assert session.exec(select(CompanyName).where(CompanyName.application_id == app_id)).all()
    now = utcnow()

    # Not yet: 80 days untouched.
    early = stale_cases.sweep(engine, settings, now + timedelta(days=80))
    assert early == stale_cases.SweepResult(warned=0, withdrawn=0)
    # 84 days: within the warning period (90 - 7) — one warning, and only one.
    warned = stale_cases.sweep(engine, settings, now + timedelta(days=84))
    assert warned.warned == 1
    assert stale_cases.sweep(engine, settings, now + timedelta(days=85)).warned == 0
    revision = len(_events(engine, app_id))
    assert ("stale_warning", revision) in _mail_kinds(engine, app_id)

    done = stale_cases.sweep(engine, settings, now + timedelta(days=91))
    assert done.withdrawn == 1
    last = _events(engine, app_id)[-1]
    assert (last.action, last.to_status, last.actor, last.role) == (
        "withdraw",
        "withdrawn",
        "system",
        "system",
    )
    assert last.reasons[0]["code"] == "stale_returned"
    with Session(engine) as session:
        assert not session.exec(
            select(CompanyName).where(CompanyName.application_id == app_id)
        ).all()
        kinds = [
            n.kind for n in session.exec(select(Notice).where(Notice.application_id == app_id))
        ]
    assert kinds == ["return", "withdrawal"]
    assert ("status", last.seq) in _mail_kinds(engine, app_id)
    # Nothing more to do.
    assert stale_cases.sweep(engine, settings, now + timedelta(days=200)).withdrawn == 0


def test_a_draft_is_withdrawn_after_its_own_period_and_a_touched_one_is_not(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    engine: Engine,
    settings: Settings,
) -> None:
    bank = api_client_for("yinzhengtong")
    stale = create(app_client, bank, "yinzhengtong")["id"]
    company = example("yinzhengtong")["company"]
    company["name"]["zh"] = unique_name(7)
    fresh = create(app_client, bank, "yinzhengtong", company=company)["id"]
    later = utcnow() + timedelta(days=31)
    with Session(engine) as session:
        row = session.get(Application, fresh)
        assert row is not None
        row.updated_at = later - timedelta(days=1)  # the applicant came back yesterday
        session.add(row)
        session.commit()
    result = stale_cases.sweep(engine, settings, later)
    assert result.withdrawn == 1
    assert _events(engine, stale)[-1].reasons[0]["code"] == "stale_draft"
    with Session(engine) as session:
        assert session.get(Application, fresh).status == "draft"  # type: ignore[union-attr]
        assert session.get(Application, stale).status == "withdrawn"  # type: ignore[union-attr]


def test_two_workers_withdraw_each_case_exactly_once(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    engine: Engine,
    settings: Settings,
) -> None:
    bank = api_client_for("yinzhengtong")
    ids = [create(app_client, bank, "yinzhengtong")["id"] for _ in range(8)]
    later = utcnow() + timedelta(days=40)
    barrier = threading.Barrier(2)
    results: list[stale_cases.SweepResult] = []

    def worker() -> None:
        barrier.wait()
        results.append(stale_cases.sweep(engine, settings, later))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.withdrawn for r in results) == len(ids)
    for app_id in ids:
        withdrawals = [e for e in _events(engine, app_id) if e.action == "withdraw"]
        assert len(withdrawals) == 1
        assert [k for k in _mail_kinds(engine, app_id) if k[0] == "status"] == [("status", 2)]
