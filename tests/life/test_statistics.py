"""Statistics against a seeded history whose answers are known by construction."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from registration.domain.workflow import Role
from registration.models import Application, ApplicationEvent, IdentityAttestation
from registration.services import clients

Headers = dict[str, str]
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _application(
    session: Session,
    channel: str,
    category: str | None,
    steps: list[tuple[str, str, float, list[str]]],
    *,
    attested: bool = True,
    start: datetime = T0,
    status: str = "issued",
) -> None:
    """steps: (action, actor, seconds after `start`, return reason fields)."""
    app_id = str(uuid.uuid4())
    session.add(
        Application(
            id=app_id,
            client_id=f"seed-{channel}",
            channel=channel,
            language="zh",
            status=status,
            company_name_zh="东莞市统计样本有限公司",
            company_type="llc",
            category=category,
            payload={},
            created_at=start,
            updated_at=start,
            submitted_at=start,
        )
    )
    session.flush()
    for seq, (action, actor, seconds, fields) in enumerate(steps, start=1):
        session.add(
            ApplicationEvent(
                application_id=app_id,
                seq=seq,
                action=action,
                from_status="-",
                to_status="-",
                actor=actor,
                role="system" if actor == "system" else "officer",
                reasons=[{"field": f, "message": "x"} for f in fields],
                at=start + timedelta(seconds=seconds),
            )
        )
    if attested:
        session.add(
            IdentityAttestation(
                id=str(uuid.uuid4()),
                application_id=app_id,
                client_id=f"seed-{channel}",
                keyid="k",
                issuer=f"seed-{channel}",
                jti=str(uuid.uuid4()),
                document_type="cn_id_card",
                document_key="x",
                person_name="x",
                nationality="CHN",
                birth_date=date(1990, 1, 1),
                face_match_score=0.99,
                document_chip_read=True,
                liveness_passed=True,
                checked_at=start,
                issued_at=start,
                expires_at=start + timedelta(minutes=5),
                received_at=start,
                token="seed",
            )
        )


INSTANT = [("submit", "bank", 0, []), ("accept", "system", 0, []), ("approve", "system", 0, [])]


def _seed(engine: Engine) -> None:
    with Session(engine) as session:
        for channel in ("yinzhengtong", "hong_kong", "paris"):
            clients.register_client(session, f"seed-{channel}", channel, "Seed", by="test")
        # Yinzhengtong: 8 instant (issued after 1..8 s), 2 by officers without return (issued
        # after 1 h and 2 h).
        for i in range(1, 9):
            _application(session, "yinzhengtong", None, [*INSTANT, ("issue", "system", i, [])])
        for hours in (1, 2):
            _application(
                session,
                "yinzhengtong",
                "food",
                [
                    ("submit", "bank", 0, []),
                    ("accept", "fd", 60, []),
                    ("approve", "bo", 3600 * hours - 10, []),
                    ("issue", "system", 3600 * hours, []),
                ],
            )
        # Hong Kong: 2 instant (issued after 10 s); 1 returned over a person's document then
        # approved (issued after 1 day); 1 returned over the domicile then rejected.
        for _ in range(2):
            _application(session, "hong_kong", None, [*INSTANT, ("issue", "system", 10, [])])
        _application(
            session,
            "hong_kong",
            "food",
            [
                ("submit", "app", 0, []),
                ("return", "fd", 100, ["persons[0].document"]),
                ("resubmit", "app", 200, []),
                ("accept", "fd", 300, []),
                ("approve", "bo", 86400 - 1, []),
                ("issue", "system", 86400, []),
            ],
        )
        _application(
            session,
            "hong_kong",
            "food",
            [
                ("submit", "app", 0, []),
                ("return", "fd", 100, ["company.domicile"]),
                ("resubmit", "app", 200, []),
                ("accept", "fd", 300, []),
                ("reject", "bo", 400, ["company.business_scope"]),
            ],
            status="rejected",
        )
        # Paris: 1 instant without attestation (issued after 4 s); 1 still waiting in the
        # food queue for 5 hours; 1 outside the period (ignored).
        _application(session, "paris", None, [*INSTANT, ("issue", "system", 4, [])], attested=False)
        _application(
            session,
            "paris",
            "food",
            [("submit", "bank", 0, [])],
            status="submitted",
            start=datetime.now(UTC) - timedelta(hours=5),
        )
        _application(
            session,
            "paris",
            None,
            [*INSTANT, ("issue", "system", 4, [])],
            start=T0 - timedelta(days=40),
        )
        session.commit()


@pytest.fixture
def seeded(engine: Engine) -> None:
    _seed(engine)


def _get(client: TestClient, headers: Headers, **params: str) -> dict[str, object]:
    response = client.get(
        "/api/v1/statistics",
        params={"from": "2026-11-01T00:00:00Z", "to": "2026-12-31T00:00:00Z", **params},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()
    return data


def test_the_figures_of_the_seeded_history(
    app_client: TestClient, seeded: None, officer: Callable[..., Headers]
) -> None:
    data = _get(app_client, officer(Role.AUDITOR))
    overall = data["overall"]
    assert isinstance(overall, dict)
    # In the period: 10 + 4 + 2 = 16 applications (the Paris one 40 days earlier is not).
    assert overall["applications"] == 16
    # Decided: all but the waiting Paris one = 15; approved 14.
    assert (overall["decided"], overall["approved"]) == (15, 14)
    # Instant: 8 + 2 + 1 = 11 of 15 decided.
    assert overall["decided_instantly"] == {"count": 11, "share": 11 / 15, "target": 0.8}
    # No return: 14 approved, one of them returned once → 13 of 14.
    assert overall["approved_without_return"]["count"] == 13
    assert overall["approved_without_return"]["share"] == 13 / 14
    # Without a visit: 15 decided, minus the Paris one not attested and the Hong Kong one
    # returned over a person's document → 13.
    assert overall["without_visit"]["count"] == 13
    # Submission → licence for the 14 issued: 1..8 s, 10, 10, 4 s, 1 h, 2 h, 1 day.
    times = overall["submission_to_licence_seconds"]
    assert times["issued"] == 14
    ordered = sorted([*range(1, 9), 10, 10, 4, 3600, 7200, 86400])
    assert times["median"] == ordered[6]  # nearest rank: ceil(0.5 * 14) = 7th
    assert times["p95"] == 86400  # ceil(0.95 * 14) = 14th
    assert overall["returns_by_reason"] == {"company.domicile": 1, "persons[0].document": 1}

    channels = data["channels"]
    assert isinstance(channels, dict)
    assert channels["yinzhengtong"]["decided_instantly"]["share"] == 0.8
    assert channels["hong_kong"]["decided_instantly"]["share"] == 0.5
    assert channels["hong_kong"]["approved_without_return"]["share"] == 2 / 3
    assert channels["paris"]["without_visit"]["share"] == 0.0
    queues = {q["category"]: q for q in data["queues"]}  # type: ignore[union-attr]
    assert queues["food"]["open"] == 1
    assert 4.9 < queues["food"]["oldest_hours"] < 5.5
    assert queues["food"]["decided_in_period"] == 4


def test_one_channel_and_csv(
    app_client: TestClient, seeded: None, officer: Callable[..., Headers]
) -> None:
    registrar = officer(Role.REGISTRAR_ADMIN)
    data = _get(app_client, registrar, channel="hong_kong")
    assert data["overall"]["applications"] == 4  # type: ignore[index]
    response = app_client.get(
        "/api/v1/statistics",
        params={"from": "2026-11-01T00:00:00Z", "to": "2026-12-31T00:00:00Z", "format": "csv"},
        headers=registrar,
    )
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    instant = next(
        r for r in rows if r["scope"] == "overall" and r["measure"] == "decided_instantly"
    )
    assert (instant["count"], instant["of"], instant["target"]) == ("11", "15", "0.8")


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-12-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"},
        {"from": "yesterday"},
        {"channel": "' OR 1=1"},
        {"format": "xlsx"},
    ],
)
def test_bad_parameters_are_422(
    app_client: TestClient, officer: Callable[..., Headers], params: dict[str, str]
) -> None:
    response = app_client.get("/api/v1/statistics", params=params, headers=officer(Role.AUDITOR))
    assert response.status_code == 422, response.text


def test_only_registrar_and_auditor(
    app_client: TestClient,
    officer: Callable[..., Headers],
    api_client_for: Callable[[str], Headers],
) -> None:
    assert app_client.get("/api/v1/statistics").status_code == 401
    for headers in (officer(Role.FRONT_DESK), api_client_for("paris")):
        assert app_client.get("/api/v1/statistics", headers=headers).status_code == 403
        assert app_client.get("/statistics", headers=headers).status_code == 403


def test_bizreg_stats_prints_the_same_figures(
    seeded: None, settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from registration.cli import main

    monkeypatch.setenv("BIZREG_DATABASE_URL", settings.effective_database_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("BIZREG_DATA_DIR", str(settings.data_dir))  # type: ignore[attr-defined]
    result = CliRunner().invoke(
        main, ["stats", "--from", "2026-11-01", "--to", "2026-12-31", "--csv"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    instant = next(
        r for r in rows if r["scope"] == "overall" and r["measure"] == "decided_instantly"
    )
    assert (instant["count"], instant["of"]) == ("11", "15")
