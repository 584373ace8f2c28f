"""Replay protection for signed requests: remember each (keyid, nonce) while it could be replayed.

RFC 9421 leaves replay to the application (§7.2.2 "Signature Replay"; §3.2.1 lists
"enforcing uniqueness of the nonce parameter" as such a requirement). A signed request is
acceptable only while its `created` time is within the clock-skew window, so a nonce needs
remembering only until that window closes; after that, a replay is refused as stale anyway.

The application implements `NonceStore` with a table and a unique constraint (the insert that
fails is the replay, which settles concurrent duplicates in the database); `InMemoryNonceStore`
is the single-process implementation for tests and the reference client.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["InMemoryNonceStore", "NonceStore"]

_PURGE_INTERVAL = timedelta(seconds=10)


@runtime_checkable
class NonceStore(Protocol):
    """Remembers nonces already used by a key."""

    def remember(self, keyid: str, nonce: str, expires_at: datetime) -> bool:
        """Record `nonce` for `keyid` until `expires_at`.

        Return True if it was new, False if it is a replay (already recorded and not yet
        expired). Must be atomic: of two concurrent calls with the same pair, one gets False.
        """
        ...


class InMemoryNonceStore:
    """A thread-safe `NonceStore` in a dict; expired entries are dropped as it goes."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._clock = clock or (lambda: datetime.now(UTC))
        self._seen: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()
        self._next_purge: datetime | None = None

    def remember(self, keyid: str, nonce: str, expires_at: datetime) -> bool:
        now = self._clock()
        with self._lock:
            self._purge(now)
            previous = self._seen.get((keyid, nonce))
            if previous is not None and previous >= now:
                return False
            self._seen[(keyid, nonce)] = expires_at
            return True

    def __len__(self) -> int:
        return len(self._seen)

    def _purge(self, now: datetime) -> None:
        # Scanning on every call would make each request O(n); scanning at most once per
        # interval keeps the dict bounded by the traffic of one window plus one interval.
        if self._next_purge is not None and now < self._next_purge:
            return
        self._seen = {pair: until for pair, until in self._seen.items() if until >= now}
        self._next_purge = now + _PURGE_INTERVAL
