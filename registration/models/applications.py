"""An application, its event log (the status is its projection) and its uploaded documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from registration.models.columns import utc_field


class Application(SQLModel, table=True):
    """One company registration application.

    `payload` is the validated content as the integrator sent it (the contract); the scalar
    columns beside it are what queues and guards query. `status` is the projection of the
    event log and `revision` the number of events, so a conditional UPDATE on it lets exactly
    one of two concurrent steps win.
    """

    __tablename__ = "application"
    __table_args__ = (
        Index("ix_application_status_category", "status", "category"),
        Index("ix_application_tracking_reference", "tracking_reference", unique=True),
        Index("ix_application_client_reference", "client_id", "client_reference", unique=True),
        Index("ix_application_client_created", "client_id", "created_at"),
    )

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
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()
    submitted_at: datetime | None = utc_field(default=None, nullable=True)
    # What the investor types on /track: the reference, and a code of which only the SHA-256
    # is kept (100 random bits, so a plain hash is enough; see services.tracking).
    tracking_reference: str | None = Field(default=None, max_length=16)
    tracking_code_sha256: str | None = Field(default=None, max_length=64)
    # The client's own name for the case (its order number), unique per client: how a terminal
    # finds an application whose create response it never read.
    client_reference: str | None = Field(default=None, max_length=64)


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
    at: datetime = utc_field()


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
    uploaded_at: datetime = utc_field()
