"""A bank's fleet against one `bizreg serve` over loopback: N signed terminals, each looping
create → attest → submit → wait for the licence → download it, for S seconds.

    .venv/bin/python bench/bench_load.py --terminals 1,5,10,20 --seconds 45
    BIZREG_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/bench_load.py --terminals 1,20,100
    .venv/bin/python bench/bench_load.py --terminals 30 --seconds 20 --check   # CI

Each N gets a fresh server (a new data directory; on PostgreSQL a new database created beside
the one `BIZREG_DATABASE_URL` names) and N freshly registered Yinzhengtong terminals with
Ed25519 request keys. Terminals use `bank_adapter.BizregClient`, which honours `Retry-After` on
503/429 and waits for status changes with `Prefer: wait` (`--poll SECONDS` polls instead, for
servers without it). After the S seconds no terminal starts a new application; those in flight
finish (up to `--drain` seconds), then the database is read: every submitted application must
have been issued.

Printed per N: licences/s over the load window, client-side submit → issued p50/p95, answers by
class (2xx; 503 and 429 each with and without `Retry-After`; other 5xx; other 4xx), client
timeouts, and applications submitted but not issued. With --check the exit status is 1 when
anything but success or a 503/429 carrying `Retry-After` was seen, a request timed out, or a
submitted application was not issued.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bank_adapter import BizregApiError, BizregClient, public_key_pem
from registration.cli.terminal import simulated_attestation
from registration.db import create_db_engine
from registration.domain.application import ApplicationPayload
from registration.domain.attestation import persons_to_attest
from registration.services import clients

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((REPO / "tests/contract/application-yinzhengtong.json").read_text("utf-8"))
PEOPLE = [
    EXAMPLE["persons"][p.index]
    for p in persons_to_attest(ApplicationPayload.model_validate(EXAMPLE))
]
TRADE = "青松翠柏红梅白鹤金桂银杏春夏秋冬山川河海"
REQUEST_TIMEOUT = 30.0
IN_FLIGHT = ("submitted", "accepted", "approved")


def company_name(n: int) -> str:
    trade = "".join(TRADE[(n // len(TRADE) ** k) % len(TRADE)] for k in range(5))
    return f"东莞市{trade}贸易有限公司"


_public_pem = public_key_pem


@dataclass
class Tally:
    """What the terminals saw; shared by their threads (lock-protected)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    submitted: int = 0
    licences: int = 0
    in_window: int = 0
    failures: list[str] = field(default_factory=list)

    def answer(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            kind = "2xx"
        elif status in (429, 503):
            response.read()
            try:
                code = response.json().get("code", "?")
            except ValueError:
                code = "?"
            kind = f"{status} {code}" + (
                "" if "retry-after" in response.headers else " no Retry-After"
            )
        elif status >= 500:
            kind = "other 5xx"
        else:
            kind = "other 4xx"
        with self.lock:
            self.answers[kind] += 1

    def fail(self, what: str) -> None:
        with self.lock:
            self.answers["failed flows"] += 1
            if len(self.failures) < 10:
                self.failures.append(what)


class Terminal(threading.Thread):
    def __init__(
        self,
        index: int,
        base_url: str,
        client_id: str,
        keyid: str,
        key: Ed25519PrivateKey,
        attestation_key: Ed25519PrivateKey,
        tally: Tally,
        stop_at: float,
        poll: float | None,
        fleet: int,
    ) -> None:
        super().__init__(name=f"terminal-{index}", daemon=True)
        self.index = index
        self.fleet = fleet
        self.tally = tally
        self.stop_at = stop_at
        self.poll = poll
        self.client_id = client_id
        self.attestation_key = attestation_key
        self.http = httpx.Client(
            timeout=REQUEST_TIMEOUT,
            event_hooks={"response": [tally.answer]},
            limits=httpx.Limits(max_connections=2),
        )
        self.bizreg = BizregClient(base_url, client_id, keyid, key, http=self.http)

    def run(self) -> None:
        n = 0
        while time.monotonic() < self.stop_at:
            try:
                self.one_licence(n * self.fleet + self.index)  # distinct company names
            except httpx.TimeoutException as error:
                self.tally.fail(f"client timeout: {error!r}")
                with self.tally.lock:
                    self.tally.answers["client timeouts"] += 1
            except BizregApiError as error:
                self.tally.fail(f"{error} {error.problem.get('errors', '')}")
            except Exception as error:  # every failure is counted, none ends the terminal
                self.tally.fail(repr(error))
            n += 1
        self.bizreg.close()

    def one_licence(self, n: int) -> None:
        payload = json.loads(json.dumps(EXAMPLE))
        payload["company"]["name"]["zh"] = company_name(n)
        payload["company"]["name"]["en"] = f"Dongguan Load {n} Trading Co., Ltd."
        created = self.bizreg.create_application(payload, idempotency_key=str(uuid.uuid4()))
        app_id = created["id"]
        for person in PEOPLE:
            jws = simulated_attestation(self.attestation_key, self.client_id, app_id, person)
            self.bizreg.attest(app_id, jws)
        started = time.monotonic()
        application = self.bizreg.submit(app_id, idempotency_key=str(uuid.uuid4()))
        with self.tally.lock:
            self.tally.submitted += 1
        deadline = started + 60
        while application["status"] != "issued" and time.monotonic() < deadline:
            if application["status"] in ("rejected", "returned", "withdrawn"):
                raise AssertionError(f"{app_id} ended {application['status']}")
            if self.poll is None:
                application = self.bizreg.wait_for_change(app_id, seconds=10)
            else:
                time.sleep(self.poll)
                application = self.bizreg.get_application(app_id)
        if application["status"] != "issued":
            raise AssertionError(f"{app_id} not issued within 60 s")
        issued = time.monotonic()
        pdf = self.bizreg.get_licence_pdf(application["licence"]["uscc"])
        assert pdf.startswith(b"%PDF-"), "the licence is not a PDF"
        with self.tally.lock:
            self.tally.latencies.append(issued - started)
            self.tally.licences += 1
            if issued <= self.stop_at:
                self.tally.in_window += 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fresh_database(base_url: str | None, label: str) -> tuple[str | None, str | None]:
    """(URL for the server, database to drop afterwards): PostgreSQL gets a new database."""
    if not base_url or not base_url.startswith("postgresql"):
        return None, None
    name = f"bizreg_load_{label}_{os.getpid()}_{int(time.time())}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False), name


def _drop_database(base_url: str, name: str) -> None:
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def _process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of `pid` and its live descendants, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(times.get(p, 0.0) for p in tree)


def run_one(args: argparse.Namespace, terminals: int) -> dict[str, Any]:
    base_db = os.environ.get("BIZREG_DATABASE_URL")
    db_url, db_name = _fresh_database(base_db, str(terminals))
    data_dir = Path(tempfile.mkdtemp(prefix="bizreg-load-"))
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "BIZREG_DATA_DIR": str(data_dir), "BIZREG_PUBLIC_BASE_URL": base_url}
    env.pop("BIZREG_DATABASE_URL", None)
    if db_url:
        env["BIZREG_DATABASE_URL"] = db_url
    command = [*args.server, "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = (data_dir / "server.log").open("wb")
    server = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        _wait_healthy(base_url, server)
        engine = create_db_engine(db_url or f"sqlite:///{data_dir / 'bizreg.db'}")
        fleet = []
        with Session(engine) as session:
            for i in range(terminals):
                key, attest = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
                client_id, keyid = f"load-t{i:03d}", f"load-t{i:03d}-1"
                clients.register_client(
                    session,
                    client_id,
                    "yinzhengtong",
                    "Load test bank",
                    request_keys=[clients.KeySpec(_public_pem(key), keyid)],
                    attestation_key=clients.KeySpec(_public_pem(attest)),
                    by="bench",
                )
                fleet.append((client_id, keyid, key, attest))
        tally = Tally()
        cpu_before = _process_tree_cpu(server.pid)
        started = time.monotonic()
        stop_at = started + args.seconds
        threads = [
            Terminal(i, base_url, c, k, key, a, tally, stop_at, args.poll, terminals)
            for i, (c, k, key, a) in enumerate(fleet)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(0.0, stop_at + args.drain - time.monotonic()))
        stuck = sum(thread.is_alive() for thread in threads)
        cpu = _process_tree_cpu(server.pid) - cpu_before
        # Applications submitted when the clock ran out still get their licence.
        drain_until = time.monotonic() + args.drain
        while True:
            with engine.connect() as connection:
                statuses = dict(
                    connection.execute(
                        text("SELECT status, count(*) FROM application GROUP BY status")
                    ).all()
                )
            pending = sum(n for s, n in statuses.items() if s in IN_FLIGHT)
            if not pending or time.monotonic() > drain_until:
                break
            time.sleep(0.5)
        engine.dispose()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
        if base_db and db_name:
            _drop_database(base_db, db_name)
    latencies = sorted(tally.latencies)
    unissued = sum(n for s, n in statuses.items() if s in IN_FLIGHT)
    return {
        "terminals": terminals,
        "licences_per_s": tally.in_window / args.seconds,
        "licences": tally.licences,
        "p50": statistics.median(latencies) if latencies else None,
        "p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
        "answers": dict(tally.answers),
        "submitted": tally.submitted,
        "unissued": unissued,
        "stuck_terminals": stuck,
        "server_cpu_s": cpu,
        "failures": tally.failures,
        "log": str(data_dir / "server.log"),
    }


def _wait_healthy(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            if httpx.get(base_url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not become healthy within 60 s")


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:.0f} ms"


def problems_of(result: dict[str, Any]) -> list[str]:
    answers = result["answers"]
    bad = [
        f"{kind}: {answers[kind]}"
        for kind in ("other 5xx", "other 4xx", "client timeouts", "failed flows")
        if answers.get(kind)
    ]
    bad += [f"{kind}: {n}" for kind, n in answers.items() if kind.endswith("no Retry-After")]
    if result["unissued"]:
        bad.append(f"submitted but not issued: {result['unissued']}")
    if result["stuck_terminals"]:
        bad.append(f"terminals still busy after the drain: {result['stuck_terminals']}")
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--terminals", default="1,20", help="comma-separated fleet sizes")
    parser.add_argument("--seconds", type=float, default=45.0)
    parser.add_argument("--drain", type=float, default=90.0)
    parser.add_argument("--poll", type=float, default=None, help="poll every S s, no Prefer")
    parser.add_argument("--check", action="store_true", help="exit 1 on any error")
    parser.add_argument(
        "--server",
        nargs="+",
        default=[str(Path(sys.executable).with_name("bizreg"))],
        help="the command that runs bizreg (default: the venv's bizreg)",
    )
    args = parser.parse_args()
    database = "PostgreSQL" if os.environ.get("BIZREG_DATABASE_URL") else "SQLite"
    print(f"bizreg load: {database}, {args.seconds:.0f} s per fleet, {os.cpu_count()} CPUs")
    print(
        f"{'terminals':>9} {'licences/s':>10} {'vs N=1':>7} {'p50':>8} {'p95':>8} "
        f"{'server CPU':>10}  answers"
    )
    results, failed = [], False
    for n in [int(x) for x in args.terminals.split(",")]:
        result = run_one(args, n)
        results.append(result)
        base = results[0]["licences_per_s"] or None
        ratio = f"{result['licences_per_s'] / base:.2f}x" if base else "—"
        cpu = result["server_cpu_s"] / args.seconds
        print(
            f"{n:>9} {result['licences_per_s']:>10.1f} {ratio:>7} {_ms(result['p50']):>8} "
            f"{_ms(result['p95']):>8} {cpu:>9.2f}c  {result['answers']}",
            flush=True,
        )
        problems = problems_of(result)
        if problems:
            failed = True
            print(f"{'':>9} PROBLEMS: {'; '.join(problems)} (server log: {result['log']})")
            for failure in result["failures"][:5]:
                print(f"{'':>9}   {failure[:300]}")
    print("targets (issue 19): PostgreSQL N=20 p95 submit→issued < 1 s with zero errors;")
    print("  SQLite N=20 zero errors; N=100 only success or 503/429 with Retry-After, and")
    print("  licences/s at N=100 >= at N=20 (compare the rows above).")
    if args.check and failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
