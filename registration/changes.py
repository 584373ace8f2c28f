"""Telling other processes that something changed: PostgreSQL LISTEN/NOTIFY, polling on SQLite.

`notify` is called inside the transaction that makes the change and the notification is sent
as it commits; PostgreSQL delivers it only when that transaction commits (and never if it rolls
back), so a listener that wakes up always finds the change. SQLite has no such channel; it is
the one-machine database, and its listeners look for themselves every few tens of milliseconds
instead.

Channels: `APPLICATION_CHANGED` carries the application id (the `Prefer: wait` watcher in
`registration.api.waiting`); `ISSUANCE_DUE` wakes issuance workers when a job is created.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any, Final

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session

APPLICATION_CHANGED: Final = "bizreg_application_changed"
ISSUANCE_DUE: Final = "bizreg_issuance_due"
log = logging.getLogger("bizreg.changes")


def notify(session: Session, channel: str, payload: str = "") -> None:
    """Announce a change on commit of `session`'s transaction (PostgreSQL; a no-op on SQLite).

    Held until the commit and sent then, once per channel and payload: a submission that
    goes on to acceptance and approval in one transaction announced the application three
    times and woke the issuance workers twice, each `pg_notify` a statement of its own that
    also flushed what was pending. A transaction that rolls back sends nothing, as before."""
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction() or session.begin()
    held: tuple[SessionTransaction, dict[tuple[str, str], None]] | None = session.info.get(_HELD)
    if held is None or held[0] is not transaction:
        held = (transaction, {})
        session.info[_HELD] = held
    held[1][(channel, payload)] = None  # a dict: sent in the order first announced


_HELD: Final = "bizreg_notifications"


# Ahead of the transparency log's append (`services.ledger`), which locks the log's head until
# the COMMIT: these statements need not run while every other appender waits.
@event.listens_for(OrmSession, "before_commit", insert=True)
def _send_held(session: OrmSession) -> None:
    held = session.info.pop(_HELD, None)
    # Held by a transaction that since rolled back (or by a savepoint's parent): not this one.
    if held is None or held[0] is not session.get_transaction() or not held[1]:
        return
    channels, payloads = zip(*held[1], strict=True)
    session.execute(_NOTIFY, {"channels": list(channels), "payloads": list(payloads)})


# One statement for all of a transaction's notifications (a batch of licences has one per
# application), sent in the order announced.
_NOTIFY = text(
    "SELECT pg_notify(n.channel, n.payload) FROM unnest("
    "CAST(:channels AS text[]), CAST(:payloads AS text[])) WITH ORDINALITY "
    "AS n(channel, payload, position) ORDER BY n.position"
)


class Listener:
    """A connection of its own (outside the engine's pool) LISTENing on `channels`.

    `wait(timeout)` returns the payloads that arrived, as soon as one does, or an empty set
    after `timeout`. On SQLite `pushes` is False and `wait` only sleeps: callers poll.
    """

    def __init__(self, engine: Engine, channels: Iterable[str]) -> None:
        self.engine = engine
        self.channels = tuple(channels)
        self.pushes = engine.dialect.name == "postgresql"
        self._connection: Any = None

    def wait(self, timeout: float) -> set[str]:
        if not self.pushes:
            time.sleep(timeout)
            return set()
        try:
            connection = self._connect()
            payloads = {n.payload for n in connection.notifies(timeout=timeout, stop_after=1)}
            # Whatever else is already queued, without waiting.
            payloads.update(n.payload for n in connection.notifies(timeout=0))
            return payloads
        except Exception:  # a lost connection: reconnect next time, callers look for themselves
            log.warning("change listener lost its connection; reconnecting", exc_info=True)
            self.close()
            time.sleep(min(timeout, 1.0))
            return set()

    def _connect(self) -> Any:
        if self._connection is None:
            # Not from the pool: a LISTENing connection is held for the process's lifetime.
            cargs, cparams = self.engine.dialect.create_connect_args(self.engine.url)
            connection = self.engine.dialect.loaded_dbapi.connect(*cargs, **cparams)
            connection.autocommit = True
            for channel in self.channels:
                connection.execute(f'LISTEN "{channel}"')
            self._connection = connection
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None
