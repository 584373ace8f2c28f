"""A licence's lifecycle in the registry (DESIGN.md §3): one transition table, one guard.

A licence is issued `active` and leaves it once, for good: superseded when a newer version of
the same licence is issued, revoked by the registrar, or deregistered with its company. The
statuses are defined by the `verification` library, which reports them to relying parties and
must not import the application; this module adds the rules.
"""

from __future__ import annotations

from enum import StrEnum

from verification.report import LicenceStatus

__all__ = [
    "TRANSITIONS",
    "LicenceAction",
    "LicenceStatus",
    "LicenceTransitionNotAllowed",
    "allowed_actions",
    "guard",
]


class LicenceAction(StrEnum):
    SUPERSEDE = "supersede"
    REVOKE = "revoke"
    DEREGISTER = "deregister"


# Anything not in this table is refused by `guard`.
TRANSITIONS: dict[tuple[LicenceStatus, LicenceAction], LicenceStatus] = {
    (LicenceStatus.ACTIVE, LicenceAction.SUPERSEDE): LicenceStatus.SUPERSEDED,
    (LicenceStatus.ACTIVE, LicenceAction.REVOKE): LicenceStatus.REVOKED,
    (LicenceStatus.ACTIVE, LicenceAction.DEREGISTER): LicenceStatus.DEREGISTERED,
}


class LicenceTransitionNotAllowed(Exception):
    def __reduce__(self) -> tuple[type, tuple[LicenceStatus, LicenceAction]]:
        return (type(self), (self.status, self.action))  # picklable across processes

    def __init__(self, status: LicenceStatus, action: LicenceAction) -> None:
        self.status = status
        self.action = action
        self.allowed = allowed_actions(status)
        allowed = ", ".join(self.allowed) or "none"
        super().__init__(f"cannot {action} a licence that is {status}; allowed: {allowed}")


def allowed_actions(status: LicenceStatus) -> list[LicenceAction]:
    return [action for (source, action) in TRANSITIONS if source is status]


def guard(status: LicenceStatus, action: LicenceAction) -> LicenceStatus:
    """Return the status `action` leads to, or raise why it may not be taken."""
    target = TRANSITIONS.get((status, action))
    if target is None:
        raise LicenceTransitionNotAllowed(status, action)
    return target
