"""The webhook delivery worker: a thread in `bizreg serve` (or `WebhookWorker.drain` in tests).

Any number of processes may run it: rows are leased one by one (see `webhooks.claim_due`).
It also purges expired nonces and idempotency records, so those tables hold one window each,
and ends deregistration notice periods (completing those without pending objections) and frees
the names of companies deregistered long enough ago, once a minute.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import httpx
from sqlalchemy import Engine

from registration.db import utcnow
from registration.http import idempotency, signatures
from registration.services import deregistrations, stale_cases, webhooks
from registration.settings import Settings

log = logging.getLogger("bizreg.webhooks")
_PURGE_INTERVAL = timedelta(minutes=1)


class WebhookWorker:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_purge = utcnow()

    def drain(self, http: httpx.Client | None = None) -> int:
        """One pass: deliver what is due, purge what expired; returns webhooks delivered."""
        delivered = 0
        try:
            delivered = webhooks.deliver_due(self.engine, self.settings, http=http)
        except Exception:
            log.exception("webhook delivery pass failed; retrying at the next poll")
        now = utcnow()
        if now >= self._next_purge:
            self._next_purge = now + _PURGE_INTERVAL
            try:
                signatures.purge_expired_nonces(self.engine, now)
                idempotency.purge_expired(self.engine, now)
            except Exception:
                log.exception("purging expired nonces and idempotency records failed")
            try:
                deregistrations.sweep(self.engine, self.settings, now)
            except Exception:
                log.exception("ending deregistration notice periods failed")
            try:
                stale_cases.sweep(self.engine, self.settings, now)
            except Exception:
                log.exception("closing stale cases failed")
        return delivered

    def run_forever(self) -> None:
        with httpx.Client(timeout=webhooks.HTTP_TIMEOUT, follow_redirects=False) as http:
            while not self._stop.is_set():
                self.drain(http)
                self._stop.wait(self.settings.webhook_poll_seconds)

    def start(self) -> None:
        # Create the key before serving, so /api/v1/webhooks/keys never races the first send.
        webhooks.webhook_key(self.settings.webhook_key_path)
        self._thread = threading.Thread(target=self.run_forever, name="webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
