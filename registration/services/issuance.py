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
from datetime import datetime, timedelta
from typing import NamedTuple

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


class Claim(NamedTuple):
    """A job this worker holds: on SQLite, its lease is the `not_before` `claim_due` set."""

    application_id: str
    not_before: datetime


def claim_next(session: Session) -> IssuanceJob | None:
    """The next due job, held by this worker until its transaction ends (see `claim_due`)."""
    jobs = claim_due(session, 1)
    return jobs[0] if jobs else None


def claim_due(session: Session, limit: int) -> list[IssuanceJob]:
    """Up to `limit` due jobs, oldest first, held by this worker until its transaction ends.

    PostgreSQL: the rows stay locked (`FOR UPDATE SKIP LOCKED`), other workers skip them.
    SQLite has no row locks: the jobs are leased instead (their `not_before` is pushed past
    the lease and committed at once, one UPDATE that picks and leases them while it holds
    SQLite's write lock), so workers in several processes sign in parallel and never pick the
    same job; a worker that dies leaves its jobs to be retried when the lease runs out.
    """
    now = utcnow()
    due = (
        select(IssuanceJob)
        .where(IssuanceJob.status == JobStatus.PENDING, col(IssuanceJob.not_before) <= now)
        .order_by(col(IssuanceJob.created_at))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        return list(session.exec(due.with_for_update(skip_locked=True)))
    picked = (
        select(IssuanceJob.application_id)
        .where(IssuanceJob.status == JobStatus.PENDING, col(IssuanceJob.not_before) <= now)
        .order_by(col(IssuanceJob.created_at))
        .limit(limit)
        .scalar_subquery()
    )
    leased = list(
        session.execute(
            update(IssuanceJob)
            .where(col(IssuanceJob.application_id).in_(picked))
            .values(not_before=now + LEASE)
            .returning(col(IssuanceJob.application_id))
            .execution_options(synchronize_session=False)
        ).scalars()
    )
    session.commit()
    if not leased:
        return []
    return list(
        session.exec(
            select(IssuanceJob)
            .where(col(IssuanceJob.application_id).in_(leased))
            .order_by(col(IssuanceJob.created_at))
            .execution_options(populate_existing=True)
        )
    )


def issue(session: Session, job: IssuanceJob, authority: LicenceAuthority) -> Licence:
    """Issue the licence of `job`'s application inside the caller's transaction (not committed)."""
    licence = _issue_unpublished(session, job, authority)
    _publish(session, licence)
    return licence


def _issue_unpublished(session: Session, job: IssuanceJob, authority: LicenceAuthority) -> Licence:
    """`issue` without the public feed's event: a batch publishes its licences' events after
    the last is signed, since publishing takes the feed's lock until the commit."""
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
    applications.record_system_step(
        session, application, Action.ISSUE, Status.ISSUED, licence_uscc=uscc
    )
    names.register_for_application(session, application.id, replaces=replaced)
    job.status = job_lifecycle.guard(job.status, JobStatus.DONE)
    job.done_at, job.attempts = now, job.attempts + 1
    session.add(job)
    return licence


def _publish(session: Session, licence: Licence) -> None:
    feed.publish(
        session,
        FEED_LICENCE_AMENDED if licence.version > FIRST_VERSION else FEED_LICENCE_ISSUED,
        licence.uscc,
        licence_facts(licence),
        licence.issued_at,
    )


def run_once(
    engine: Engine,
    authority: LicenceAuthority,
    *,
    before_commit: Callable[[], None] | None = None,
) -> str | None:
    """Claim and complete one pending job; returns its application id, or None if idle.

    `before_commit` lets tests crash the worker at the worst moment.
    """
    issued = run_batch(engine, authority, 1, before_commit=before_commit)
    return issued[0] if issued else None


def run_batch(
    engine: Engine,
    authority: LicenceAuthority,
    limit: int,
    *,
    before_commit: Callable[[], None] | None = None,
) -> list[str]:
    """Claim up to `limit` due jobs and issue their licences in one transaction; returns the
    application ids issued, [] if none was due.

    One transaction for several licences shares its claim, its log append, its notifications
    and its commit, and each table's rows go in one INSERT: on PostgreSQL 45 statements (the
    COMMIT included) for 8 licences, 17 for one (bench_issuance: two workers 94.7/s one at a
    time, 116.7/s in batches of 8).
    The feed's events are published after the last licence is signed: publishing holds the
    feed's lock until the commit, and held across the batch's signing it made workers take
    turns.

    The claim takes only what is due now, so a short queue makes short batches and a single
    approval is issued alone, without waiting for company. If a licence of the batch fails,
    the batch is rolled back and its jobs are issued one per transaction, so the failure is
    recorded against its own job and the others are not held back by it.
    """
    with Session(engine, expire_on_commit=False) as session:
        jobs = claim_due(session, limit)
        if not jobs:
            return []
        # What identifies each claim, read before a rollback expires the objects.
        held = [Claim(job.application_id, job.not_before) for job in jobs]
        ids = [claim.application_id for claim in held]
        try:
            # The batch's applications in one query: `_issue_unpublished` then finds each in
            # the session instead of asking the database once a licence (kept referenced: the
            # session's identity map holds them weakly).
            _applications = session.exec(
                select(Application).where(col(Application.id).in_(ids))
            ).all()
            # Flushed once, at the commit (SQLite: at the first feed event): the batch's rows
            # of each table go in one INSERT, not one per licence. So nothing in
            # `_issue_unpublished` may query what it or an earlier licence of the batch wrote
            # (the webhook is handed its licence's code for that reason); two amendments of one
            # licence would collide on (uscc, version) at the flush, and be issued one at a
            # time.
            with session.no_autoflush:
                issued = [_issue_unpublished(session, job, authority) for job in jobs]
            for licence in issued:
                _publish(session, licence)
            if before_commit is not None:
                before_commit()
            session.commit()
        except Exception as error:
            session.rollback()
            if len(held) > 1:
                log.warning("a batch of %d failed (%r); issuing one at a time", len(held), error)
                return _issue_each(engine, authority, held)
            _record_failure(engine, ids[0], error)
            raise
        except BaseException:
            # Interrupted (KeyboardInterrupt, SystemExit): nothing was issued; give the jobs
            # back at once rather than leave them leased for `LEASE` on SQLite.
            session.rollback()
            _release(engine, held)
            raise
    for application_id in ids:
        log.info("issued licence for application %s", application_id)
    return ids


def _issue_each(engine: Engine, authority: LicenceAuthority, held: list[Claim]) -> list[str]:
    """Issue the jobs of a failed batch one per transaction. A job another worker took
    meanwhile is skipped; a job that fails again has its failure recorded (`_record_failure`)
    and the rest go on; the first error is raised at the end, so the worker backs off."""
    issued: list[str] = []
    failure: Exception | None = None
    for claim in held:
        with Session(engine, expire_on_commit=False) as session:
            job = _still_ours(session, claim)
            if job is None:
                continue
            try:
                issue(session, job, authority)
                session.commit()
            except Exception as error:
                session.rollback()
                _record_failure(engine, claim.application_id, error)
                failure = failure or error
                continue
            except BaseException:
                session.rollback()
                _release(engine, [claim])
                raise
        log.info("issued licence for application %s", claim.application_id)
        issued.append(claim.application_id)
    if failure is not None:
        raise failure
    return issued


def _still_ours(session: Session, claim: Claim) -> IssuanceJob | None:
    """`claim`'s job, held again after its batch rolled back, if it is still pending and
    no other worker took it meanwhile: on PostgreSQL it is locked anew (SKIP LOCKED), on
    SQLite our lease is still on it (its `not_before` is the one `claim_due` set)."""
    query = select(IssuanceJob).where(
        IssuanceJob.application_id == claim.application_id,
        IssuanceJob.status == JobStatus.PENDING,
    )
    if session.get_bind().dialect.name == "postgresql":
        return session.exec(query.with_for_update(skip_locked=True)).first()
    return session.exec(query.where(col(IssuanceJob.not_before) == claim.not_before)).first()


def _release(engine: Engine, held: list[Claim]) -> None:
    """Undo `claim_due`'s SQLite lease of `held` jobs (a no-op on PostgreSQL, whose row locks
    ended with the transaction), except for a job another worker has taken since."""
    if engine.dialect.name == "postgresql":
        return
    with Session(engine) as session:
        for claim in held:
            session.execute(
                update(IssuanceJob)
                .where(
                    col(IssuanceJob.application_id) == claim.application_id,
                    col(IssuanceJob.status) == JobStatus.PENDING,
                    col(IssuanceJob.not_before) == claim.not_before,
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
