"""How hard password guessing is made: growing delays, then a lockout.

Counted per username (whether or not the account exists, so an unknown name is answered exactly
like a known one) and per client address (one address trying many names). Failures older than
the window are forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class SignInPolicy:
    window: timedelta = timedelta(minutes=15)
    # Failures for one username before each further attempt must wait, doubling each time.
    free_failures: int = 3
    first_delay: timedelta = timedelta(seconds=2)
    # Failures for one username within the window that lock it for `lockout`.
    lockout_after: int = 10
    lockout: timedelta = timedelta(minutes=15)
    # One address trying many usernames: the same treatment at a higher count.
    address_free_failures: int = 20
    address_lockout_after: int = 50

    def delay(self, failures: int, free: int) -> timedelta:
        """How long after the latest failure the next attempt is refused."""
        if failures < free:
            return timedelta(0)
        delay: timedelta = self.first_delay * 2 ** min(failures - free, 20)
        return min(delay, self.lockout)

    def wait_for_username(self, failures: int) -> tuple[timedelta, bool]:
        """(wait after the latest failure, whether it is a lockout) for one username."""
        if failures >= self.lockout_after:
            return self.lockout, True
        return self.delay(failures, self.free_failures), False

    def wait_for_address(self, failures: int) -> tuple[timedelta, bool]:
        if failures >= self.address_lockout_after:
            return self.lockout, True
        return self.delay(failures, self.address_free_failures), False


DEFAULT_POLICY = SignInPolicy()
