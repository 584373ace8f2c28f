"""The fault suite on PostgreSQL (issue 15): issuance workers killed with SIGKILL during a
stream of approvals, and the service's database connections terminated
(`pg_terminate_backend`) during submissions. Every application ends with exactly one licence,
and every create retried with its Idempotency-Key is answered, once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, col, func, select

from registration.models import Application, Licence
from registration.settings import Settings
from tests.api.helpers import act
from tests.conftest import example, is_postgres, unique_name

pytestmark = pytest.mark.skipif(not is_postgres(), reason="the fault suite runs on PostgreSQL")

BIZREG = Path(sys.executable).with_name("bizreg")
Headers = dict[str, str]


def _payload(i: int) -> dict[str, object]:
    body = example("yinzhengtong")
    body["company"]["name"]["zh"] = unique_name(1000 + i)  # type: ignore[index]
    return body


@pytest.fixture
def workers(settings: Settings, database_url: str) -> Iterator[list[subprocess.Popen[bytes]]]:
    env = {
        **os.environ,
        "BIZREG_DATABASE_URL": database_url,
        "BIZREG_DATA_DIR": str(settings.data_dir),
        "BIZREG_ISSUANCE_POLL_SECONDS": "0.05",
        "BIZREG_LOG_FORMAT": "text",
    }
    running: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [str(BIZREG), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    running.extend(start() for _ in range(2))
    running.append(start)  # type: ignore[arg-type]  # the factory, for restarts
    yield running
    for process in running[:-1]:
        process.kill()
        process.wait(timeout=10)


def test_workers_killed_mid_stream_issue_every_licence_exactly_once(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    engine: Engine,
    workers: list[subprocess.Popen[bytes]],
) -> None:
    start = workers.pop()  # type: ignore[assignment]
    stop = threading.Event()
    kills = 0

    def killer() -> None:
        nonlocal kills
        rng = random.Random(7)
        while not stop.wait(0.6):
            victim = rng.randrange(len(workers))
            workers[victim].send_signal(signal.SIGKILL)  # no cleanup, mid-signature or not
            workers[victim].wait(timeout=10)
            kills += 1
            workers[victim] = start()  # type: ignore[operator]

    thread = threading.Thread(target=killer)
    thread.start()
    bank = api_client_for("yinzhengtong")
    ids = []
    try:
        for i in range(16):
            created = app_client.post("/api/v1/applications", json=_payload(i), headers=bank)
            assert created.status_code == 201, created.text
            assert act(app_client, bank, created.json()["id"], "submit").json()["status"] in (
                "approved",
                "issued",
            )
            ids.append(created.json()["id"])
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with Session(engine) as session:
                issued = session.exec(
                    select(func.count()).where(
                        col(Application.id).in_(ids), Application.status == "issued"
                    )
                ).one()
            if issued == len(ids):
                break
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join()
        workers.append(start)  # type: ignore[arg-type]
    assert kills >= 3
    with Session(engine) as session:
        rows = session.exec(select(Licence).where(col(Licence.application_id).in_(ids))).all()
        statuses = session.exec(select(Application.status).where(col(Application.id).in_(ids)))
        assert set(statuses) == {"issued"}
    assert len(rows) == len(ids)  # one licence per application
    assert len({row.uscc for row in rows}) == len(ids)  # no code allocated twice


def test_connections_terminated_during_submissions_lose_and_duplicate_nothing(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    engine: Engine,
) -> None:
    bank = api_client_for("yinzhengtong")
    stop = threading.Event()
    terminated = 0

    def terminator() -> None:
        nonlocal terminated
        while not stop.wait(0.05):
            try:
                with engine.connect() as connection:
                    result = connection.execute(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                            "AND backend_type = 'client backend'"
                        )
                    )
                    terminated += int(result.scalar() or 0)
                    connection.commit()
            except Exception:
                continue

    thread = threading.Thread(target=terminator)
    thread.start()
    answers: dict[str, str] = {}
    try:
        for i in range(12):
            key = f"fault-{i}"
            for _attempt in range(40):
                response = app_client.post(
                    "/api/v1/applications",
                    json=_payload(i),
                    headers={**bank, "Idempotency-Key": key},
                )
                if response.status_code == 201:
                    answers[key] = response.json()["id"]
                    break
                # Faults answer 5xx (503 with Retry-After when the database is away), never 4xx.
                assert response.status_code >= 500, response.text
                time.sleep(0.05)
    finally:
        stop.set()
        thread.join()
    assert terminated > 0
    assert len(answers) == 12  # every create answered in the end
    with Session(engine) as session:
        created = session.exec(select(func.count()).select_from(Application)).one()
    assert created == 12  # and none twice
