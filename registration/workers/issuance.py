"""The issuance worker loop: in `bizreg serve`'s issuance processes (`processes.py`), in
`bizreg worker`, or as a thread of a test's app.

Between jobs it sleeps until woken: on PostgreSQL by the `NOTIFY` an approval sends in its own
transaction (`registration.changes`), from any process on any machine, looking anyway at most
once a second; on SQLite, which has no such channel, it looks every `issuance_poll_seconds`.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Engine

from registration.changes import ISSUANCE_DUE, Listener
from registration.db import utcnow
from registration.issuance.authority import LicenceAuthority
from registration.services import archive, notices
from registration.services import issuance as service

log = logging.getLogger("bizreg.issuance")


class WakeEvent(Protocol):
    """What `threading.Event` and `multiprocessing.Event` have in common."""

    def set(self) -> None: ...
    def clear(self) -> None: ...
    def is_set(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> bool: ...


MAX_PAUSE_SECONDS = 30.0
# On PostgreSQL, the longest an idle worker goes without looking (NOTIFY wakes it sooner).
# At the 0.1 s of `issuance_poll_seconds` two idle workers made 20 commits a second.
PUSHED_POLL_SECONDS = 1.0
# How often an idle worker looks for stored licences and notices due for archive renewal.
ARCHIVE_INTERVAL = timedelta(hours=1)


class IssuanceWorker:
    def __init__(
        self,
        engine: Engine,
        authority: LicenceAuthority,
        poll_seconds: float,
        wake_event: WakeEvent | None = None,
    ) -> None:
        """`wake_event` may be shared with other processes (a `multiprocessing.Event`): the
        API process of `bizreg serve` sets it on every approval."""
        self.engine = engine
        self.authority = authority
        self.poll_seconds = poll_seconds
        self._wake: WakeEvent = wake_event if wake_event is not None else threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_archive = utcnow()

    def wake(self) -> None:
        """Something was approved: look now rather than at the next poll."""
        self._wake.set()

    def drain(self) -> int:
        """Issue every job that is due, in batches of up to `issuance_batch` a transaction;
        returns how many were issued."""
        issued = 0
        pause = self.poll_seconds
        batch = self.authority.settings.issuance_batch
        while not self._stop.is_set():
            try:
                done = service.run_batch(self.engine, self.authority, batch)
                if not done:
                    # No licence waiting: sign the notices of recent steps (issue 12).
                    notices.sign_pending(self.engine, self.authority, self.authority.settings)
                    self._archive_pass()
                    return issued
                issued += len(done)
                pause = self.poll_seconds
            except Exception:
                log.exception("issuance failed; the job will be retried")
                # A database or TSA outage fails every job: do not spin on it.
                self._stop.wait(pause)
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
        return issued

    def _archive_pass(self) -> None:
        """Renew what is due for archive renewal (B-LTA), once per `ARCHIVE_INTERVAL`: the
        renewals are rare (a licence every few years) and a pass is a few indexed queries."""
        now = utcnow()
        if now < self._next_archive:
            return
        self._next_archive = now + ARCHIVE_INTERVAL
        margin = timedelta(days=self.authority.settings.archive_renewal_margin_days)
        try:
            report = archive.renew_due(self.engine, self.authority, margin)
        except Exception:
            log.exception("archive renewal pass failed; retried at the next pass")
            return
        if report.renewed or report.failed or report.rolled_over:
            log.info(
                "archive renewal: %d renewed, %d failed, rolled over %s",
                len(report.renewed),
                len(report.failed),
                report.rolled_over or "nothing",
            )

    def run_forever(self) -> None:
        listener = Listener(self.engine, [ISSUANCE_DUE])
        try:
            while not self._stop.is_set():
                self.drain()
                if listener.pushes:
                    self._wait_for_notification(listener)
                else:
                    self._wake.wait(self.poll_seconds)
                self._wake.clear()
        finally:
            listener.close()

    def _wait_for_notification(self, listener: Listener) -> None:
        """Until a NOTIFY (an approval, a notice to sign), a wake-up, or the next look: every
        `poll_seconds`, but no more than once a second, since the notification is what
        brings work. The fallback look is for a job whose retry time came and a notification
        lost with the listener's connection. Waited in rounds of at most a second, so that
        a stop request or a wake-up is seen within one."""
        deadline = time.monotonic() + max(self.poll_seconds, PUSHED_POLL_SECONDS)
        while not (self._stop.is_set() or self._wake.is_set()):
            left = deadline - time.monotonic()
            if left <= 0 or listener.wait(min(left, 1.0)):
                return

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="issuance", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Stop after the job in hand; safe in a signal handler (it does not touch the wake
        event, whose lock the interrupted main thread may be waiting in)."""
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
