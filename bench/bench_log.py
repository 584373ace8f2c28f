"""The transparency log's cost (issue 14).

Run: .venv/bin/python bench/bench_log.py [--runs N] [--events E]
     (BIZREG_DATABASE_URL=postgresql+psycopg://... for PostgreSQL; default SQLite)

  issuance overhead  median time of one issuance (registration.services.issuance.run_once:
                     claim, allocate, render, sign PAdES B-LT, store, commit) with the log's
                     session listeners on (a leaf for the licence and one for the `issue`
                     event, appended in the commit) and off, plus one checkpoint signature
                     (tree root + Ed25519) per issuance: the worst case, where every
                     issuance gets a checkpoint of its own (the worker signs one every
                     BIZREG_LOG_CHECKPOINT_SECONDS at most). Target: < 10 %.
  audit verify       `registration.services.audit.audit` (what `bizreg audit verify` runs) over
                     E application events (default 100,000) on 1,000 applications, each with
                     its leaf: every leaf recomputed from its row, the tree rebuilt, the
                     checkpoint checked. Target: < 60 s on two cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_issuance import approved_application
from registration.db import create_db_engine, upgrade_database, utcnow
from registration.issuance.authority import build_authority
from registration.models import Application, ApplicationEvent
from registration.services import audit, checkpoints, ledger
from registration.services import issuance as service
from registration.settings import Settings


def _listeners(on: bool) -> None:
    hooks = [("before_flush", ledger._notice_new_rows), ("before_commit", ledger._append_leaves)]
    for name, hook in hooks:
        present = event.contains(OrmSession, name, hook)
        if on and not present:
            event.listen(OrmSession, name, hook)
        elif not on and present:
            event.remove(OrmSession, name, hook)


def _fresh(url: str | None, data_dir: Path) -> tuple[Settings, object]:
    settings = Settings(data_dir=data_dir, database_url=url)
    engine = create_db_engine(settings.effective_database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade_database(engine)
    return settings, engine


def issuance_overhead(url: str | None, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings, engine = _fresh(url, Path(tmp))
        authority = build_authority(settings)
        signer = checkpoints.log_signer(settings)
        cache = checkpoints.TreeCache()
        for i in range(2 * runs + 2):
            approved_application(engine, i)
        service.run_once(engine, authority)  # warm-up
        samples: dict[str, list[float]] = {"off": [], "on": []}
        signing: list[float] = []
        for _ in range(runs):  # interleaved, so that drift hits both alike
            for mode in ("off", "on"):
                _listeners(mode == "on")
                start = time.perf_counter()
                service.run_once(engine, authority)  # type: ignore[arg-type]
                samples[mode].append(time.perf_counter() - start)
                if mode == "on":
                    with Session(engine) as session:  # type: ignore[call-overload]
                        start = time.perf_counter()
                        checkpoints.sign_checkpoint(session, signer, cache)
                        signing.append(time.perf_counter() - start)
        _listeners(True)
        off = statistics.median(samples["off"]) * 1000
        on = statistics.median(samples["on"]) * 1000
        sign = statistics.median(signing) * 1000
        overhead = (on + sign - off) / off * 100
        print(f"issuance without the log      {off:8.1f} ms (median of {runs})")
        print(f"issuance with leaf append     {on:8.1f} ms")
        print(f"checkpoint signature          {sign:8.1f} ms (one per issuance: worst case)")
        verdict = "met" if overhead < 10 else "NOT met"
        print(f"overhead, worst case          {overhead:8.1f} %  (target < 10 %: {verdict})")
        # In service: one checkpoint per BIZREG_LOG_CHECKPOINT_SECONDS (10) shared by every
        # licence issued meanwhile (at the 50 licences/s of two workers, 500 of them).
        amortised = (on + sign / 500 - off) / off * 100
        verdict = "met" if amortised < 10 else "NOT met"
        print(f"overhead, checkpoint per 10 s {amortised:8.1f} %  (target < 10 %: {verdict})")


def audit_verify(url: str | None, events: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings, engine = _fresh(url, Path(tmp))
        approved_application(engine, 0)  # the client row
        per_app = max(1, events // 1000)
        start = time.perf_counter()
        made = 0
        while made < events:
            with Session(engine) as session:  # type: ignore[call-overload]
                now = utcnow()
                app_id = str(uuid.uuid4())
                session.add(
                    Application(
                        id=app_id,
                        client_id="bench",
                        channel="yinzhengtong",
                        language="zh-Hans",
                        status="draft",
                        company_name_zh="东莞市基准贸易有限公司",
                        company_type="limited_liability",
                        payload={},
                        revision=per_app,
                        created_at=now,
                        updated_at=now,
                    )
                )
                session.flush()
                for seq in range(1, min(per_app, events - made) + 1):
                    session.add(
                        ApplicationEvent(
                            application_id=app_id,
                            seq=seq,
                            action="edit",
                            from_status="draft",
                            to_status="draft",
                            actor="bench-terminal",
                            role="terminal",
                            reasons=[{"code": "bench", "text": f"event {seq}"}],
                            idempotency_key=str(uuid.uuid4()),
                            at=now,
                        )
                    )
                    made += 1
                session.commit()
        filled = time.perf_counter() - start
        with Session(engine) as session:  # type: ignore[call-overload]
            checkpoints.sign_checkpoint(
                session, checkpoints.log_signer(settings), checkpoints.TreeCache()
            )
        with Session(engine) as session:  # type: ignore[call-overload]
            start = time.perf_counter()
            report = audit.audit(session, settings)
            took = time.perf_counter() - start
        assert report.clean, report.findings[:5]
        verdict = "met" if took < 60 else "NOT met"
        print(f"filled {report.rows:,} rows with their leaves in {filled:.1f} s")
        print(
            f"audit verify over {report.leaves:,} leaves  {took:8.1f} s  "
            f"(target < 60 s on two cores: {verdict})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    url = os.environ.get("BIZREG_DATABASE_URL")
    print(f"database: {'PostgreSQL' if url else 'SQLite'}; cores: {os.cpu_count()}")
    issuance_overhead(url, args.runs)
    audit_verify(url, args.events)


if __name__ == "__main__":
    main()
