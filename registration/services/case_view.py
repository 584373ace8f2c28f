"""What the investor sees on /track and GET /api/v1/track: the timeline of their case, what to
fix (itemised, in their language), the expected time to a decision, the notices and the licence.

Assembled from the event log and the tables beside it; never personal data beyond the company
name the investor already knows (no ID numbers, no actors' names: officers appear as a role)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlmodel import Session, col, select

from registration.db import utcnow
from registration.domain import investor_texts, return_reasons
from registration.models import Application, ApplicationEvent, Licence, Notice
from registration.services import licences, notices, tracking

# Statuses waiting on the authority (an expected time applies) and on the investor.
_WAITING_FOR_DECISION: Final = frozenset({"submitted", "accepted"})
_WAITING_ON_APPLICANT: Final = frozenset({"draft", "returned"})
_DECIDED: Final = frozenset({"approved", "rejected", "returned"})
_SAMPLE: Final = 50  # recent decisions of the category the estimate is drawn from


@dataclass(frozen=True)
class Step:
    at: datetime
    status: str
    status_text: str
    by: str  # "system", "authority" or "applicant": never a person's name


@dataclass(frozen=True)
class ToFix:
    field: str
    code: str | None
    guidance: str
    note: str


@dataclass(frozen=True)
class NoticeLink:
    id: str
    kind: str
    title: str
    number: str
    created_at: datetime
    signed: bool


@dataclass(frozen=True)
class Estimate:
    seconds: float | None
    sample_size: int
    basis: str  # "recent_decisions" | "no_history" | "decided" | "waiting_for_applicant"


@dataclass(frozen=True)
class CaseView:
    reference: str
    company_name_zh: str
    status: str
    status_text: str
    language: str
    timeline: list[Step]
    to_fix: list[ToFix]
    estimate: Estimate
    notices: list[NoticeLink]
    licence: Licence | None

    def to_json(self) -> dict[str, Any]:
        licence = self.licence
        return {
            "reference": self.reference,
            "company_name_zh": self.company_name_zh,
            "status": self.status,
            "status_text": self.status_text,
            "language": self.language,
            "timeline": [
                {"at": s.at.isoformat(), "status": s.status, "text": s.status_text, "by": s.by}
                for s in self.timeline
            ],
            "to_fix": [
                {"field": f.field, "code": f.code, "guidance": f.guidance, "note": f.note}
                for f in self.to_fix
            ],
            "expected_decision": {
                "seconds": self.estimate.seconds,
                "sample_size": self.estimate.sample_size,
                "basis": self.estimate.basis,
            },
            "notices": [
                {
                    "id": n.id,
                    "kind": n.kind,
                    "title": n.title,
                    "number": n.number,
                    "created_at": n.created_at.isoformat(),
                    "signed": n.signed,
                }
                for n in self.notices
            ],
            "licence": None
            if licence is None
            else {"uscc": licence.uscc, "version": licence.version, "status": licence.status},
        }


def _by(role: str) -> str:
    if role == "system":
        return "system"
    return "applicant" if role in ("applicant", "terminal") else "authority"


def _to_fix(event: ApplicationEvent | None, language: str) -> list[ToFix]:
    if event is None or event.to_status not in ("returned", "rejected"):
        return []
    items = []
    for reason in event.reasons:
        catalogued, note = return_reasons.split(reason)
        items.append(
            ToFix(
                field=str(reason.get("field") or ""),
                code=catalogued.code if catalogued else None,
                guidance=catalogued.text(language) if catalogued else "",
                note=note,
            )
        )
    return items


def estimate(session: Session, application: Application, now: datetime) -> Estimate:
    """Median time from submission to the authority's decision over the category's recent
    decisions (approve, reject or return), excluding this application."""
    if application.status in _WAITING_ON_APPLICANT:
        return Estimate(None, 0, "waiting_for_applicant")
    if application.status not in _WAITING_FOR_DECISION:
        return Estimate(None, 0, "decided")
    decisions = session.exec(
        select(ApplicationEvent, Application.submitted_at)
        .join(Application, col(Application.id) == col(ApplicationEvent.application_id))
        .where(
            col(ApplicationEvent.to_status).in_(tuple(_DECIDED)),
            col(ApplicationEvent.from_status) != "approved",
            Application.category == application.category,
            Application.id != application.id,
            col(Application.submitted_at).is_not(None),
        )
        .order_by(col(ApplicationEvent.at).desc())
        .limit(_SAMPLE)
    ).all()
    durations = [
        (event.at - submitted).total_seconds()
        for event, submitted in decisions
        if submitted is not None and event.at >= submitted
    ]
    if not durations:
        return Estimate(None, 0, "no_history")
    median = statistics.median(durations)
    # Already waited: what remains of the typical wait, never below zero.
    waited = (now - application.submitted_at).total_seconds() if application.submitted_at else 0
    return Estimate(max(0.0, median - waited), len(durations), "recent_decisions")


def view(session: Session, application: Application, language: str | None = None) -> CaseView:
    lang = investor_texts.language_of(language or application.language)
    events = list(
        session.exec(
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id == application.id)
            .order_by(col(ApplicationEvent.seq))
        )
    )
    timeline = [
        Step(e.at, e.to_status, investor_texts.text(f"status.{e.to_status}", lang), _by(e.role))
        for e in events
        if e.from_status != e.to_status or e.seq == 1
    ]
    latest_decision = next(
        (e for e in reversed(events) if e.to_status in ("returned", "rejected")), None
    )
    current = events[-1] if events else None
    rows: list[Notice] = notices.for_application(session, application.id)
    return CaseView(
        reference=tracking.display_reference(application.tracking_reference or ""),
        company_name_zh=application.company_name_zh,
        status=application.status,
        status_text=investor_texts.text(f"status.{application.status}", lang),
        language=lang,
        timeline=timeline,
        to_fix=_to_fix(
            latest_decision if current is latest_decision else None,
            lang,
        ),
        estimate=estimate(session, application, utcnow()),
        notices=[
            NoticeLink(
                n.id,
                n.kind,
                investor_texts.text(f"notice.{n.kind}", lang),
                n.number,
                n.created_at,
                n.pdf is not None,
            )
            for n in rows
        ],
        licence=licences.for_application(session, application.id),
    )
