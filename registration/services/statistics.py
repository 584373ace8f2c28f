"""Service statistics against the seed's targets, computed from the event log (not counters):
per channel and overall, returns by reason, and the open queues per category."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from registration.domain.statistics import TARGETS, Figures, History, Step, add, percentile
from registration.domain.workflow import OFFICER_ROLES, Role
from registration.errors import RoleNotPermitted
from registration.models import Application, ApplicationEvent, IdentityAttestation
from registration.principal import Principal

READERS = frozenset({Role.REGISTRAR_ADMIN, Role.AUDITOR})
OPEN = ("submitted", "accepted", "approved")


@dataclass(frozen=True)
class Queue:
    category: str
    open: int
    oldest_hours: float | None
    median_age_hours: float | None
    decided_in_period: int


@dataclass(frozen=True)
class Report:
    start: datetime
    end: datetime
    channel: str | None
    overall: Figures
    channels: dict[str, Figures]
    queues: list[Queue]


def require_reader(principal: Principal) -> None:
    if principal.role not in READERS or principal.role not in OFFICER_ROLES:
        raise RoleNotPermitted("statistics are for the registrar and the auditor")


def histories(
    session: Session, start: datetime, end: datetime, channel: str | None
) -> list[History]:
    """The histories of applications first submitted in [start, end)."""
    first_submit = (
        select(ApplicationEvent.application_id, func.min(ApplicationEvent.at).label("at"))
        .where(ApplicationEvent.action == "submit")
        .group_by(col(ApplicationEvent.application_id))
        .subquery()
    )
    statement = (
        select(Application)
        .join(first_submit, first_submit.c.application_id == Application.id)
        .where(first_submit.c.at >= start, first_submit.c.at < end)
    )
    if channel:
        statement = statement.where(Application.channel == channel)
    applications = {x.id: x for x in session.exec(statement)}
    if not applications:
        return []
    ids = list(applications)
    steps: dict[str, list[Step]] = defaultdict(list)
    attested: set[str] = set()
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        events = session.exec(
            select(ApplicationEvent)
            .where(col(ApplicationEvent.application_id).in_(part))
            .order_by(col(ApplicationEvent.application_id), col(ApplicationEvent.seq))
        )
        for event in events:
            fields = tuple(str(r.get("field", "")) for r in event.reasons or [])
            steps[event.application_id].append(Step(event.action, event.actor, event.at, fields))
        attested |= set(
            session.exec(
                select(IdentityAttestation.application_id).where(
                    col(IdentityAttestation.application_id).in_(part)
                )
            )
        )
    return [
        History(x.id, x.channel, x.category, x.id in attested, tuple(steps[x.id]))
        for x in applications.values()
    ]


def compute(
    session: Session, start: datetime, end: datetime, channel: str | None, now: datetime
) -> Report:
    overall = Figures()
    channels: dict[str, Figures] = {}
    decided_by_category: dict[str, int] = defaultdict(int)
    for history in histories(session, start, end, channel):
        add(overall, history)
        add(channels.setdefault(history.channel, Figures()), history)
        if any(x.action in ("approve", "reject") for x in history.steps):
            decided_by_category[history.category or "standard"] += 1
    return Report(
        start,
        end,
        channel,
        overall,
        dict(sorted(channels.items())),
        queues(session, channel, now, decided_by_category),
    )


def queues(
    session: Session, channel: str | None, now: datetime, decided: dict[str, int]
) -> list[Queue]:
    """Open applications per category now: how many, how long the oldest has waited."""
    statement = select(Application.category, Application.submitted_at).where(
        col(Application.status).in_(OPEN)
    )
    if channel:
        statement = statement.where(Application.channel == channel)
    ages: dict[str, list[float]] = defaultdict(list)
    for category, submitted_at in session.exec(statement):
        if submitted_at is not None:
            ages[category or "standard"].append((now - submitted_at).total_seconds() / 3600)
    names = sorted(set(ages) | set(decided))
    return [
        Queue(
            name,
            len(ages.get(name, [])),
            max(ages[name]) if ages.get(name) else None,
            percentile(ages.get(name, []), 0.5),
            decided.get(name, 0),
        )
        for name in names
    ]


def figures_json(figures: Figures) -> dict[str, Any]:
    return {
        "applications": figures.applications,
        "decided": figures.decided,
        "approved": figures.approved,
        "decided_instantly": {
            "count": figures.instant,
            "share": figures.instant_share,
            "target": TARGETS["instant"],
        },
        "approved_without_return": {
            "count": figures.approved_no_return,
            "share": figures.no_return_share,
            "target": TARGETS["no_return"],
        },
        "without_visit": {
            "count": figures.no_visit,
            "share": figures.no_visit_share,
            "target": TARGETS["no_visit"],
        },
        "submission_to_licence_seconds": {
            "issued": len(figures.issued_seconds),
            "median": figures.median_seconds,
            "p95": figures.p95_seconds,
        },
        "returns_by_reason": dict(sorted(figures.returns_by_reason.items())),
    }


def report_json(report: Report) -> dict[str, Any]:
    return {
        "from": report.start.isoformat(),
        "to": report.end.isoformat(),
        "channel": report.channel,
        "overall": figures_json(report.overall),
        "channels": {name: figures_json(x) for name, x in report.channels.items()},
        "queues": [q.__dict__ for q in report.queues],
    }


def report_csv(report: Report) -> str:
    """One row per (scope, measure): scope is "overall" or a channel."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["scope", "measure", "count", "of", "value", "target"])
    scopes = [("overall", report.overall), *report.channels.items()]
    for scope, x in scopes:
        writer.writerow(
            [
                scope,
                "decided_instantly",
                x.instant,
                x.decided,
                _num(x.instant_share),
                TARGETS["instant"],
            ]
        )
        writer.writerow(
            [
                scope,
                "approved_without_return",
                x.approved_no_return,
                x.approved,
                _num(x.no_return_share),
                TARGETS["no_return"],
            ]
        )
        writer.writerow(
            [
                scope,
                "without_visit",
                x.no_visit,
                x.decided,
                _num(x.no_visit_share),
                TARGETS["no_visit"],
            ]
        )
        writer.writerow(
            [
                scope,
                "median_submission_to_licence_seconds",
                len(x.issued_seconds),
                "",
                _num(x.median_seconds),
                "",
            ]
        )
        writer.writerow(
            [
                scope,
                "p95_submission_to_licence_seconds",
                len(x.issued_seconds),
                "",
                _num(x.p95_seconds),
                "",
            ]
        )
        for reason, count in sorted(x.returns_by_reason.items()):
            writer.writerow([scope, f"returns:{reason}", count, "", "", ""])
    for q in report.queues:
        writer.writerow([f"queue:{q.category}", "open", q.open, "", _num(q.oldest_hours), ""])
        writer.writerow(
            [f"queue:{q.category}", "decided_in_period", q.decided_in_period, "", "", ""]
        )
    return out.getvalue()


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"
