"""Pre-flight: every submission check on the current draft, answered without holding the name
or changing anything, with the predicted path and the expected time to a licence.

`POST /api/v1/applications/{id}/preflight` and `bizreg terminal preflight` use it: a Paris
investor learns before the bank's face check whether the case will be approved in a second or go
to a back office, and everything to fix at once."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any, Final

from sqlmodel import Session, col, select

from registration.domain import catalogue
from registration.domain.checks import instant_ineligibility
from registration.domain.workflow import EDITABLE_STATUSES, Status
from registration.errors import NotEditable
from registration.models import Application, Licence
from registration.principal import Principal
from registration.services import applications

_SAMPLE: Final = 50


@dataclass(frozen=True)
class Preflight:
    ready: bool
    path: str  # "instant" | "manual"
    category: str
    problems: list[dict[str, str]]
    needs_human_because: list[str]
    expected_seconds: float | None
    sample_size: int

    def to_json(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "predicted_path": self.path,
            "category": self.category,
            "problems": self.problems,
            "needs_human_because": self.needs_human_because,
            "expected_time_to_licence": {
                "seconds": self.expected_seconds,
                "sample_size": self.sample_size,
                "basis": "recent_licences" if self.sample_size else "no_history",
            },
        }


def time_to_licence(session: Session, category: str, instant: bool) -> tuple[float | None, int]:
    """Median submission → licence over the category's recent licences on the same path."""
    rows = session.exec(
        select(Application.submitted_at, Licence.issued_at)
        .join(Licence, col(Licence.application_id) == col(Application.id))
        .where(
            Application.category == category,
            col(Application.submitted_at).is_not(None),
            (col(Application.accepted_by) == "system")
            if instant
            else (col(Application.accepted_by) != "system"),
        )
        .order_by(col(Licence.issued_at).desc())
        .limit(_SAMPLE)
    ).all()
    durations = [
        (issued - submitted).total_seconds()
        for submitted, issued in rows
        if submitted is not None and issued >= submitted
    ]
    return (statistics.median(durations) if durations else None), len(durations)


def preflight(
    session: Session, principal: Principal, application_id: str, region_code: str
) -> Preflight:
    application = applications.get_application(session, principal, application_id)
    if Status(application.status) not in EDITABLE_STATUSES:
        raise NotEditable(
            f"the application is {application.status}: pre-flight is for drafts and returned ones"
        )
    payload, report, unattested, _own = applications.submission_findings(
        session, application, region_code
    )
    errors = [*report.errors, *unattested]
    blockers = instant_ineligibility(payload, report)
    category = catalogue.approval_category(list(payload.company.business_scope))
    # The path once the problems are fixed (they are listed beside it): what the case is
    # decides it, not a typo; unattested people are the bank's face check, which follows.
    instant = not [b for b in blockers if b != "automatic checks failed"]
    expected, sample = time_to_licence(session, category, instant)
    session.rollback()  # read only: nothing held, nothing written
    return Preflight(
        ready=not errors,
        path="instant" if instant else "manual",
        category=category,
        problems=[{"field": e.field, "code": e.code, "message": e.message} for e in errors],
        needs_human_because=[b for b in blockers if b != "automatic checks failed"],
        expected_seconds=expected,
        sample_size=sample,
    )
