"""The issuance worker loop: in `bizreg serve`'s issuance processes (`processes.py`), in
`bizreg worker`, or as a thread of a test's app.

Between jobs it sleeps until woken: on PostgreSQL by the `NOTIFY` an approval sends in its own
transaction (`registration.changes`), from any process on any machine; on SQLite, which has no
such channel, it looks every `issuance_poll_seconds`.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from registration.changes import ISSUANCE_DUE, Listener
from registration.issuance import service
from registration.issuance.authority import LicenceAuthority

log = logging.getLogger("bizreg.issuance")
MAX_PAUSE_SECONDS = 30.0


class IssuanceWorker:
    def __init__(self, engine: Engine, authority: LicenceAuthority, poll_seconds: float) -> None:
        self.engine = engine
        self.authority = authority
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Something was approved: look now rather than at the next poll."""
        self._wake.set()

    def drain(self) -> int:
        """Issue every job that is due; returns how many were issued."""
        issued = 0
        pause = self.poll_seconds
        while not self._stop.is_set():
            try:
                if service.run_once(self.engine, self.authority) is None:
                    return issued
                issued += 1
                pause = self.poll_seconds
            except Exception:
                log.exception("issuance failed; the job will be retried")
                # A database or TSA outage fails every job: do not spin on it.
                self._stop.wait(pause)
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
        return issued

    def run_forever(self) -> None:
        listener = Listener(self.engine, [ISSUANCE_DUE])
        try:
            while not self._stop.is_set():
                self.drain()
                if listener.pushes and not self._wake.is_set():
                    listener.wait(self.poll_seconds)
                else:
                    self._wake.wait(self.poll_seconds)
                self._wake.clear()
        finally:
            listener.close()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="issuance", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
