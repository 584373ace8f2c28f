"""Scale-out load test: N simulated signing terminals against `bizreg serve --workers A` plus W
`bizreg worker` processes on one database, for a fixed duration per run.

    BIZREG_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/load.py --terminals 20 --seconds 30 --search 5,10,20,30,40
    .venv/bin/python bench/load.py --api-processes 1 --workers 1 --terminals 1,5,10,20  # SQLite
    .venv/bin/python bench/load.py --terminals 5 --seconds 5 --compare-bearer 0 --check  # CI

Terminals are `loadkit.Terminal`s of the three example channels in turn (Yinzhengtong, the
Hong Kong app, the Paris branch): RFC 9421 signed requests (`bank_adapter.BizregClient`),
the bank's attestations, Idempotency-Keys; each loops create → attest → submit → wait for the
licence (`Prefer: wait`) → download it. The database is `--database-url` (else
`BIZREG_DATABASE_URL`, else SQLite in a temporary directory); on PostgreSQL a fresh database is
created beside the one named and dropped at the end. One set of processes serves every run of
an invocation; each run registers fresh terminals.

Printed per run: submit → licence available p50/p95/p99, licences/s over the window, errors by
code (every answer >= 400, including 503/429 the client retried, and failed flows), server CPU.
`--compare-bearer N`: N signed terminals, then N bearer-token terminals on the same server, and
the ratio of their throughputs beside the target (signed >= 50% of bearer). `--search` steps
through fleet sizes until one misses p95 < 1 s with zero errors, and prints the highest that
held. At the end the processes get SIGTERM and must exit 0. `--check`: exit 1 if any run had an
error or an application submitted but not issued, or a process did not exit 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadkit import (
    drop_database,
    free_port,
    fresh_database,
    ms,
    percentile,
    process_cpu,
    process_tree_cpu,
    register_fleet,
    run_fleet,
    stop,
    unissued,
    wait_healthy,
)
from sqlalchemy import Engine, text

from registration.db import create_db_engine

P95_TARGET = 1.0
TARGET_TERMINALS = 20
SIGNED_VS_BEARER_TARGET = 0.5


@dataclass
class Deployment:
    """`bizreg serve --workers A` (webhooks, e-mail and checkpoints in its processes; no
    issuance processes of its own) and W `bizreg worker` processes, one data directory."""

    api_processes: int
    workers: int
    database_url: str
    data_dir: Path
    base_url: str = ""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, bizreg: str) -> None:
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "BIZREG_DATA_DIR": str(self.data_dir),
            "BIZREG_DATABASE_URL": self.database_url,
            "BIZREG_PUBLIC_BASE_URL": self.base_url,
            "BIZREG_ISSUANCE_PROCESSES": "0",  # issuance is the workers' job
        }
        log = (self.data_dir / "processes.log").open("ab")
        serve = [bizreg, "serve", "--port", str(port), "--workers", str(self.api_processes)]
        self.processes.append(
            subprocess.Popen(
                serve, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        )
        wait_healthy(self.base_url, self.processes[0])
        for _ in range(self.workers):  # after serve: it migrated and created the PKI
            self.processes.append(
                subprocess.Popen(
                    [bizreg, "worker"],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        time.sleep(2)  # the workers load the PKI and begin listening for approvals

    def stop(self) -> list[int]:
        return [stop(process, timeout=60) for process in reversed(self.processes)]

    @property
    def label(self) -> str:
        database = "PostgreSQL" if self.database_url.startswith("postgresql") else "SQLite"
        return f"{self.api_processes} API process(es) + {self.workers} worker(s) on {database}"


def run(
    deployment: Deployment,
    engine: Engine,
    args: argparse.Namespace,
    terminals: int,
    *,
    bearer: bool = False,
    run_index: int,
) -> dict[str, Any]:
    prefix = f"r{run_index}{'b' if bearer else 's'}"
    fleet = register_fleet(engine, terminals, prefix=prefix, bearer=bearer)
    pids = [p.pid for p in deployment.processes]
    api_pids, worker_pids = pids[:1], pids[1:]
    cpu_before = process_tree_cpu(pids)
    api_before, workers_before = process_tree_cpu(api_pids), process_tree_cpu(worker_pids)
    database_before = database_counters(engine)
    # Names stay distinct across runs on one database: each run has its own block.
    tally, stuck = run_fleet(
        deployment.base_url, fleet, args.seconds, args.drain, first_company=run_index * 1_000_000
    )
    cpu = process_tree_cpu(pids) - cpu_before
    api_cpu = process_tree_cpu(api_pids) - api_before
    workers_cpu = process_tree_cpu(worker_pids) - workers_before
    database = database_counters(engine, since=database_before)
    left = unissued(engine, args.drain)
    errors = dict(tally.errors)
    if tally.answers.get("client timeouts"):
        errors["client timeouts"] = tally.answers["client timeouts"]
    return {
        "terminals": terminals,
        "auth": "bearer" if bearer else "signed",
        "licences_per_s": tally.in_window / args.seconds,
        "p50": percentile(tally.latencies, 0.50),
        "p95": percentile(tally.latencies, 0.95),
        "p99": percentile(tally.latencies, 0.99),
        "errors": errors,
        "unissued": left,
        "stuck": stuck,
        "cpu": cpu / args.seconds,
        # Per licence completed while the CPU was counted (the window and its drain).
        "cpu_per_licence": cpu / tally.licences if tally.licences else None,
        "api_cpu_per_licence": api_cpu / tally.licences if tally.licences else None,
        "workers_cpu_per_licence": workers_cpu / tally.licences if tally.licences else None,
        "database": {k: v / tally.licences for k, v in database.items()} if tally.licences else {},
        "failures": tally.failures,
    }


def database_counters(engine: Engine, since: dict[str, float] | None = None) -> dict[str, float]:
    """PostgreSQL only: commits and inserted rows of the run's database (pg_stat_database), and
    the CPU seconds of its server processes (from /proc: they are not bizreg's children);
    with `since`, the difference from that earlier reading."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as connection:
        if since is not None:  # other backends report their statistics within a second
            time.sleep(1.1)
        connection.execute(text("SELECT pg_stat_clear_snapshot()"))
        commits, inserted = connection.execute(
            text(
                "SELECT xact_commit, tup_inserted FROM pg_stat_database "
                "WHERE datname = current_database()"
            )
        ).one()
        backends = connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        now = {
            "commits": float(commits),
            "inserted": float(inserted),
            "pg_cpu": sum(process_cpu(pid) for pid in backends),
        }
    if since is None:
        return now
    # A backend that left took its CPU with it: pg_cpu is a floor when connections churn.
    return {k: v - since.get(k, 0.0) for k, v in now.items()}


def ok(result: dict[str, Any]) -> bool:
    p95 = result["p95"]
    return (
        not result["errors"]
        and not result["unissued"]
        and not result["stuck"]
        and p95 is not None
        and p95 < P95_TARGET
    )


def show(result: dict[str, Any]) -> None:
    errors = ", ".join(f"{k}: {v}" for k, v in sorted(result["errors"].items())) or "none"
    print(
        f"{result['terminals']:>9} {result['auth']:>6} {ms(result['p50']):>8} "
        f"{ms(result['p95']):>8} {ms(result['p99']):>8} {result['licences_per_s']:>10.1f} "
        f"{result['cpu']:>9.2f}c  {errors}"
        + (f"; NOT ISSUED {result['unissued']}" if result["unissued"] else "")
        + (f"; {result['stuck']} terminals stuck" if result["stuck"] else ""),
        flush=True,
    )
    if result["cpu_per_licence"] is not None:
        database = result["database"]
        print(
            f"{'':>9}   per licence: server CPU {result['cpu_per_licence'] * 1000:.0f} ms "
            f"(API {result['api_cpu_per_licence'] * 1000:.0f}, "
            f"workers {result['workers_cpu_per_licence'] * 1000:.0f})"
            + (
                f", PostgreSQL backends {database['pg_cpu'] * 1000:.0f} ms, "
                f"{database['commits']:.1f} commits, {database['inserted']:.1f} rows inserted"
                if database
                else ""
            ),
            flush=True,
        )
    for failure in result["failures"][:3]:
        print(f"{'':>9}   {failure[:300]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BIZREG_DATABASE_URL"))
    parser.add_argument("--api-processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--terminals", default=str(TARGET_TERMINALS), help="fleet sizes, a,b,c")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--drain", type=float, default=60.0)
    parser.add_argument(
        "--compare-bearer",
        type=int,
        default=TARGET_TERMINALS,
        help="fleet size of the signed vs bearer comparison (0: none)",
    )
    parser.add_argument("--search", default="", help="fleet sizes to step through, a,b,c")
    parser.add_argument("--check", action="store_true", help="exit 1 on any error")
    parser.add_argument(
        "--bizreg", default=str(Path(sys.executable).with_name("bizreg")), help="the command"
    )
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bizreg-scale-"))
    base_db = args.database_url
    db_url, db_name = fresh_database(base_db, "scale")
    url = db_url or f"sqlite:///{data_dir / 'bizreg.db'}"
    deployment = Deployment(args.api_processes, args.workers, url, data_dir)
    print(
        f"bizreg load: {deployment.label}, {args.seconds:.0f} s per run, {os.cpu_count()} CPUs "
        "(shared: other work on the machine shows in the numbers)"
    )
    print(
        f"{'terminals':>9} {'auth':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'licences/s':>10} "
        f"{'server CPU':>10}  errors by code"
    )
    failed = False
    exits: list[int] = []
    try:
        deployment.start(args.bizreg)
        engine = create_db_engine(url)
        index = 0
        for n in [int(x) for x in args.terminals.split(",") if x]:
            index += 1
            result = run(deployment, engine, args, n, run_index=index)
            show(result)
            failed |= bool(result["errors"] or result["unissued"] or result["stuck"])
        if args.compare_bearer:
            index += 1
            signed = run(deployment, engine, args, args.compare_bearer, run_index=index)
            show(signed)
            index += 1
            bearer = run(
                deployment, engine, args, args.compare_bearer, bearer=True, run_index=index
            )
            show(bearer)
            ratio = signed["licences_per_s"] / (bearer["licences_per_s"] or float("nan"))
            print(
                f"signed / bearer throughput at N={args.compare_bearer}: {ratio:.2f} "
                f"(target >= {SIGNED_VS_BEARER_TARGET:.2f})"
            )
        if args.search:
            highest = None
            for n in [int(x) for x in args.search.split(",") if x]:
                index += 1
                result = run(deployment, engine, args, n, run_index=index)
                show(result)
                if not ok(result):
                    break
                highest = n
            print(
                f"highest N with p95 < {P95_TARGET:.0f} s and zero errors: {highest} "
                f"(target >= {TARGET_TERMINALS})"
            )
        engine.dispose()
    finally:
        exits = deployment.stop()
        if base_db and db_name:
            drop_database(base_db, db_name)
    print(f"exit statuses after SIGTERM (serve first): {list(reversed(exits))}")
    print(f"targets: N={TARGET_TERMINALS} at p95 < {P95_TARGET:.0f} s with zero errors (2 cores)")
    if any(exits):
        failed = True
        print(f"PROBLEM: a process did not exit 0; log: {data_dir / 'processes.log'}")
    if failed:
        print(f"processes' log kept: {data_dir / 'processes.log'}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    if args.check and failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
