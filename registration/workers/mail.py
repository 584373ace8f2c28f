"""The e-mail worker: a thread in `bizreg serve` beside the webhook sender (or
`MailWorker.drain` in tests). Any number of processes may run it: rows are leased one by one
(`services.mail.claim_due`)."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from registration.services import mail
from registration.settings import Settings

log = logging.getLogger("bizreg.mail")


class MailWorker:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def drain(self) -> int:
        """One pass: send what is due; returns how many messages went out."""
        try:
            return mail.deliver_due(self.engine, self.settings)
        except Exception:
            log.exception("e-mail pass failed; retrying at the next poll")
            return 0

    def run_forever(self) -> None:
        while not self._stop.is_set():
            self.drain()
            self._stop.wait(self.settings.mail_poll_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="mail", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
