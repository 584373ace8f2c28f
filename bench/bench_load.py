"""A bank's fleet against one `bizreg serve` over loopback: N signed terminals, each looping
create → attest → submit → wait for the licence → download it, for S seconds.

    .venv/bin/python bench/bench_load.py --terminals 1,5,10,20 --seconds 45
    BIZREG_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/bench_load.py --terminals 1,20,100
    .venv/bin/python bench/bench_load.py --terminals 30 --seconds 20 --check   # CI

The terminals and their tally are `loadkit.py`'s, shared with `load.py` (several processes on
PostgreSQL). Each N gets a fresh server (a new data directory; on PostgreSQL a new database
created beside the one `BIZREG_DATABASE_URL` names) and N freshly registered terminals of the
three example channels in turn, with Ed25519 request keys. Terminals use
`bank_adapter.BizregClient`, which honours `Retry-After` on 503/429 and waits for status
changes with `Prefer: wait` (`--poll SECONDS` polls instead, for servers without it). After the
S seconds no terminal starts a new application; those in flight finish (up to `--drain`
seconds), then the database is read: every submitted application must have been issued.

Printed per N: licences/s over the load window, client-side submit → issued p50/p95, answers by
class (2xx; 503 and 429 each with and without `Retry-After`; other 5xx; other 4xx), client
timeouts, and applications submitted but not issued. With --check the exit status is 1 when
anything but success or a 503/429 carrying `Retry-After` was seen, a request timed out, or a
submitted application was not issued.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from loadkit import (
    drop_database,
    free_port,
    fresh_database,
    ms,
    problems_of,
    process_tree_cpu,
    register_fleet,
    run_fleet,
    stop,
    unissued,
    wait_healthy,
)

from registration.db import create_db_engine


def run_one(args: argparse.Namespace, terminals: int) -> dict[str, Any]:
    base_db = os.environ.get("BIZREG_DATABASE_URL")
    db_url, db_name = fresh_database(base_db, str(terminals))
    data_dir = Path(tempfile.mkdtemp(prefix="bizreg-load-"))
    port = free_port()
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
        wait_healthy(base_url, server)
        engine = create_db_engine(db_url or f"sqlite:///{data_dir / 'bizreg.db'}")
        fleet = register_fleet(engine, terminals)
        cpu_before = process_tree_cpu([server.pid])
        tally, stuck = run_fleet(base_url, fleet, args.seconds, args.drain, poll=args.poll)
        cpu = process_tree_cpu([server.pid]) - cpu_before
        # Applications submitted when the clock ran out still get their licence.
        left = unissued(engine, args.drain)
        engine.dispose()
    finally:
        stop(server, timeout=20)
        log.close()
        if base_db and db_name:
            drop_database(base_db, db_name)
    latencies = sorted(tally.latencies)
    return {
        "terminals": terminals,
        "licences_per_s": tally.in_window / args.seconds,
        "licences": tally.licences,
        "p50": latencies[len(latencies) // 2] if latencies else None,
        "p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
        "answers": dict(tally.answers),
        "submitted": tally.submitted,
        "unissued": left,
        "stuck_terminals": stuck,
        "server_cpu_s": cpu,
        "failures": tally.failures,
        "log": str(data_dir / "server.log"),
    }


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
            f"{n:>9} {result['licences_per_s']:>10.1f} {ratio:>7} {ms(result['p50']):>8} "
            f"{ms(result['p95']):>8} {cpu:>9.2f}c  {result['answers']}",
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
