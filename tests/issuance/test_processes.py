"""`bizreg serve`'s issuance processes: licences are issued in child processes, woken by an
approval, and the children stop when asked (after the job in hand)."""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from registration.models import Application
from registration.settings import Settings
from registration.workers.processes import IssuanceProcesses
from tests.issuance.test_issuance import _approved

Headers = dict[str, str]


def test_child_processes_issue_approved_applications_and_stop_on_request(
    settings: Settings,
    engine: Engine,
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
) -> None:
    # Polling only once a minute: only the approval's wake-up can make the children look.
    slow = settings.model_copy(update={"issuance_poll_seconds": 60.0})
    processes = IssuanceProcesses(slow, 2)
    processes.start()
    try:
        assert processes.wait_ready(timeout=60)  # idle, waiting to be woken
        bank = api_client_for("yinzhengtong")
        app_id = _approved(app_client, bank)
        processes.wake()  # as the API process of `bizreg serve` does on approval
        deadline = time.monotonic() + 30
        status = ""
        while time.monotonic() < deadline and status != "issued":
            with Session(engine) as session:
                application = session.get(Application, app_id)
                status = application.status if application else ""
            time.sleep(0.1)
        assert status == "issued"
        assert all(child.is_alive() for child in processes._children)
    finally:
        processes.stop(timeout=20)
    assert [child.exitcode for child in processes._children] == [0, 0]
