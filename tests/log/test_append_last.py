"""The log's head is locked by the last statement before COMMIT: every appender in the service
waits on that row lock (PostgreSQL) until the transaction ends, so nothing else of the
transaction (the stored idempotent response, the change notifications) may run inside it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from tests.api.helpers import create
from tests.terminals.support import attest_over_http

Headers = dict[str, str]


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every statement any engine runs (the app has its own), and "COMMIT" where a
    transaction commits."""
    seen: list[str] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    def committed(_conn: Any) -> None:
        seen.append("COMMIT")

    event.listen(Engine, "before_cursor_execute", executed)
    event.listen(Engine, "commit", committed)
    yield seen
    event.remove(Engine, "before_cursor_execute", executed)
    event.remove(Engine, "commit", committed)


def test_the_log_append_is_the_last_statement_before_commit(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    engine: Engine,
    statements: list[str],
) -> None:
    bank = api_client_for("paris")
    draft = create(app_client, bank, "paris")
    attest_over_http(app_client, bank, draft["id"])
    statements.clear()
    # The instant path: submission, acceptance and approval in one transaction, which steps
    # the application (its events are logged, its watchers notified) and stores the response.
    response = app_client.post(
        f"/api/v1/applications/{draft['id']}/submit",
        headers={**bank, "Idempotency-Key": "append-last-1"},
    )
    assert response.status_code == 200, response.text

    locking = [i for i, sql in enumerate(statements) if "UPDATE log_head" in sql]
    assert locking, statements
    for start in locking:
        end = statements.index("COMMIT", start)
        inside = statements[start:end]
        # PostgreSQL: one statement bumps the head and inserts the leaves; SQLite: the bump,
        # then the leaves' INSERT (SQLite's write lock is the whole transaction's anyway).
        expected = 1 if engine.dialect.name == "postgresql" else 2
        assert len(inside) == expected, inside
        assert all("log_head" in sql or "INSERT INTO log_leaf" in sql for sql in inside), inside
    # The submission's transaction did store its idempotent response and notify, before that.
    submission = statements[: statements.index("COMMIT", locking[-1])]
    assert any("UPDATE idempotency_record" in sql for sql in submission), submission
    if engine.dialect.name == "postgresql":
        assert any("pg_notify" in sql for sql in submission), submission
