"""PostgreSQL connections under the cheaper pool and NOTIFY (issue 16): an idle pooled
connection is pinged, and replaced if the server dropped it; one just returned is used as is;
notifications go out once per channel and payload when the transaction commits, never for a
transaction that rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from registration import db
from registration.changes import notify
from registration.db import create_db_engine
from tests.conftest import is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="PostgreSQL connections and NOTIFY")

CHANNEL = "bizreg_test_changes"


@pytest.fixture
def small_engine(migrated_engine: Engine) -> Iterator[Engine]:
    engine = create_db_engine(migrated_engine.url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _count_pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    real = engine.dialect.do_ping

    def counting(dbapi_connection: Any) -> bool:
        pings.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return pings


def test_a_connection_just_returned_is_used_without_a_ping(
    small_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend_pid(small_engine)
    pings = _count_pings(small_engine, monkeypatch)
    assert _backend_pid(small_engine) == first  # the warmest connection, as it was
    assert pings == []


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(
    small_engine: Engine, migrated_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    dropped = _backend_pid(small_engine)
    with migrated_engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
        admin.commit()
    pings = _count_pings(small_engine, monkeypatch)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every connection has idled
    replacement = _backend_pid(small_engine)  # no error reaches the caller
    assert replacement != dropped
    assert pings  # the dropped one was found out by its ping


@pytest.fixture
def listening(migrated_engine: Engine) -> Iterator[psycopg.Connection[Any]]:
    url = make_url(migrated_engine.url.render_as_string(hide_password=False))
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'LISTEN "{CHANNEL}"')
        yield connection


def _received(connection: psycopg.Connection[Any]) -> list[str]:
    return [n.payload for n in connection.notifies(timeout=0.5)]


def test_notifications_go_out_once_each_when_the_transaction_commits(
    engine: Engine, listening: psycopg.Connection[Any]
) -> None:
    with Session(engine) as session:
        notify(session, CHANNEL, "a")
        notify(session, CHANNEL, "b")
        notify(session, CHANNEL, "a")
        assert _received(listening) == []  # held until the commit
        session.commit()
    assert _received(listening) == ["a", "b"]


def test_a_rolled_back_transaction_notifies_nothing_even_when_the_session_goes_on(
    engine: Engine, listening: psycopg.Connection[Any]
) -> None:
    with Session(engine) as session:
        notify(session, CHANNEL, "rolled back")
        session.rollback()
        notify(session, CHANNEL, "committed")
        session.commit()
        session.execute(text("SELECT 1"))
        session.commit()  # a later transaction with nothing to announce
    assert _received(listening) == ["committed"]
