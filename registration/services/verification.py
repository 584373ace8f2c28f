"""Verifying licences for the API, the web page and the CLI: the registry side.

The verification itself is `verification.LicenceVerifier` (library); this module answers its
registry callback from the `licence` table and builds the verifier the service uses: trust in
the authority's root, current CRLs from the PKI (so a revocation shows at once, not only when
the embedded CRLs would have lapsed).
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from registration.db import create_db_engine
from registration.issuance.authority import LicenceAuthority
from registration.models import Licence, Notice
from registration.services import archive, audit, checkpoints
from registration.settings import Settings
from signing.verification import MAX_DOCUMENT_BYTES
from verification import (
    LicenceVerifier,
    NoticeRecord,
    NoticeRegistry,
    Registry,
    RegistryRecord,
)


def registry_record(
    session: Session, uscc: str, version: int, settings: Settings | None = None
) -> RegistryRecord | None:
    """The registry's record of licence `uscc` version `version`, or None if never issued.
    With `settings`, the record is checked against the transparency log first
    (`log_problem`: why the row cannot be trusted)."""
    rows = session.exec(
        select(Licence)
        .where(Licence.uscc == uscc.upper())
        .order_by(col(Licence.version))
        .options(defer(Licence.pdf))  # type: ignore[arg-type]  # the PDF is not needed here
    ).all()
    if not rows:
        return None
    latest = rows[-1].version
    for row in rows:
        if row.version == version:
            log_problem = None
            if settings is not None:
                bind = session.get_bind()
                cache = checkpoints.tree_cache(
                    bind.engine if isinstance(bind, Connection) else bind
                )
                log_problem = audit.licence_log_problem(
                    session, row, partial(cache.current, session), settings
                )
            return RegistryRecord(
                uscc=uscc.upper(),
                version=row.version,
                status=row.status,
                sha256=row.sha256,
                size=row.size,
                issued_at=row.issued_at,
                status_reason=row.status_reason,
                status_changed_at=row.status_changed_at,
                latest_version=latest,
                company_name_zh=row.company_name_zh,
                log_problem=log_problem,
                earlier_forms=tuple(archive.earlier_forms(session, "licence", row.id)),
            )
    return None


def notice_record(session: Session, number: str) -> NoticeRecord | None:
    """The registry's record of a signed notice, or None."""
    row = session.exec(
        select(Notice)
        .where(Notice.number == number[:32], col(Notice.sha256).is_not(None))
        .options(defer(Notice.pdf))  # type: ignore[arg-type]
    ).first()
    if row is None or row.sha256 is None:
        return None
    status = str(row.statement.get("application", {}).get("status", ""))
    earlier = tuple(sha for sha, _ in archive.earlier_forms(session, "notice", row.id))
    return NoticeRecord(row.number, row.kind, row.sha256, status, earlier)


def session_notices(session: Session) -> NoticeRegistry:
    return partial(notice_record, session)


def session_registry(session: Session, settings: Settings | None = None) -> Registry:
    """A registry callback answering from `session` (one request's)."""

    def lookup(uscc: str, version: int) -> RegistryRecord | None:
        return registry_record(session, uscc, version, settings)

    return lookup


class DatabaseRegistry:
    """A picklable registry factory for `bizreg verify`'s worker processes: each process opens
    its own engine."""

    def __init__(self, database_url: str, settings: Settings | None = None) -> None:
        self.database_url = database_url
        self.settings = settings

    def __call__(self) -> Registry:
        engine = create_db_engine(self.database_url)
        return engine_registry(engine, self.settings)


class _EngineRegistry:
    """Licences by (uscc, version) when called; notices by number with `.notice`."""

    def __init__(self, engine: Engine, settings: Settings | None) -> None:
        self.engine = engine
        self.settings = settings

    def __call__(self, uscc: str, version: int) -> RegistryRecord | None:
        with Session(self.engine) as session:
            return registry_record(session, uscc, version, self.settings)

    def notice(self, number: str) -> NoticeRecord | None:
        with Session(self.engine) as session:
            return notice_record(session, number)


def engine_registry(engine: Engine, settings: Settings | None = None) -> Registry:
    return _EngineRegistry(engine, settings)


def service_verifier(authority: LicenceAuthority, max_bytes: int) -> LicenceVerifier:
    """The service's verifier: the authority's roots (the current one, and earlier ones
    after a root rollover) as the only trust anchors, and its current CRLs (re-read for every
    verification; the files are small and parsed CRLs are cached)."""
    return LicenceVerifier(
        authority.pki.trust_roots,
        crls=authority.pki.crls_der,
        max_bytes=min(max_bytes, MAX_DOCUMENT_BYTES),
    )
