"""Long polling: `GET /api/v1/applications/{id}` with `Prefer: wait=N` (RFC 7240 §4.3).

A terminal that submitted an application wants to know the moment its licence is issued.
Instead of polling, it asks once with `Prefer: wait=N` (and `If-None-Match` with the ETag it
holds); the request parks here — holding neither a database connection, nor a worker thread,
nor a slot of the request cap — until the application's revision changes or N seconds pass.

One `RevisionWatcher` per process watches every parked application with one query per round,
on a small engine of its own. On PostgreSQL a round starts when a `NOTIFY` names a watched
application (`registration.changes`), so an issuance in a worker process on another machine
wakes the request within milliseconds; on SQLite rounds run every `SQLITE_POLL_SECONDS`.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from registration.changes import APPLICATION_CHANGED, Listener
from registration.models import Application

SQLITE_POLL_SECONDS: Final = 0.02
# On PostgreSQL a round also runs this often without a NOTIFY: it covers a change committed
# between the request's read and its waiter's registration, and a listener that reconnected.
PUSH_FALLBACK_SECONDS: Final = 0.5
_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*\"?(\d{1,6})\"?", re.IGNORECASE)


def requested_wait(prefer_headers: list[str], cap: int) -> int | None:
    """Seconds from `Prefer: wait=N`, capped; None when the client did not ask to wait."""
    for header in prefer_headers:
        match = _WAIT.search(header)
        if match:
            return min(int(match.group(1)), cap)
    return None


@dataclass(eq=False)
class _Waiter:
    application_id: str
    revision: int
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]

    def wake(self) -> None:
        self.loop.call_soon_threadsafe(_resolve, self.future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class RevisionWatcher:
    """Wakes parked requests when their application's revision moves past the one they saw."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._waiters: dict[str, list[_Waiter]] = {}
        self._lock = threading.Lock()
        self._kick = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    async def wait_for_change(self, application_id: str, revision: int, timeout: float) -> bool:
        """True if the application changed (or vanished) within `timeout` seconds."""
        loop = asyncio.get_running_loop()
        waiter = _Waiter(application_id, revision, loop, loop.create_future())
        with self._lock:
            self._waiters.setdefault(application_id, []).append(waiter)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="watcher", daemon=True)
                self._thread.start()
        self._kick.set()  # a round now: the change may have landed before we registered
        try:
            await asyncio.wait_for(waiter.future, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                parked = self._waiters.get(application_id, [])
                if waiter in parked:
                    parked.remove(waiter)
                if not parked:
                    self._waiters.pop(application_id, None)

    def stop(self) -> None:
        self._stop.set()
        self._kick.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.engine.dispose()

    def _run(self) -> None:
        listener = Listener(self.engine, [APPLICATION_CHANGED])
        last_round = 0.0
        try:
            while not self._stop.is_set():
                if listener.pushes:
                    # Also while nothing is parked: unread notifications would back up the
                    # server's NOTIFY queue.
                    notified = listener.wait(0.1)
                else:
                    notified = set()
                    self._kick.wait(SQLITE_POLL_SECONDS if self._waiters else 1.0)
                with self._lock:
                    watched = set(self._waiters)
                overdue = time.monotonic() - last_round >= PUSH_FALLBACK_SECONDS
                due = (
                    self._kick.is_set()
                    or not listener.pushes
                    or overdue
                    or not notified.isdisjoint(watched)
                )
                if not watched or not due:
                    continue
                self._kick.clear()
                last_round = time.monotonic()
                self._round(watched)
        finally:
            listener.close()

    def _round(self, watched: set[str]) -> None:
        try:
            with Session(self.engine) as session:
                revisions = dict(
                    session.exec(
                        select(Application.id, Application.revision).where(
                            col(Application.id).in_(watched)
                        )
                    ).all()
                )
        except Exception:  # the database is away: parked requests time out and re-read
            time.sleep(0.5)
            return
        with self._lock:
            for application_id in watched:
                current = revisions.get(application_id)
                for waiter in self._waiters.get(application_id, []):
                    if current is None or current != waiter.revision:
                        waiter.wake()
