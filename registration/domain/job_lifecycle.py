"""An issuance job's lifecycle: one transition table, one guard.

A job is `pending` from the approval until its licence is issued, however many attempts that
takes (a failed attempt backs off and stays pending: an approved application must get its
licence), then `done`, for good.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ALLOWED", "JobStatus", "JobTransitionNotAllowed", "guard"]


class JobStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"


# Anything not in this table is refused by `guard`.
ALLOWED: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.DONE}),
    JobStatus.DONE: frozenset(),
}


class JobTransitionNotAllowed(Exception):
    def __reduce__(self) -> tuple[type, tuple[JobStatus, JobStatus]]:
        return (type(self), (self.status, self.target))  # picklable across processes

    def __init__(self, status: JobStatus, target: JobStatus) -> None:
        self.status = status
        self.target = target
        self.allowed = sorted(ALLOWED[status])
        allowed = ", ".join(self.allowed) or "none"
        super().__init__(
            f"an issuance job that is {status} cannot become {target}; allowed: {allowed}"
        )


def guard(status: JobStatus, target: JobStatus) -> JobStatus:
    """Return `target` if a job that is `status` may become it, or raise why not."""
    if target not in ALLOWED[status]:
        raise JobTransitionNotAllowed(status, target)
    return target
