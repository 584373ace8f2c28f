"""Database tables (SQLModel). Schema changes go through Alembic migrations in `migrations/`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from registration.db import EnumString, UtcDateTime
from registration.domain.job_lifecycle import JobStatus
from registration.domain.licence_lifecycle import LicenceAction, LicenceStatus


def _utc(**kwargs: Any) -> Any:
    return Field(sa_type=UtcDateTime, **kwargs)


class Officer(SQLModel, table=True):
    __tablename__ = "officer"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=32)
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    created_at: datetime = _utc()


class ApiClient(SQLModel, table=True):
    """A registered integrator: a bank terminal, the Hong Kong app gateway, a partner branch."""

    __tablename__ = "api_client"

    client_id: str = Field(primary_key=True, max_length=64)
    channel: str = Field(max_length=20)
    org: str = Field(max_length=200)
    role: str = Field(max_length=32)
    active: bool = True
    created_at: datetime = _utc()
    # Where status-change webhooks go (registration/terminals/webhooks.py); None: no webhooks.
    callback_url: str | None = Field(default=None, max_length=2000)


class AccessToken(SQLModel, table=True):
    """Bearer tokens, stored only as SHA-256 so a database leak does not leak credentials."""

    __tablename__ = "access_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    subject_kind: str = Field(max_length=10)  # "officer" | "client"
    subject_id: str = Field(max_length=64, index=True)
    created_at: datetime = _utc()
    expires_at: datetime | None = _utc(default=None, nullable=True)
    revoked: bool = False


class Application(SQLModel, table=True):
    """One company registration application.

    `payload` is the validated content as the integrator sent it (the contract); the scalar
    columns beside it are what queues and guards query. `status` is the projection of the
    event log and `revision` the number of events, so a conditional UPDATE on it lets exactly
    one of two concurrent steps win.
    """

    __tablename__ = "application"
    __table_args__ = (Index("ix_application_status_category", "status", "category"),)

    id: str = Field(primary_key=True, max_length=36)
    client_id: str = Field(foreign_key="api_client.client_id", index=True, max_length=64)
    channel: str = Field(max_length=20)
    language: str = Field(max_length=10)
    status: str = Field(max_length=20)
    company_name_zh: str = Field(max_length=50)
    company_type: str = Field(max_length=40)
    category: str | None = Field(default=None, max_length=40)
    # Set for an amendment: the licence (USCC) whose next version this application asks for.
    amends_uscc: str | None = Field(default=None, max_length=18, index=True)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    flags: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    revision: int = 0
    accepted_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    submitted_at: datetime | None = _utc(default=None, nullable=True)


class ApplicationEvent(SQLModel, table=True):
    """Append-only history: the status is its projection (see `domain.workflow.replay`)."""

    __tablename__ = "application_event"
    __table_args__ = (UniqueConstraint("application_id", "seq", name="uq_event_application_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(foreign_key="application.id", index=True, max_length=36)
    seq: int
    action: str = Field(max_length=20)
    from_status: str = Field(max_length=20)
    to_status: str = Field(max_length=20)
    actor: str = Field(max_length=64)
    role: str = Field(max_length=32)
    reasons: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    idempotency_key: str | None = Field(default=None, max_length=255)
    at: datetime = _utc()


class ApplicationDocument(SQLModel, table=True):
    __tablename__ = "application_document"

    id: str = Field(primary_key=True, max_length=36)
    application_id: str = Field(foreign_key="application.id", index=True, max_length=36)
    kind: str = Field(max_length=40)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_by: str = Field(max_length=64)
    uploaded_at: datetime = _utc()


class CompanyName(SQLModel, table=True):
    """A name taken in a region: reserved by a client, held by a submitted application, or
    registered. The unique index on the similarity key is what makes two concurrent
    reservations of equivalent names impossible (a check before insert is not enough under
    READ COMMITTED).
    """

    __tablename__ = "company_name"
    __table_args__ = (
        UniqueConstraint("region_code", "trade_key", name="uq_company_name_region_trade_key"),
    )

    id: str = Field(primary_key=True, max_length=36)
    region_code: str = Field(max_length=6)
    name: str = Field(max_length=50)
    name_key: str = Field(max_length=100, index=True)
    trade_key: str = Field(max_length=100)
    key_version: int
    kind: str = Field(max_length=12)  # "reserved" | "held" | "registered"
    client_id: str | None = Field(default=None, max_length=64, index=True)
    application_id: str | None = Field(default=None, max_length=36, index=True)
    created_at: datetime = _utc()
    expires_at: datetime | None = _utc(default=None, nullable=True)


class UsccAllocation(SQLModel, table=True):
    """Every unified social credit code ever allocated. The autoincrement id is the sequence the
    code's body is derived from; AUTOINCREMENT (SQLite) and an identity column (PostgreSQL)
    never hand out a number twice, even after a rollback or a deletion.
    """

    __tablename__ = "uscc_allocation"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    uscc: str | None = Field(default=None, max_length=18, unique=True)
    region_code: str = Field(max_length=6)
    application_id: str | None = Field(default=None, max_length=36, unique=True)
    allocated_at: datetime = _utc()


class IssuanceJob(SQLModel, table=True):
    """Written in the same transaction that approves an application; any worker may claim it
    (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL) and completes it in one transaction
    with the licence, so a crash leaves either nothing or everything.
    """

    __tablename__ = "issuance_job"

    application_id: str = Field(primary_key=True, foreign_key="application.id", max_length=36)
    status: JobStatus = Field(
        default=JobStatus.PENDING, sa_type=EnumString(JobStatus, 10), index=True
    )
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = _utc()
    not_before: datetime = _utc()
    done_at: datetime | None = _utc(default=None, nullable=True)


class Licence(SQLModel, table=True):
    """An issued electronic business licence. The PDF never changes after signing; status
    changes (superseded, revoked) are recorded here and reported by verification.
    """

    __tablename__ = "licence"
    __table_args__ = (UniqueConstraint("uscc", "version", name="uq_licence_uscc_version"),)

    id: str = Field(primary_key=True, max_length=36)
    uscc: str = Field(max_length=18, index=True)
    version: int
    application_id: str = Field(foreign_key="application.id", unique=True, max_length=36)
    client_id: str = Field(max_length=64)
    company_name_zh: str = Field(max_length=50)
    status: LicenceStatus = Field(sa_type=EnumString(LicenceStatus, 20))
    status_reason: str | None = Field(default=None, max_length=500)
    status_changed_at: datetime | None = _utc(default=None, nullable=True)
    issued_at: datetime = _utc()
    sha256: str = Field(max_length=64, unique=True)
    signer_certificate_sha256: str = Field(max_length=64)
    size: int
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class LicenceEvent(SQLModel, table=True):
    """Append-only history of a licence's status (revocation, supersession): who, when, why."""

    __tablename__ = "licence_event"

    id: int | None = Field(default=None, primary_key=True)
    licence_id: str = Field(foreign_key="licence.id", index=True, max_length=36)
    action: LicenceAction = Field(sa_type=EnumString(LicenceAction, 20))
    from_status: LicenceStatus = Field(sa_type=EnumString(LicenceStatus, 20))
    to_status: LicenceStatus = Field(sa_type=EnumString(LicenceStatus, 20))
    actor: str = Field(max_length=64)
    role: str = Field(max_length=32)
    reason: str | None = Field(default=None, max_length=500)
    at: datetime = _utc()
