"""Archive renewal of stored licences and notices (PAdES B-LTA), the worker's job.

A stored document's newest timestamp is evidence until its authority's chain expires
(`signing.archive.archive_state`, cached in `archive_expires_at`). Within the margin
(`archive_renewal_margin_days`) the job adds the validation data current now and a document
timestamp (`signing.archive.renew`); the renewed bytes become the stored file, the replaced
file's hash stays recognised (`archive_renewal` rows), and the renewal is a leaf of the
transparency log (by construction: `ArchiveRenewal` is a logged table), in one transaction.

Several workers may run it at once: the stored file is replaced by a conditional UPDATE on the
hash it had when read, so a document renewed meanwhile by another worker is left alone (the
loser's transaction rolls back, its timestamp unused), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from registration.db import utcnow
from registration.issuance.authority import LicenceAuthority
from registration.models import ArchiveRenewal, Licence, Notice
from signing.archive import NotRenewable, archive_state, renew

log = logging.getLogger("bizreg.archive")

Clock = Callable[[], datetime]
_BATCH = 200


@dataclass
class ArchiveStatus:
    due_licences: int
    due_notices: int
    unexamined: int  # stored files whose expiry was not read yet
    oldest_expiry: datetime | None  # the earliest last-timestamp expiry of any stored file
    expired: int  # already past it: those can no longer be renewed


@dataclass
class RenewalReport:
    renewed: list[str] = field(default_factory=list)  # "licence:<id>" / "notice:<id>"
    due: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    rolled_over: list[str] = field(default_factory=list)


def _models() -> tuple[tuple[str, Any], ...]:
    return (("licence", Licence), ("notice", Notice))


def examine(engine: Engine, limit: int = 10_000) -> int:
    """Read and record when each stored file's newest timestamp expires, where not known yet
    (files issued since the last pass). Returns how many were examined."""
    examined = 0
    for _, model in _models():
        while examined < limit:
            with Session(engine) as session:
                rows = session.exec(
                    select(model)
                    .where(
                        col(model.archive_expires_at).is_(None),
                        col(model.sha256).is_not(None),
                    )
                    .limit(_BATCH)
                ).all()
                if not rows:
                    break
                for row in rows:
                    try:
                        row.archive_expires_at = archive_state(row.pdf).expires_at
                    except (NotRenewable, ValueError) as error:
                        log.warning("%s %s has no renewable timestamp: %s", model, row.id, error)
                        # Far future: never due, never examined again.
                        row.archive_expires_at = datetime.max.replace(tzinfo=utcnow().tzinfo)
                    session.add(row)
                    examined += 1
                session.commit()
    return examined


def status(engine: Engine, margin: timedelta, now: datetime | None = None) -> ArchiveStatus:
    now = now or utcnow()
    with Session(engine) as session:
        due: dict[str, int] = {}
        oldest: datetime | None = None
        unexamined = expired = 0
        for name, model in _models():
            stored = col(model.sha256).is_not(None)
            expires = col(model.archive_expires_at)
            due[name] = session.exec(
                select(func.count())
                .select_from(model)
                .where(stored, expires > now, expires <= now + margin)
            ).one()
            expired += session.exec(
                select(func.count()).select_from(model).where(stored, expires <= now)
            ).one()
            unexamined += session.exec(
                select(func.count()).select_from(model).where(stored, expires.is_(None))
            ).one()
            first = session.exec(select(func.min(expires)).where(stored)).one()
            if first is not None and (oldest is None or first < oldest):
                oldest = first
    return ArchiveStatus(due["licence"], due["notice"], unexamined, oldest, expired)


def renew_due(
    engine: Engine,
    authority: LicenceAuthority,
    margin: timedelta,
    *,
    clock: Clock = utcnow,
    dry_run: bool = False,
    limit: int = 1000,
) -> RenewalReport:
    """Renew every stored document whose newest timestamp expires within `margin` (and has
    not expired: a renewal after the expiry proves nothing, the verifier says so)."""
    report = RenewalReport()
    if not dry_run:
        report.rolled_over = authority.roll_over(margin)
    examine(engine)
    now = clock()
    for name, model in _models():
        with Session(engine) as session:
            expires = col(model.archive_expires_at)
            ids = session.exec(
                select(model.id)
                .where(expires > now, expires <= now + margin)
                .order_by(expires)
                .limit(limit)
            ).all()
        for document_id in ids:
            ref = f"{name}:{document_id}"
            report.due.append(ref)
            if dry_run:
                continue
            try:
                if _renew_one(engine, authority, name, model, document_id, clock):
                    report.renewed.append(ref)
            except Exception:
                log.exception("archive renewal of %s failed; retried at the next pass", ref)
                report.failed.append(ref)
    return report


def _renew_one(
    engine: Engine,
    authority: LicenceAuthority,
    name: str,
    model: Any,
    document_id: str,
    clock: Clock,
) -> bool:
    with Session(engine) as session:
        row = session.get(model, document_id)
        if row is None or row.pdf is None or row.sha256 is None:
            return False
        old_pdf: bytes = row.pdf
        old_sha256: str = row.sha256
        before = archive_state(old_pdf)
        pdf = renew(
            old_pdf,
            authority.archive_timestamper(clock),
            certificates=_hierarchy_certificates(authority),
            crls=authority.pki.crls_der(),
        )
        after = archive_state(pdf)
        sha256 = hashlib.sha256(pdf).hexdigest()
        values: dict[str, Any] = {
            "pdf": pdf,
            "sha256": sha256,
            "size": len(pdf),
            "archive_expires_at": after.expires_at,
        }
        if model is Licence:
            values["issued_sha256"] = func.coalesce(col(Licence.issued_sha256), old_sha256)
            values["issued_size"] = func.coalesce(col(Licence.issued_size), len(old_pdf))
        replaced = session.execute(
            update(model)
            .where(col(model.id) == document_id, col(model.sha256) == old_sha256)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if replaced.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()  # renewed meanwhile by another worker
            return False
        seq = session.exec(
            select(func.count())
            .select_from(ArchiveRenewal)
            .where(ArchiveRenewal.document == name, ArchiveRenewal.document_id == document_id)
        ).one()
        session.add(
            ArchiveRenewal(
                document=name,
                document_id=document_id,
                seq=seq + 1,
                previous_sha256=old_sha256,
                previous_size=len(old_pdf),
                previous_expires_at=before.expires_at,
                sha256=sha256,
                size=len(pdf),
                timestamp_at=after.last_timestamp_at,
                expires_at=after.expires_at,
                renewed_at=clock(),
            )
        )
        session.commit()
    log.info("renewed %s %s: evidence until %s", name, document_id, after.expires_at)
    return True


def _hierarchy_certificates(authority: LicenceAuthority) -> Sequence[Any]:
    """Every certificate of the hierarchy (a few, even after decades of rollovers): the
    earlier timestamps' and the signature's chains, and the new timestamp's."""
    pki = authority.pki
    return [
        pki.root_certificate,
        pki.issuing_certificate,
        pki.tsa_certificate,
        *pki.retired_issuing_certificates,
        *pki.retired_tsa_certificates,
        *pki.signer_certificates,
        # After a root rollover: the earlier roots, and the new root's certificate of each
        # (a relying party trusting only the new root reaches the old chains through it).
        *pki.retired_root_certificates,
        *pki.cross_certificates,
    ]


def earlier_forms(session: Session, document: str, document_id: str) -> list[tuple[str, int]]:
    """The (sha256, size) of every earlier form of a stored document, oldest first."""
    return [
        (r.previous_sha256, r.previous_size)
        for r in session.exec(
            select(ArchiveRenewal)
            .where(ArchiveRenewal.document == document, ArchiveRenewal.document_id == document_id)
            .order_by(col(ArchiveRenewal.seq))
        )
    ]
