"""The authority's service figures, from an application's event history: pure rules.

Definitions (per application whose first submission falls in the period):

- decided: it was approved or rejected.
- decided instantly (马上办, target 80% of decided): approved by `system` on the instant path,
  with no officer step at all.
- approved with no return (一次办, target 85% of approved): approved and never returned.
- without a visit (网上办, target 70% of decided): every channel is remote, so what would bring
  an applicant to a counter is an identity the bank could not check remotely: an application
  counts when it was decided with every person's identity attested by the bank (a face check
  at a terminal or in an app), i.e. at least one attestation on file and no return asking for
  an identity document (a reason whose field is under `persons`).
- submission → licence: from the first `submit` event to the `issue` event, for issued
  applications; the median and the 95th percentile (nearest rank).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

TARGETS: Final = {"instant": 0.80, "no_return": 0.85, "no_visit": 0.70}


@dataclass(frozen=True)
class Step:
    action: str
    actor: str
    at: datetime
    reason_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class History:
    application_id: str
    channel: str
    category: str | None
    attested: bool
    steps: tuple[Step, ...]  # in order


@dataclass
class Figures:
    applications: int = 0
    decided: int = 0
    approved: int = 0
    instant: int = 0
    approved_no_return: int = 0
    no_visit: int = 0
    issued_seconds: list[float] = field(default_factory=list)
    returns_by_reason: dict[str, int] = field(default_factory=dict)

    def share(self, part: int, whole: int) -> float | None:
        return None if whole == 0 else part / whole

    @property
    def instant_share(self) -> float | None:
        return self.share(self.instant, self.decided)

    @property
    def no_return_share(self) -> float | None:
        return self.share(self.approved_no_return, self.approved)

    @property
    def no_visit_share(self) -> float | None:
        return self.share(self.no_visit, self.decided)

    @property
    def median_seconds(self) -> float | None:
        return percentile(self.issued_seconds, 0.5)

    @property
    def p95_seconds(self) -> float | None:
        return percentile(self.issued_seconds, 0.95)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least q of the values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)), 1) - 1]


def add(figures: Figures, history: History) -> None:
    figures.applications += 1
    actions = [x.action for x in history.steps]
    submitted = next((x.at for x in history.steps if x.action == "submit"), None)
    approved = "approve" in actions
    decided = approved or "reject" in actions
    returns = [x for x in history.steps if x.action == "return"]
    for step in returns:
        for name in step.reason_fields or ("(none)",):
            figures.returns_by_reason[name] = figures.returns_by_reason.get(name, 0) + 1
    if decided:
        figures.decided += 1
        officer_steps = [
            x for x in history.steps if x.action in ("accept", "return", "approve", "reject")
        ]
        if approved and all(x.actor == "system" for x in officer_steps):
            figures.instant += 1
        identity_asked = any(
            name.startswith("persons") for x in returns for name in x.reason_fields
        )
        if history.attested and not identity_asked:
            figures.no_visit += 1
    if approved:
        figures.approved += 1
        if not returns:
            figures.approved_no_return += 1
    issued = next((x.at for x in history.steps if x.action == "issue"), None)
    if submitted is not None and issued is not None:
        figures.issued_seconds.append((issued - submitted).total_seconds())
