"""The log's checkpoint signer: a thread in `bizreg serve` signing a checkpoint at least every
`BIZREG_LOG_CHECKPOINT_SECONDS` while there are new leaves. Several servers may each run one:
a checkpoint's primary key is its tree size, so two signing the same size commit once."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from registration.db import utcnow
from registration.services import checkpoints, ledger
from registration.settings import Settings

log = logging.getLogger("bizreg.log")


class CheckpointWorker:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.signer = checkpoints.log_signer(settings)
        self.cache = checkpoints.tree_cache(engine)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.refusal: str | None = None  # why the last round signed nothing (see /healthz)

    def sign_once(self) -> int | None:
        """Sign a checkpoint if the tree grew; its size, or None."""
        with Session(self.engine, expire_on_commit=False) as session:
            # Buckets of the minute before last are closed: their counts go in the log.
            ledger.seal_security_events(session, utcnow() - timedelta(minutes=1))
            try:
                row = checkpoints.sign_checkpoint(session, self.signer, self.cache)
            except IntegrityError:  # another server signed this size first
                return None
            except checkpoints.LogRewritten as error:
                self.refusal = str(error)
                log.error("refusing to sign a checkpoint: %s", error)
                return None
        self.refusal = None
        return None if row is None else row.size

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self.sign_once()
            except Exception:  # the database is down: try again next round
                log.exception("checkpoint round failed")
            self._stop.wait(self.settings.log_checkpoint_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="log", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
