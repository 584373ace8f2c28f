"""What operators watch, read from the database at the moment they ask: the issuance queue,
the webhook backlog, how long recent licences took, and whether this process is ready to serve.

Computed from the tables (not counters in process memory), so every API process answers alike
and nothing is lost when a process restarts.
"""

from __future__ import annotations

import functools
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, text
from sqlmodel import Session, col, select

from registration.db import alembic_config
from registration.domain.job_lifecycle import JobStatus
from registration.domain.webhook_lifecycle import WebhookStatus
from registration.models import IssuanceJob, WebhookOutbox

RECENT = timedelta(minutes=15)


@dataclass(frozen=True)
class Backlog:
    issuance_pending: int
    issuance_oldest_age_seconds: float
    webhooks_pending: int
    webhooks_oldest_age_seconds: float
    # Approval → licence signed, over the jobs finished in the last RECENT.
    issuance_latency_p50_seconds: float | None
    issuance_latency_p95_seconds: float | None
    issued_recently: int


def backlog(session: Session, now: datetime) -> Backlog:
    pending_jobs = select(func.count(), func.min(IssuanceJob.created_at)).where(
        IssuanceJob.status == JobStatus.PENDING
    )
    jobs, oldest_job = session.exec(pending_jobs).one()
    pending_hooks = select(func.count(), func.min(WebhookOutbox.created_at)).where(
        WebhookOutbox.status == WebhookStatus.PENDING
    )
    hooks, oldest_hook = session.exec(pending_hooks).one()
    done = session.exec(
        select(IssuanceJob.created_at, IssuanceJob.done_at).where(
            IssuanceJob.status == JobStatus.DONE, col(IssuanceJob.done_at) >= now - RECENT
        )
    ).all()
    latencies = sorted(
        (finished - created).total_seconds() for created, finished in done if finished
    )
    p50 = statistics.median(latencies) if latencies else None
    p95 = (
        statistics.quantiles(latencies, n=20, method="inclusive")[-1]
        if len(latencies) >= 2
        else (latencies[0] if latencies else None)
    )
    return Backlog(
        issuance_pending=int(jobs),
        issuance_oldest_age_seconds=_age(oldest_job, now),
        webhooks_pending=int(hooks),
        webhooks_oldest_age_seconds=_age(oldest_hook, now),
        issuance_latency_p50_seconds=p50,
        issuance_latency_p95_seconds=p95,
        issued_recently=len(latencies),
    )


def _age(since: datetime | None, now: datetime) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0


@functools.cache
def _code_heads(engine: Engine) -> frozenset[str]:
    """The migrations this code ships (fixed for the life of the process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def _code_revisions(engine: Engine) -> frozenset[str]:
    script = ScriptDirectory.from_config(alembic_config(engine))
    return frozenset(revision.revision for revision in script.walk_revisions())


def readiness(engine: Engine) -> dict[str, str]:
    """Whether the database answers and its schema is this code's (migrations at head): a
        process that is alive but not ready must not be sent traffic. Values: "ok" (or "ok: …",
    ready with a remark) or the fault."""
    checks: dict[str, str] = {}
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as error:  # any fault here means "not ready", named in the answer
        checks["database"] = f"unreachable: {type(error).__name__}"
        checks["migrations"] = "unknown"
        return checks
    checks["database"] = "ok"
    heads = _code_heads(engine)
    if current == heads:
        checks["migrations"] = "ok"
    elif current and not current & _code_revisions(engine):
        # A revision this code does not know: a newer release ran `bizreg db upgrade` before
        # its rolling restart. Migrations are additive, so this code still works on it and
        # must keep serving until it is replaced.
        checks["migrations"] = f"ok: database ahead at {sorted(current)}"
    else:
        checks["migrations"] = f"at {sorted(current)}, code expects {sorted(heads)}"
    return checks
