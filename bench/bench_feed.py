"""Change feed: what the publishers' lock costs, and how fast a consumer reads.

Publishing takes a transaction-scoped advisory lock (PostgreSQL) so that feed positions become
visible in order (registration/services/feed.py). Prints committed events per second with 1
and 8 concurrent publishers (each event its own transaction, as a licence event is), beside the
same transactions inserting a plain row with no lock: the ratio is what ordering costs. Then
pages of 1000 events read per second. Reference: Dongguan issues on the order of 10^3 licences
a day, i.e. well under 1 event per second; anything above 100/s is headroom.

    BIZREG_DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/bench_feed.py
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from registration.db import create_db_engine, upgrade_database
from registration.services import feed

EVENTS_PER_THREAD = 200


def _run(engine: object, threads: int, locked: bool) -> float:
    def work() -> None:
        with Session(engine) as session:  # type: ignore[call-overload]
            for i in range(EVENTS_PER_THREAD):
                if locked:
                    feed.publish(session, "licence.issued", "91441900MA00000001", {"i": i})
                else:
                    session.execute(
                        text(
                            "INSERT INTO feed_event (kind, uscc, at, data) "
                            "VALUES ('bench', '91441900MA00000001', CURRENT_TIMESTAMP, '{}')"
                        )
                    )
                session.commit()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return threads * EVENTS_PER_THREAD / (time.perf_counter() - start)


def main() -> None:
    url = os.environ.get("BIZREG_DATABASE_URL")
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    engine = create_db_engine(url, pool_size=10, max_overflow=0)
    upgrade_database(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM feed_event"))
    print(f"feed on {engine.dialect.name} (machine shared with other work: numbers are noisy)")
    for threads in (1, 8):
        plain = _run(engine, threads, locked=False)
        ordered = _run(engine, threads, locked=True)
        print(
            f"  {threads} publisher(s): {ordered:8.0f} events/s ordered, {plain:8.0f}/s without "
            f"the lock (ratio {ordered / plain:.2f}); reference need < 1/s, headroom above 100/s"
        )
    with Session(engine) as session:
        start, pages, cursor = time.perf_counter(), 0, None
        while True:
            events = feed.read_after(session, cursor, 1000, timedelta(days=1))
            if not events:
                break
            cursor, pages = events[-1].cursor, pages + 1
        elapsed = time.perf_counter() - start
    rate = pages * 1000 / elapsed
    print(f"  reading: {pages} pages of 1000 in {elapsed:.2f} s ({rate:.0f} events/s)")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM feed_event"))
    engine.dispose()


if __name__ == "__main__":
    main()
