"""What the load benchmarks share (`bench_load.py`, `load.py`): simulated terminals of the three
example channels going through the instant path, their tally, and starting bizreg processes on
a fresh database.

A terminal loops: create (Idempotency-Key) → attest each person the bank verified → submit
(Idempotency-Key) → wait for the licence (`Prefer: wait`) → download it. It signs its requests
(RFC 9421, `bank_adapter.BizregClient`) or, to compare, sends a bearer token (`BearerClient`).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bank_adapter import BizregApiError, BizregClient, public_key_pem
from registration.cli.terminal import simulated_attestation
from registration.domain.application import ApplicationPayload
from registration.domain.attestation import persons_to_attest
from registration.services import clients

REPO = Path(__file__).resolve().parents[1]
CHANNEL_FILES = {
    "yinzhengtong": "application-yinzhengtong.json",
    "hong_kong": "application-hong-kong.json",
    "paris": "application-paris.json",
}
CHANNELS = tuple(CHANNEL_FILES)
EXAMPLES: dict[str, dict[str, Any]] = {
    channel: json.loads((REPO / "tests/contract" / name).read_text("utf-8"))
    for channel, name in CHANNEL_FILES.items()
}
# The industry word of each example's name: a new name keeps it, so it still fits the scope.
INDUSTRY = {"yinzhengtong": "贸易", "hong_kong": "咨询", "paris": "食品科技"}
# Food sales need the food-safety office (the Paris example): not the instant path.
NOT_INSTANT = {"食品销售"}
TRADE = "青松翠柏红梅白鹤金桂银杏春夏秋冬山川河海"
REQUEST_TIMEOUT = 30.0
IN_FLIGHT = ("submitted", "accepted", "approved")


def company_name(n: int, industry: str = "贸易") -> str:
    """A distinct valid name per `n`: five trade characters never repeat a pattern."""
    trade = "".join(TRADE[(n // len(TRADE) ** k) % len(TRADE)] for k in range(5))
    return f"东莞市{trade}{industry}有限公司"


def instant_payload(channel: str, n: int) -> dict[str, Any]:
    """The channel's example as company `n`: its own name, only instant-path business."""
    body: dict[str, Any] = json.loads(json.dumps(EXAMPLES[channel]))
    names = body["company"]["name"]
    names["zh"] = company_name(n, INDUSTRY[channel])
    names["en"] = f"Dongguan Load {n} Co., Ltd."
    if "fr" in names:
        names["fr"] = f"Dongguan Load {n} SARL"
    body["company"]["business_scope"] = [
        item for item in body["company"]["business_scope"] if item not in NOT_INSTANT
    ]
    return body


def people_to_attest(channel: str) -> list[dict[str, Any]]:
    example = EXAMPLES[channel]
    payload = ApplicationPayload.model_validate(example)
    return [example["persons"][p.index] for p in persons_to_attest(payload)]


class TerminalClient(Protocol):
    """What a terminal needs of its client: `BizregClient`'s calls."""

    def create_application(self, payload: Any, idempotency_key: str) -> dict[str, Any]: ...
    def attest(
        self, app_id: str, attestation_jws: str, idempotency_key: str | None = None
    ) -> dict[str, Any]: ...
    def submit(self, app_id: str, idempotency_key: str | None = None) -> dict[str, Any]: ...
    def wait_for_change(self, app_id: str, seconds: int = 25) -> dict[str, Any]: ...
    def get_application(self, app_id: str) -> dict[str, Any]: ...
    def get_licence_pdf(self, uscc: str) -> bytes: ...
    def close(self) -> None: ...


