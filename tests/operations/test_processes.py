"""Several processes on one database: `bizreg serve --workers 2 --no-background` (two API
processes on one port) and `bizreg worker --concurrency 2` issue every instant-path submission
exactly once, with requests answered by both API processes; and on SIGTERM a server finishes
the request in flight and a worker the licence in hand, then both exit 0."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from registration.db import utcnow
from registration.issuance.authority import LicenceAuthority
from registration.models import Application, ApplicationEvent, IssuanceJob, Licence
from registration.services import issuance as service
from tests.api.helpers import act
from tests.conftest import example
from tests.terminals.support import attest_over_http

pytestmark = pytest.mark.slow
Headers = dict[str, str]
# The installed command, beside this interpreter (as `make` installs it in .venv/bin).
BIZREG = str(Path(sys.executable).with_name("bizreg"))
SUBMIT_ROUTE = "/api/v1/applications/{application_id}/submit"
INDUSTRY = {"yinzhengtong": "贸易", "hong_kong": "咨询", "paris": "食品科技"}
_TRADE = "青松翠柏红梅白鹤金桂银杏春夏秋冬山川河海"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _environment(database_url: str, data_dir: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "BIZREG_DATABASE_URL": database_url,
        "BIZREG_DATA_DIR": str(data_dir),
        "BIZREG_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "BIZREG_LOG_FORMAT": "json",
    }


def _start(arguments: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [BIZREG, *arguments], env=env, stdout=output, stderr=subprocess.STDOUT
        )


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited {process.returncode}: {log.read_text()[-3000:]}"
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"not ready within 90 s: {log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes], timeout: float = 60) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


@pytest.fixture
def server_env(engine: Engine, database_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of processes sharing the test's database and one data directory."""
    return _environment(database_url, tmp_path / "var", _free_port())


