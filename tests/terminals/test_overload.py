"""Load never locks the service up: one connection per request, overload answered with 503 and
Retry-After, and `Prefer: wait` instead of polling (issue: 15 terminals locked the service)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session

from registration.api.overload import RequestCap
from registration.app import create_app
from registration.domain.workflow import Action, Role
from registration.issuance.authority import LicenceAuthority
from registration.principal import Principal
from registration.services import applications, issuance
from registration.settings import Settings
from tests.conftest import example
from tests.terminals.conftest import MakeTerminal
from tests.terminals.support import people_to_attest


class PeakCheckouts:
    """The most connections the app's pool ever had checked out at once."""

    def __init__(self, engine: Engine) -> None:
        self.now = self.peak = 0
        event.listen(engine, "checkout", self._out)
        event.listen(engine, "checkin", self._in)

    def _out(self, *_: Any) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)

    def _in(self, *_: Any) -> None:
        self.now -= 1


def test_a_whole_terminal_flow_never_holds_two_connections(
    app_client: TestClient,
    engine: Engine,
    authority: LicenceAuthority,
    make_terminal: MakeTerminal,
) -> None:
    app_engine: Engine = app_client.app.state.engine  # type: ignore[attr-defined]
    assert app_engine.pool.size() == 1  # type: ignore[attr-defined]
    peak = PeakCheckouts(app_engine)
    terminal = make_terminal()
    payload = example("yinzhengtong")
    with terminal.reference_client() as bizreg:
        app_id = bizreg.create_application(payload, idempotency_key="peak-1")["id"]
        assert bizreg.create_application(payload, idempotency_key="peak-1")["id"] == app_id
        for person in people_to_attest(payload):
            bizreg.attest(
                app_id, terminal.attester.token(app_id, person), idempotency_key=person["ref"]
            )
        assert bizreg.submit(app_id, idempotency_key="peak-submit")["status"] == "approved"
        assert issuance.run_once(engine, authority) == app_id
        issued = bizreg.wait_for_change(app_id, seconds=5)
        assert issued["status"] == "issued"
        assert bizreg.get_licence_pdf(issued["licence"]["uscc"]).startswith(b"%PDF-")
    assert peak.peak == 1


def test_a_request_that_cannot_get_a_connection_in_time_gets_503_and_then_recovers(
    settings: Settings, engine: Engine, authority: LicenceAuthority, make_terminal: MakeTerminal
) -> None:
    tight = settings.model_copy(
        update={"database_pool_size": 1, "database_pool_timeout_seconds": 0.3}
    )
    app = create_app(tight, authority=authority)
    with TestClient(app, base_url=settings.base_url, raise_server_exceptions=False) as client:
        terminal = make_terminal()
        terminal.http = client
        held = app.state.engine.connect()  # someone else holds the only connection
        busy = terminal.request("GET", "/api/v1/applications/nope")
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "1"
        assert busy.headers["content-type"] == "application/problem+json"
        assert busy.json()["code"] == "database_busy"
        held.close()
        assert terminal.request("GET", "/api/v1/applications/nope").status_code == 404


def test_beyond_the_request_cap_answers_503_at_once_and_serves_again_after() -> None:
    release = asyncio.Event()
    entered = 0

    async def slow_app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal entered
        entered += 1
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    capped = RequestCap(slow_app, limit=2)

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=capped)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            admitted = [asyncio.create_task(client.get("/x")) for _ in range(2)]
            while entered < 2:
                await asyncio.sleep(0.01)
            started = time.monotonic()
            refused = await client.get("/x", headers={"Accept-Language": "zh-Hans"})
            assert time.monotonic() - started < 0.5
            release.set()
            done = await asyncio.gather(*admitted)
            again = await client.get("/x")
            return [refused, *done, again]

    refused, first, second, again = asyncio.run(scenario())
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["code"] == "overloaded"
    assert refused.json()["title"] == "服务繁忙"
    assert entered == 3  # the refused request never reached the app
    assert (first.status_code, second.status_code, again.status_code) == (200, 200, 200)


@pytest.fixture
def submitted(make_terminal: MakeTerminal) -> tuple[Any, str]:
    terminal = make_terminal("paris")  # food sales need a permit: it waits for the front desk
    payload = example("paris")
    app_id = terminal.create(payload)["id"]
    terminal.attest_all(app_id, payload)
    response = terminal.request("POST", f"/api/v1/applications/{app_id}/submit")
    assert response.json()["status"] == "submitted"
    return terminal, app_id


def test_prefer_wait_answers_as_soon_as_the_status_changes(
    engine: Engine, submitted: tuple[Any, str]
) -> None:
    terminal, app_id = submitted
    path = f"/api/v1/applications/{app_id}"
    etag = terminal.request("GET", path).headers["etag"]

    def withdraw_soon() -> None:
        time.sleep(0.5)
        with Session(engine) as session:
            principal = Principal(
                kind="client", subject=terminal.client_id, role=Role.TERMINAL, channel="paris"
            )
            applications.perform(session, principal, app_id, Action.WITHDRAW, [], None)

    changer = threading.Thread(target=withdraw_soon)
    started = time.monotonic()
    changer.start()
    waited = terminal.request("GET", path, headers={"Prefer": "wait=20", "If-None-Match": etag})
    elapsed = time.monotonic() - started
    changer.join()
    assert waited.status_code == 200
    assert waited.json()["status"] == "withdrawn"
    assert waited.headers["preference-applied"] == "wait=20"
    assert waited.headers["etag"] != etag
    assert 0.4 < elapsed < 5


def test_prefer_wait_without_a_change_ends_after_n_seconds_with_304(
    submitted: tuple[Any, str],
) -> None:
    terminal, app_id = submitted
    path = f"/api/v1/applications/{app_id}"
    etag = terminal.request("GET", path).headers["etag"]
    started = time.monotonic()
    waited = terminal.request("GET", path, headers={"Prefer": "wait=1", "If-None-Match": etag})
    assert 0.9 < time.monotonic() - started < 5
    assert waited.status_code == 304
    assert waited.headers["etag"] == etag
    # An ETag the client no longer holds: the current representation at once, no wait.
    started = time.monotonic()
    stale = terminal.request("GET", path, headers={"Prefer": "wait=30", "If-None-Match": '"0"'})
    assert stale.status_code == 200
    assert time.monotonic() - started < 2


def test_a_parked_request_holds_no_connection_and_no_slot(
    settings: Settings, engine: Engine, authority: LicenceAuthority, make_terminal: MakeTerminal
) -> None:
    one = settings.model_copy(update={"max_concurrent_requests": 1, "database_pool_size": 1})
    app = create_app(one, authority=authority)
    with TestClient(app, base_url=settings.base_url, raise_server_exceptions=False) as client:
        terminal = make_terminal()
        terminal.http = client
        app_id = terminal.create(example("yinzhengtong"))["id"]
        path = f"/api/v1/applications/{app_id}"
        etag = terminal.request("GET", path).headers["etag"]
        parked: list[httpx.Response] = []
        waiter = threading.Thread(
            target=lambda: parked.append(
                terminal.request("GET", path, headers={"Prefer": "wait=2", "If-None-Match": etag})
            )
        )
        waiter.start()
        time.sleep(0.5)  # parked by now
        assert not parked
        meanwhile = terminal.request("GET", path)
        assert meanwhile.status_code == 200  # neither 503 overloaded nor database_busy
        waiter.join()
        assert parked[0].status_code == 304
