"""Simplified deregistration (简易注销): its states and who may move it.

Filing opens a public notice period. The company may withdraw before it ends. At its end the
system completes the deregistration when no objection is pending; otherwise the registrar
decides (complete, or refuse). Objections are pending until their author withdraws them or the
deregistration closes.
"""

from __future__ import annotations

from enum import StrEnum


class DeregistrationStatus(StrEnum):
    NOTICE = "notice"  # the public notice period is running (or over, awaiting a decision)
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    REFUSED = "refused"


class ObjectionStatus(StrEnum):
    PENDING = "pending"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"  # the deregistration ended; the registrar weighed it


class Decision(StrEnum):
    COMPLETE = "complete"
    REFUSE = "refuse"


def closing_status(decision: Decision) -> DeregistrationStatus:
    return (
        DeregistrationStatus.COMPLETED
        if decision is Decision.COMPLETE
        else DeregistrationStatus.REFUSED
    )


# Feed kinds (public events): the names consumers rely on.
FEED_LICENCE_ISSUED = "licence.issued"
FEED_LICENCE_AMENDED = "licence.amended"
FEED_LICENCE_REVOKED = "licence.revoked"
FEED_DEREGISTRATION_OPENED = "deregistration.opened"
FEED_DEREGISTRATION_OBJECTED = "deregistration.objected"
FEED_OBJECTION_WITHDRAWN = "deregistration.objection_withdrawn"
FEED_DEREGISTRATION_COMPLETED = "deregistration.completed"
FEED_DEREGISTRATION_WITHDRAWN = "deregistration.withdrawn"
FEED_DEREGISTRATION_REFUSED = "deregistration.refused"