def _payload(channel: str, n: int) -> dict[str, Any]:
    body = example(channel)
    trade = "".join(_TRADE[(n // len(_TRADE) ** k) % len(_TRADE)] for k in range(3))
    body["company"]["name"]["zh"] = f"东莞市{trade}{INDUSTRY[channel]}有限公司"
    body["company"]["name"]["en"] = f"Dongguan Scale {n} Co., Ltd."
    if "fr" in body["company"]["name"]:
        body["company"]["name"]["fr"] = f"Dongguan Scale {n} SARL"
    # Food sales need the food-safety office's approval: the instant path is for the rest.
    body["company"]["business_scope"] = [
        item for item in body["company"]["business_scope"] if item != "食品销售"
    ]
    return body


def _one_licence(base_url: str, headers: Headers, channel: str, n: int) -> str:
    """The instant path on a connection of its own (so the port's processes share the work):
    create, attest, submit, wait for the licence, download it. Returns the application id."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        created = http.post("/api/v1/applications", json=_payload(channel, n), headers=headers)
        assert created.status_code == 201, created.text
        app_id: str = created.json()["id"]
        for attested in attest_over_http(http, headers, app_id):
            assert attested.status_code == 201, attested.text
        submitted = http.post(f"/api/v1/applications/{app_id}/submit", headers=headers)
        assert submitted.status_code == 200, submitted.text
        deadline = time.monotonic() + 30
        application = submitted.json()
        while application["status"] != "issued" and time.monotonic() < deadline:
            waited = http.get(
                f"/api/v1/applications/{app_id}",
                headers={**headers, "Prefer": "wait=5"},
            )
            assert waited.status_code == 200, waited.text
            application = waited.json()
        assert application["status"] == "issued", application["status"]
        pdf = http.get(f"/api/v1/licences/{application['licence']['uscc']}/pdf", headers=headers)
        assert pdf.status_code == 200, pdf.text
        assert pdf.content.startswith(b"%PDF-")
        return app_id


def _submissions_by_process(base_url: str) -> dict[str, int]:
    """Scrape /metrics on fresh connections until both processes answered: successful
    submissions counted by each, by pid."""
    counted: dict[str, int] = {}
    submit = re.compile(
        r'bizreg_http_request_duration_seconds_count\{method="POST",route="'
        + re.escape(SUBMIT_ROUTE)
        + r'",status="2xx"\} ([0-9.]+)'
    )
    for _ in range(200):
        body = httpx.get(f"{base_url}/metrics", timeout=5).text
        pid_match = re.search(r'bizreg_api_process_info\{pid="(\d+)"\}', body)
        assert pid_match, body[:500]
        found = submit.search(body)
        counted[pid_match.group(1)] = int(float(found.group(1))) if found else 0
        if len(counted) >= 2:
            break
    return counted


def test_two_api_processes_and_two_issuance_loops_issue_each_submission_exactly_once(
    engine: Engine,
    server_env: dict[str, str],
    tmp_path: Path,
    api_client_for: Callable[[str], Headers],
) -> None:
    base_url = server_env["BIZREG_PUBLIC_BASE_URL"]
    port = base_url.rsplit(":", 1)[1]
    log = tmp_path / "processes.log"
    serve = _start(["serve", "--port", port, "--workers", "2", "--no-background"], server_env, log)
    worker: subprocess.Popen[bytes] | None = None
    try:
        _wait_ready(serve, base_url, log)
        # The worker reads the PKI `bizreg serve` created in the shared data directory.
        worker = _start(["worker", "--concurrency", "2"], server_env, log)
        banks = {channel: api_client_for(channel) for channel in INDUSTRY}
        flows = [(channel, n) for n, channel in enumerate(list(INDUSTRY) * 4)]  # 12 companies
        issued: list[str] = []
        failures: list[BaseException] = []
        lock = threading.Lock()

        def terminal(mine: list[tuple[str, int]]) -> None:
            for channel, n in mine:
                try:
                    app_id = _one_licence(base_url, banks[channel], channel, n)
                except BaseException as error:  # reported by the main thread
                    failures.append(error)
                    return
                with lock:
                    issued.append(app_id)

        threads = [threading.Thread(target=terminal, args=(flows[i::4],)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        assert not failures, failures[0]
        assert len(issued) == len(flows)

        by_process = _submissions_by_process(base_url)
        assert len(by_process) == 2, by_process
        assert sum(by_process.values()) == len(flows), by_process
        assert all(count > 0 for count in by_process.values()), by_process
    finally:
        assert worker is None or _stop(worker) == 0, log.read_text()[-3000:]
        assert _stop(serve) == 0, log.read_text()[-3000:]

    with Session(engine) as session:
        licences = session.exec(
            select(Licence.application_id, func.count()).group_by(col(Licence.application_id))
        ).all()
        assert sorted(licences) == sorted((app_id, 1) for app_id in issued)
        assert len({row.uscc for row in session.exec(select(Licence))}) == len(flows)
        issue_events = session.exec(
            select(ApplicationEvent.application_id, func.count())
            .where(ApplicationEvent.action == "issue")
            .group_by(col(ApplicationEvent.application_id))
        ).all()
        assert sorted(issue_events) == sorted((app_id, 1) for app_id in issued)
        jobs = session.exec(select(IssuanceJob)).all()
        assert [(j.status, j.attempts) for j in jobs] == [("done", 1)] * len(flows)


@pytest.mark.parametrize(
    "arguments", [["--workers", "2", "--no-background"], []], ids=["two-api-processes", "default"]
)
def test_sigterm_lets_the_request_in_flight_finish_and_the_server_exit_0(
    server_env: dict[str, str], tmp_path: Path, arguments: list[str]
) -> None:
    base_url = server_env["BIZREG_PUBLIC_BASE_URL"]
    log = tmp_path / "serve.log"
    serve = _start(["serve", "--port", base_url.rsplit(":", 1)[1], *arguments], server_env, log)
    try:
        _wait_ready(serve, base_url, log)
        answers: list[httpx.Response] = []
        # A long poll of the change feed: three seconds in flight, then an empty page.
        poll = threading.Thread(
            target=lambda: answers.append(
                httpx.get(f"{base_url}/api/v1/feed", params={"wait": 3}, timeout=30)
            )
        )
        started = time.monotonic()
        poll.start()
        time.sleep(1.0)
        serve.send_signal(signal.SIGTERM)
        poll.join(timeout=30)
        assert len(answers) == 1
        assert answers[0].status_code == 200, answers[0].text
        assert answers[0].json()["events"] == []
        assert time.monotonic() - started >= 3  # it was answered, not cut short
        assert serve.wait(timeout=60) == 0, log.read_text()[-3000:]
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()


@pytest.mark.parametrize("concurrency", [1, 2])
def test_sigterm_lets_a_worker_finish_its_licence_and_leave_no_job_leased(
    engine: Engine,
    app_client: TestClient,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], Headers],
    server_env: dict[str, str],
    tmp_path: Path,
    concurrency: int,
) -> None:
    bank = api_client_for("yinzhengtong")
    approved = [_approved_named(app_client, bank, n) for n in range(12)]  # no worker yet
    log = tmp_path / "worker.log"
    worker = _start(["worker", "--concurrency", str(concurrency)], server_env, log)
    try:
        deadline = time.monotonic() + 90
        while _count(engine, Licence) == 0 and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text()[-3000:]
            time.sleep(0.01)
        worker.send_signal(signal.SIGTERM)  # mid-queue, most likely mid-licence
        assert worker.wait(timeout=60) == 0, log.read_text()[-3000:]
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

    with Session(engine) as session:
        jobs = session.exec(select(IssuanceJob)).all()
        done = {j.application_id for j in jobs if j.status == "done"}
        licensed = {row.application_id for row in session.exec(select(Licence))}
        issued = set(
            session.exec(select(Application.id).where(Application.status == "issued")).all()
        )
        # Whatever was claimed was finished, whole: job, licence and step together.
        assert done == licensed == issued
        assert done
    # Nothing left leased: the rest can be issued at once, by anyone.
    with Session(engine) as session:
        pending = session.exec(select(IssuanceJob).where(IssuanceJob.status == "pending")).all()
        assert all(job.not_before <= utcnow() for job in pending), pending
    while service.run_once(engine, authority) is not None:
        pass
    assert _count(engine, Licence) == len(approved)


def _approved_named(client: TestClient, headers: Headers, n: int) -> str:
    created = client.post("/api/v1/applications", json=_payload("yinzhengtong", n), headers=headers)
    assert created.status_code == 201, created.text
    app_id: str = created.json()["id"]
    assert act(client, headers, app_id, "submit").json()["status"] == "approved"
    return app_id


def _count(engine: Engine, model: Any) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_an_issuance_interrupted_half_way_gives_its_job_back_at_once(
    engine: Engine,
    app_client: TestClient,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], Headers],
) -> None:
    app_id = _approved_named(app_client, api_client_for("yinzhengtong"), 0)

    def interrupted() -> None:
        raise KeyboardInterrupt  # Ctrl-C, or SystemExit, between signing and commit

    with pytest.raises(KeyboardInterrupt):
        service.run_once(engine, authority, before_commit=interrupted)
    with Session(engine) as session:
        job = session.get(IssuanceJob, app_id)
        assert job is not None
        assert job.status == "pending"
        assert job.not_before <= utcnow()  # not leased for a minute (SQLite's claim)
        assert job.attempts == 0  # an interruption is not a failure of the job
    assert _count(engine, Licence) == 0
    assert service.run_once(engine, authority) == app_id  # at once, by anyone


def _serving_pid(http: httpx.Client) -> str:
    body = http.get("/metrics").text
    found = re.search(r'bizreg_api_process_info\{pid="(\d+)"\}', body)
    assert found, body[:500]
    return found.group(1)


def _listening_sockets(port: int) -> dict[int, int]:
    """pid → how many listening TCP sockets on `port` it holds (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                inodes.add(f"socket:[{fields[9]}]")
    holders: dict[int, int] = {}
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            links = [os.readlink(fd) for fd in fd_dir.iterdir()]
        except OSError:  # a process that ended, or not ours
            continue
        held = sum(link in inodes for link in links)
        if held:
            holders[int(fd_dir.parent.name)] = held
    return holders


def test_each_api_process_listens_on_a_socket_of_its_own(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    """uvicorn's --workers share one accept queue, and under load one process took 19 of 20
    terminals' kept connections (bench/load.py). Here each API process has its own listening
    socket (SO_REUSEPORT), the kernel spreads connections over them, and the parent has none."""
    base_url = server_env["BIZREG_PUBLIC_BASE_URL"]
    port = int(base_url.rsplit(":", 1)[1])
    log = tmp_path / "serve.log"
    serve = _start(
        ["serve", "--port", str(port), "--workers", "2", "--no-background"], server_env, log
    )
    clients = [httpx.Client(base_url=base_url, timeout=30) for _ in range(20)]
    try:
        _wait_ready(serve, base_url, log)
        holders = _listening_sockets(port)
        assert serve.pid not in holders, holders
        assert sorted(holders.values()) == [1, 1], holders
        pids = [_serving_pid(http) for http in clients]
        assert {int(pid) for pid in pids} == set(holders), (pids, holders)
        # The kept connections stay with their processes.
        assert [_serving_pid(http) for http in clients] == pids
    finally:
        for http in clients:
            http.close()
        assert _stop(serve) == 0, log.read_text()[-3000:]


def test_a_port_already_answering_is_refused(server_env: dict[str, str], tmp_path: Path) -> None:
    port = int(server_env["BIZREG_PUBLIC_BASE_URL"].rsplit(":", 1)[1])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        log = tmp_path / "serve.log"
        serve = _start(
            ["serve", "--port", str(port), "--workers", "2", "--no-background"], server_env, log
        )
        assert serve.wait(timeout=90) == 1, log.read_text()[-3000:]
    assert "already answers" in log.read_text()


def test_an_api_process_that_dies_is_replaced(server_env: dict[str, str], tmp_path: Path) -> None:
    base_url = server_env["BIZREG_PUBLIC_BASE_URL"]
    log = tmp_path / "serve.log"
    serve = _start(
        ["serve", "--port", base_url.rsplit(":", 1)[1], "--workers", "2", "--no-background"],
        server_env,
        log,
    )
    try:
        _wait_ready(serve, base_url, log)
        # /readyz answers as soon as one process listens; a process killed while the other
        # is still starting counts as a failed start, and the server stops (by design).
        deadline = time.monotonic() + 60
        while "API processes listening" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        with httpx.Client(base_url=base_url, timeout=30) as http:
            victim = int(_serving_pid(http))
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 90
        seen: set[int] = set()
        # Fresh connections until two live processes answered, neither of them the victim.
        while len(seen) < 2 and time.monotonic() < deadline:
            try:
                with httpx.Client(base_url=base_url, timeout=5) as http:
                    seen.add(int(_serving_pid(http)))
            except httpx.TransportError:
                pass
            seen.discard(victim)
            time.sleep(0.05)
        assert len(seen) == 2, (seen, log.read_text()[-3000:])
        assert "exited" in log.read_text()
    finally:
        assert _stop(serve) == 0, log.read_text()[-3000:]


def test_a_process_killed_while_another_starts_is_replaced(tmp_path: Path) -> None:
    """A child that was listening and dies while its sibling is still starting is restarted,
    not taken for a failed start (which would stop the whole server)."""
    port = _free_port()
    marker = tmp_path / "first.pid"
    env = {**os.environ, "SLOW_START_MARKER": str(marker), "SLOW_START_SECONDS": "6"}
    program = (
        "import logging, sys\n"
        "from registration.workers.api_processes import ApiProcesses\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "app = 'tests.operations.slow_start_app:create'\n"
        f"sys.exit(ApiProcesses(app, '127.0.0.1', {port}, 2).run())\n"
    )
    log = tmp_path / "serve.log"
    root = Path(__file__).resolve().parents[2]
    with log.open("ab") as output:
        serve = subprocess.Popen(
            [sys.executable, "-c", program], cwd=root, env=env, stdout=output, stderr=output
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        first = None
        while first is None and time.monotonic() < deadline:
            assert serve.poll() is None, log.read_text()[-3000:]
            try:
                first = int(httpx.get(base_url, timeout=2).text)
            except httpx.TransportError:
                time.sleep(0.05)
        assert first is not None, log.read_text()[-3000:]
        assert "listening on" not in log.read_text()  # the other child is still starting
        os.kill(first, signal.SIGKILL)

        seen: set[int] = set()
        deadline = time.monotonic() + 60
        while len(seen) < 2 and time.monotonic() < deadline:
            assert serve.poll() is None, log.read_text()[-3000:]
            try:
                with httpx.Client(base_url=base_url, timeout=5) as http:
                    seen.add(int(http.get("/").text))
            except httpx.TransportError:
                pass
            seen.discard(first)
            time.sleep(0.05)
        assert len(seen) == 2, (seen, log.read_text()[-3000:])
        assert re.search(r"API process \d exited \(-9\); restarting", log.read_text())
        assert "2 API processes listening" in log.read_text()
    finally:
        assert _stop(serve) == 0, log.read_text()[-3000:]
