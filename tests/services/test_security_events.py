"""Security events aggregate per (kind, subject, address, minute), atomically across sessions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from registration.domain.security_events import SecurityEventKind
from registration.models import SecurityEvent
from registration.services import security_events

T0 = datetime(2026, 12, 5, 9, 30, 12, tzinfo=UTC)


def test_events_in_one_minute_share_a_row_and_count(engine: Engine) -> None:
    with Session(engine) as session:
        for i in range(5):
            security_events.record(
                session,
                SecurityEventKind.SIGN_IN_FAILED,
                "alice",
                "10.0.0.1",
                detail=f"attempt {i}",
                now=T0 + timedelta(seconds=i),
            )
        security_events.record(
            session,
            SecurityEventKind.SIGN_IN_FAILED,
            "alice",
            "10.0.0.1",
            now=T0 + timedelta(minutes=1),
        )
        security_events.record(
            session, SecurityEventKind.SIGN_IN_FAILED, "alice", "10.0.0.2", now=T0
        )
        session.commit()
        rows = session.exec(select(SecurityEvent).order_by(SecurityEvent.id)).all()  # type: ignore[arg-type]
    assert [(r.address, r.minute, r.count) for r in rows] == [
        ("10.0.0.1", T0.replace(second=0), 5),
        ("10.0.0.1", T0.replace(second=0) + timedelta(minutes=1), 1),
        ("10.0.0.2", T0.replace(second=0), 1),
    ]
    assert rows[0].first_at == T0
    assert rows[0].last_at == T0 + timedelta(seconds=4)
    assert rows[0].detail == "attempt 4"


def test_count_since_filters_by_subject_address_and_window(engine: Engine) -> None:
    with Session(engine) as session:
        for minutes, subject, address in [
            (0, "alice", "a"),
            (1, "alice", "b"),
            (10, "alice", "a"),
            (10, "bob", "a"),
        ]:
            security_events.record(
                session,
                SecurityEventKind.SIGN_IN_FAILED,
                subject,
                address,
                now=T0 + timedelta(minutes=minutes),
            )
        security_events.record(session, SecurityEventKind.SIGN_IN, "alice", "a", now=T0)
        session.commit()
        kind = SecurityEventKind.SIGN_IN_FAILED
        assert security_events.count_since(session, kind, T0, subject="alice") == 3
        assert security_events.count_since(session, kind, T0, address="a") == 3
        assert security_events.count_since(session, kind, T0 + timedelta(minutes=5)) == 2
        assert security_events.count_since(session, kind, T0, subject="carol") == 0


def test_concurrent_records_lose_no_count(engine: Engine) -> None:
    """Each thread has its own connection; the upsert must neither collide nor drop a count."""

    def one(_: int) -> None:
        with Session(engine) as session:
            security_events.record(
                session, SecurityEventKind.SIGNATURE_REFUSED, "terminal-1", "10.0.0.9", now=T0
            )
            session.commit()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, range(40)))
    with Session(engine) as session:
        assert security_events.count_since(session, SecurityEventKind.SIGNATURE_REFUSED, T0) == 40