class BearerClient:
    """The same calls with `Authorization: Bearer` (a development client): the reference the
    signed terminals' throughput is compared with. Honours `Retry-After` like BizregClient."""

    def __init__(self, base_url: str, token: str, http: httpx.Client) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.http = http
        self.auth = {"Authorization": f"Bearer {token}"}
        # The last representation and ETag seen per application, as BizregClient keeps them:
        # a wait names what it has seen, or a change made just before it would be missed.
        self._seen: dict[str, tuple[str, dict[str, Any]]] = {}

    def _remember(self, response: httpx.Response) -> dict[str, Any]:
        decoded = dict(response.json())
        etag = response.headers.get("ETag")
        if etag and isinstance(decoded.get("id"), str):
            self._seen[decoded["id"]] = (etag, decoded)
        return decoded

    def _call(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kw: Any
    ) -> httpx.Response:
        give_up_at = time.monotonic() + 60
        while True:
            response = self.http.request(
                method, self.base + path, headers={**self.auth, **(headers or {})}, **kw
            )
            retry = response.headers.get("retry-after")
            if response.status_code in (429, 503) and retry and time.monotonic() < give_up_at:
                time.sleep(float(retry))
                continue
            if response.is_error:
                try:
                    problem = response.json()
                except ValueError:
                    problem = {"detail": response.text[:200]}
                raise BizregApiError(response.status_code, problem)
            return response

    def create_application(self, payload: Any, idempotency_key: str) -> dict[str, Any]:
        response = self._call(
            "POST", "/applications", json=payload, headers={"Idempotency-Key": idempotency_key}
        )
        return dict(response.json())

    def attest(
        self, app_id: str, attestation_jws: str, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        headers = {"Content-Type": "application/jose"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        response = self._call(
            "POST", f"/applications/{app_id}/attestations", content=attestation_jws, headers=headers
        )
        return dict(response.json())

    def submit(self, app_id: str, idempotency_key: str | None = None) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._remember(self._call("POST", f"/applications/{app_id}/submit", headers=headers))

    def wait_for_change(self, app_id: str, seconds: int = 25) -> dict[str, Any]:
        headers = {"Prefer": f"wait={seconds}"}
        seen = self._seen.get(app_id)
        if seen is not None:
            headers["If-None-Match"] = seen[0]
        response = self._call(
            "GET", f"/applications/{app_id}", headers=headers, timeout=seconds + 15.0
        )
        if response.status_code == 304 and seen is not None:
            return seen[1]
        return self._remember(response)

    def get_application(self, app_id: str) -> dict[str, Any]:
        return self._remember(self._call("GET", f"/applications/{app_id}"))

    def get_licence_pdf(self, uscc: str) -> bytes:
        return self._call("GET", f"/licences/{uscc}/pdf").content

    def close(self) -> None:
        pass


@dataclass
class Tally:
    """What the terminals saw; shared by their threads (lock-protected)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # every answer >= 400, by code
    latencies: list[float] = field(default_factory=list)
    submitted: int = 0
    licences: int = 0
    in_window: int = 0
    failures: list[str] = field(default_factory=list)
    app_ids: list[str] = field(default_factory=list)

    def answer(self, response: httpx.Response) -> None:
        status = response.status_code
        code = ""
        if status >= 400:
            response.read()
            try:
                code = str(response.json().get("code", "?"))
            except ValueError:
                code = "?"
        if status < 400:
            kind = "2xx"
        elif status in (429, 503):
            kind = f"{status} {code}" + (
                "" if "retry-after" in response.headers else " no Retry-After"
            )
        elif status >= 500:
            kind = "other 5xx"
        else:
            kind = "other 4xx"
        with self.lock:
            self.answers[kind] += 1
            if status >= 400:
                self.errors[f"{status} {code}"] += 1

    def fail(self, what: str) -> None:
        with self.lock:
            self.answers["failed flows"] += 1
            self.errors["failed flows"] += 1
            if len(self.failures) < 10:
                self.failures.append(what)


@dataclass(frozen=True)
class TerminalSpec:
    """A registered terminal: its channel, and either a signing key or a bearer token."""

    channel: str
    client_id: str
    attestation_key: Ed25519PrivateKey
    keyid: str | None = None
    key: Ed25519PrivateKey | None = None
    token: str | None = None


def register_fleet(
    engine: Engine, count: int, *, prefix: str = "load", bearer: bool = False
) -> list[TerminalSpec]:
    """`count` terminals, channels in turn, each a client of its own with an attestation key
    (and an Ed25519 request key, unless `bearer`)."""
    fleet = []
    with Session(engine) as session:
        for i in range(count):
            channel = CHANNELS[i % len(CHANNELS)]
            key, attest = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
            client_id = f"{prefix}-t{i:03d}"
            keyid = f"{client_id}-1"
            _, _, token = clients.register_client(
                session,
                client_id,
                channel,
                "Load test bank",
                request_keys=[] if bearer else [clients.KeySpec(public_key_pem(key), keyid)],
                attestation_key=clients.KeySpec(public_key_pem(attest)),
                by="bench",
            )
            if bearer:
                fleet.append(TerminalSpec(channel, client_id, attest, token=token))
            else:
                fleet.append(TerminalSpec(channel, client_id, attest, keyid=keyid, key=key))
    return fleet


class Terminal(threading.Thread):
    def __init__(
        self,
        index: int,
        base_url: str,
        spec: TerminalSpec,
        tally: Tally,
        stop_at: float,
        *,
        fleet: int,
        poll: float | None = None,
        first_company: int = 0,
    ) -> None:
        super().__init__(name=f"terminal-{index}", daemon=True)
        self.index = index
        self.fleet = fleet
        self.tally = tally
        self.stop_at = stop_at
        self.poll = poll
        self.spec = spec
        self.first_company = first_company
        self.people = people_to_attest(spec.channel)
        self.http = httpx.Client(
            timeout=REQUEST_TIMEOUT,
            event_hooks={"response": [tally.answer]},
            limits=httpx.Limits(max_connections=2),
        )
        self.client: TerminalClient
        if spec.token is not None:
            self.client = BearerClient(base_url, spec.token, self.http)
        else:
            assert spec.keyid is not None
            assert spec.key is not None
            self.client = BizregClient(
                base_url, spec.client_id, spec.keyid, spec.key, http=self.http
            )

    def run(self) -> None:
        n = 0
        while time.monotonic() < self.stop_at:
            try:  # distinct company names across the fleet and across runs
                self.one_licence(self.first_company + n * self.fleet + self.index)
            except httpx.TimeoutException as error:
                self.tally.fail(f"client timeout: {error!r}")
                with self.tally.lock:
                    self.tally.answers["client timeouts"] += 1
            except BizregApiError as error:
                self.tally.fail(f"{error} {error.problem.get('errors', '')}")
            except Exception as error:  # every failure is counted, none ends the terminal
                self.tally.fail(repr(error))
            n += 1
        self.client.close()
        self.http.close()

    def one_licence(self, n: int) -> None:
        created = self.client.create_application(
            instant_payload(self.spec.channel, n), idempotency_key=str(uuid.uuid4())
        )
        app_id = created["id"]
        for person in self.people:
            jws = simulated_attestation(
                self.spec.attestation_key, self.spec.client_id, app_id, person
            )
            self.client.attest(app_id, jws)
        started = time.monotonic()
        application = self.client.submit(app_id, idempotency_key=str(uuid.uuid4()))
        with self.tally.lock:
            self.tally.submitted += 1
            self.tally.app_ids.append(app_id)
        deadline = started + 60
        while application["status"] != "issued" and time.monotonic() < deadline:
            if application["status"] in ("rejected", "returned", "withdrawn", "draft"):
                raise AssertionError(f"{app_id} ended {application['status']}")
            if self.poll is None:
                application = self.client.wait_for_change(app_id, seconds=10)
            else:
                time.sleep(self.poll)
                application = self.client.get_application(app_id)
        if application["status"] != "issued":
            raise AssertionError(f"{app_id} not issued within 60 s")
        issued = time.monotonic()
        pdf = self.client.get_licence_pdf(application["licence"]["uscc"])
        assert pdf.startswith(b"%PDF-"), "the licence is not a PDF"
        with self.tally.lock:
            self.tally.latencies.append(issued - started)
            self.tally.licences += 1
            if issued <= self.stop_at:
                self.tally.in_window += 1


def run_fleet(
    base_url: str,
    fleet: Sequence[TerminalSpec],
    seconds: float,
    drain: float,
    *,
    poll: float | None = None,
    first_company: int = 0,
) -> tuple[Tally, int]:
    """Run the fleet for `seconds`, let flows in progress finish (up to `drain` s); returns
    the tally and how many terminals were still busy."""
    tally = Tally()
    stop_at = time.monotonic() + seconds
    threads = [
        Terminal(
            i,
            base_url,
            spec,
            tally,
            stop_at,
            fleet=len(fleet),
            poll=poll,
            first_company=first_company,
        )
        for i, spec in enumerate(fleet)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, stop_at + drain - time.monotonic()))
    return tally, sum(thread.is_alive() for thread in threads)


def unissued(engine: Engine, drain: float) -> int:
    """Applications still on their way to a licence after waiting up to `drain` s for them."""
    drain_until = time.monotonic() + drain
    while True:
        with engine.connect() as connection:
            statuses = dict(
                connection.execute(
                    text("SELECT status, count(*) FROM application GROUP BY status")
                ).all()
            )
        pending = sum(n for s, n in statuses.items() if s in IN_FLIGHT)
        if not pending or time.monotonic() > drain_until:
            return int(pending)
        time.sleep(0.5)


def percentile(values: Sequence[float], q: float) -> float | None:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))] if ordered else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_database(base_url: str | None, label: str) -> tuple[str | None, str | None]:
    """(URL for the server, database to drop afterwards): PostgreSQL gets a new database."""
    if not base_url or not base_url.startswith("postgresql"):
        return None, None
    name = f"bizreg_load_{label}_{os.getpid()}_{int(time.time())}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False), name


def drop_database(base_url: str, name: str) -> None:
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process, 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree_cpu(pids: Sequence[int]) -> float:
    """CPU seconds (user + system) of `pids` and their live descendants, from /proc."""
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
    tree, frontier = set(pids), list(pids)
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(times.get(p, 0.0) for p in tree)


def wait_healthy(base_url: str, server: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            if httpx.get(base_url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server was not ready within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """SIGTERM to the process group (graceful), SIGKILL after `timeout`; its exit status."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return -int(signal.SIGKILL)


def ms(value: float | None) -> str:
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
