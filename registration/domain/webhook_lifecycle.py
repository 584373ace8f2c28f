"""A status-change webhook's delivery lifecycle: one transition table, one guard.

A webhook stays `pending` through its retries (a failed attempt only pushes its next attempt
back), until one attempt succeeds (`delivered`) or the last one allowed fails (`failed`). Both
are final: only a pending webhook is claimed for delivery.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ALLOWED", "WebhookStatus", "WebhookTransitionNotAllowed", "guard"]


class WebhookStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


# Anything not in this table is refused by `guard`.
ALLOWED: dict[WebhookStatus, frozenset[WebhookStatus]] = {
    WebhookStatus.PENDING: frozenset({WebhookStatus.DELIVERED, WebhookStatus.FAILED}),
    WebhookStatus.DELIVERED: frozenset(),
    WebhookStatus.FAILED: frozenset(),
}


class WebhookTransitionNotAllowed(Exception):
    def __reduce__(self) -> tuple[type, tuple[WebhookStatus, WebhookStatus]]:
        return (type(self), (self.status, self.target))  # picklable across processes

    def __init__(self, status: WebhookStatus, target: WebhookStatus) -> None:
        self.status = status
        self.target = target
        self.allowed = sorted(ALLOWED[status])
        allowed = ", ".join(self.allowed) or "none"
        super().__init__(f"a webhook that is {status} cannot become {target}; allowed: {allowed}")


def guard(status: WebhookStatus, target: WebhookStatus) -> WebhookStatus:
    """Return `target` if a webhook that is `status` may become it, or raise why not."""
    if target not in ALLOWED[status]:
        raise WebhookTransitionNotAllowed(status, target)
    return target
