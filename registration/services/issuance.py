"""The issuance use case: claim a job, issue its licence, all in one transaction.

Exactly once: the job, the USCC allocation, the licence row (unique per application), the
application's step to `issued` (a conditional UPDATE on its revision) and the name's
registration commit together or not at all. A worker that dies mid-way leaves the job pending
for the next claim; two workers that race for one job cannot both commit (SKIP LOCKED on
PostgreSQL keeps them apart; the unique constraints settle it everywhere).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from registration.clock import china_today
from registration.db import utcnow
from registration.domain import job_lifecycle
from registration.domain.application import ApplicationPayload
from registration.domain.deregistration import FEED_LICENCE_AMENDED, FEED_LICENCE_ISSUED
from registration.domain.job_lifecycle import JobStatus
from registration.domain.licence_lifecycle import LicenceStatus
from registration.domain.register import search_key
from registration.domain.workflow import Action, Status
from registration.issuance.authority import LicenceAuthority
from registration.issuance.content import authority_text, licence_content
from registration.models import Application, IssuanceJob, Licence
from registration.services import applications, feed, licences, names
from registration.services.licences import licence_facts
from registration.services.uscc import allocate_uscc

log = logging.getLogger("bizreg.issuance")
MAX_RETRY_SECONDS = 600
LEASE = timedelta(seconds=60)
FIRST_VERSION = 1


def claim_next(session: Session) -> IssuanceJob | None:
    """The next due job, held by this worker until its transaction ends.

    PostgreSQL: the row stays locked (`FOR UPDATE SKIP LOCKED`), other workers skip it.
    SQLite has no row locks: the job is leased instead (its `not_before` is pushed past the
    lease and committed at once, a conditional UPDATE only one worker wins), so workers in
    several processes sign in parallel and never pick the same job; a worker that dies leaves
    the job to be retried when the lease runs out.
    """
    due = (
        select(IssuanceJob)
        .where(IssuanceJob.status == JobStatus.PENDING, col(IssuanceJob.not_before) <= utcnow())
        .order_by(col(IssuanceJob.created_at))
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        return session.exec(due.with_for_update(skip_locked=True)).first()
    for _ in range(10):
        job = session.exec(due).first()
        if job is None:
            return None
        leased = session.execute(
            update(IssuanceJob)
            .where(
                col(IssuanceJob.application_id) == job.application_id,
                col(IssuanceJob.status) == JobStatus.PENDING,
                col(IssuanceJob.not_before) == job.not_before,
            )
            .values(not_before=utcnow() + LEASE)
        )
        session.commit()
        if leased.rowcount == 1:  # type: ignore[attr-defined]
            session.refresh(job)
            return job
    return None


def issue(session: Session, job: IssuanceJob, authority: LicenceAuthority) -> Licence:
    """Issue the licence of `job`'s application inside the caller's transaction (not committed)."""
    application = session.get(Application, job.application_id)
    if application is None:
        raise LookupError(f"issuance job for missing application {job.application_id}")
    payload = ApplicationPayload.model_validate(application.payload)
    today = china_today()
    now = utcnow()
    if application.amends_uscc is not None:
        # An amendment: the same company, the next version of its licence.
        uscc = application.amends_uscc
        version = licences.latest_version(session, uscc) + 1
        replaced = licences.supersede(session, uscc, version, now)
    else:
        uscc = allocate_uscc(session, authority.settings.region_code, application.id)
        version, replaced = FIRST_VERSION, []
    content = licence_content(
        payload,
        uscc=uscc,
        version=version,
        established=today,
        issued=today,
        authority=authority_text(authority.settings),
    )
    pdf = authority.issue_pdf(content)
    licence = Licence(
        id=str(uuid.uuid4()),
        uscc=uscc,
        version=version,
        application_id=application.id,
        client_id=application.client_id,
        company_name_zh=payload.company.name.zh,
        search_key=search_key(
            payload.company.name.zh, payload.company.name.en, payload.company.name.fr
        ),
        status=LicenceStatus.ACTIVE,
        issued_at=now,
        sha256=hashlib.sha256(pdf).hexdigest(),
        signer_certificate_sha256=authority.signer_certificate_sha256,
        size=len(pdf),
        pdf=pdf,
    )
    session.add(licence)
    applications.record_system_step(session, application, Action.ISSUE, Status.ISSUED)
    names.register_for_application(session, application.id, replaces=replaced)
    job.status = job_lifecycle.guard(job.status, JobStatus.DONE)
    job.done_at, job.attempts = now, job.attempts + 1
    session.add(job)
    feed.publish(
        session,
        FEED_LICENCE_AMENDED if version > FIRST_VERSION else FEED_LICENCE_ISSUED,
        uscc,
        licence_facts(licence),
        now,
    )
    return licence


def run_once(
    engine: Engine,
    authority: LicenceAuthority,
    *,
    before_commit: Callable[[], None] | None = None,
) -> str | None:
    """Claim and complete one pending job; returns its application id, or None if idle.

    `before_commit` lets tests crash the worker at the worst moment.
    """
    with Session(engine, expire_on_commit=False) as session:
        job = claim_next(session)
        if job is None:
            return None
        application_id = job.application_id
        try:
            issue(session, job, authority)
            if before_commit is not None:
                before_commit()
            session.commit()
            log.info("issued licence for application %s", application_id)
        except Exception as error:
            session.rollback()
            _record_failure(engine, application_id, error)
            raise
        except BaseException:
            # Interrupted (KeyboardInterrupt, SystemExit): nothing was issued; give the job
            # back at once rather than leave it leased for `LEASE` on SQLite.
            session.rollback()
            _release(engine, job)
            raise
        return application_id


def _release(engine: Engine, job: IssuanceJob) -> None:
    """Undo `claim_next`'s SQLite lease of `job` (a no-op on PostgreSQL, whose row lock ended
    with the transaction), unless another worker has taken it since."""
    if engine.dialect.name == "postgresql":
        return
    with Session(engine) as session:
        session.execute(
            update(IssuanceJob)
            .where(
                col(IssuanceJob.application_id) == job.application_id,
                col(IssuanceJob.status) == JobStatus.PENDING,
                col(IssuanceJob.not_before) == job.not_before,
            )
            .values(not_before=utcnow())
        )
        session.commit()


def _record_failure(engine: Engine, application_id: str, error: Exception) -> None:
    with Session(engine) as session:
        job = session.get(IssuanceJob, application_id)
        if job is None or job.status is not JobStatus.PENDING:
            return
        job.attempts += 1
        job.last_error = f"{type(error).__name__}: {error}"[:2000]
        # Never given up: an approved application must get its licence once the cause (a TSA or
        # HSM outage, say) is gone. Back off so a broken job does not starve the queue; the
        # registrar sees retried jobs at GET /api/v1/admin/issuance-jobs.
        delay = min(2**job.attempts, MAX_RETRY_SECONDS)
        job.not_before = utcnow() + timedelta(seconds=delay)
        session.add(job)
        session.commit()


def troubled_jobs(session: Session, limit: int = 100) -> list[IssuanceJob]:
    """Pending jobs that failed at least once, oldest first: what an operator must look at."""
    statement = (
        select(IssuanceJob)
        .where(IssuanceJob.status == JobStatus.PENDING, col(IssuanceJob.attempts) > 0)
        .order_by(col(IssuanceJob.created_at))
        .limit(limit)
    )
    return list(session.exec(statement))
