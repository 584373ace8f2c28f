"""What the investor sees of their case: the authority's sealed notices and the e-mails
announcing each status change (a transactional outbox and the log of every attempt)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from registration.models.columns import utc_field


class Notice(SQLModel, table=True):
    """A written notice of one workflow step (受理 / 补正 / 不予登记 / 准予登记通知书).

    Born unsigned in the step's transaction (`pdf` empty), so no step goes without its notice;
    the issuance worker renders and signs it through the licence's PAdES pipeline."""

    __tablename__ = "notice"
    __table_args__ = (
        UniqueConstraint("application_id", "seq", name="uq_notice_application_seq"),
        Index("ix_notice_unsigned", "signed_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    number: str = Field(max_length=32, unique=True)  # printed on the notice, looked up by verify
    application_id: str = Field(foreign_key="application.id", index=True, max_length=36)
    seq: int  # the application event it records
    kind: str = Field(max_length=20)  # acceptance | return | rejection | approval
    languages: list[str] = Field(sa_column=Column(JSON, nullable=False))
    statement: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = utc_field()
    signed_at: datetime | None = utc_field(default=None, nullable=True)
    sha256: str | None = Field(default=None, max_length=64)
    size: int | None = None
    pdf: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # When the signed file's newest timestamp stops being evidence (archive renewal).
    archive_expires_at: datetime | None = utc_field(default=None, nullable=True, index=True)


class MailOutbox(SQLModel, table=True):
    """One e-mail to an application's contact address, added in the transaction of the status
    change it announces: unique per (application, event), so one change is mailed once."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        Index("ix_mail_outbox_due", "status", "next_attempt_at"),
        UniqueConstraint("application_id", "seq", "kind", name="uq_mail_outbox_change"),
    )

    id: str = Field(primary_key=True, max_length=36)  # also the Message-ID's local part
    application_id: str = Field(foreign_key="application.id", index=True, max_length=36)
    seq: int
    kind: str = Field(max_length=20)  # status | stale_warning
    to_address: str = Field(max_length=254)
    language: str = Field(max_length=10)
    subject: str = Field(max_length=300)
    body: str
    status: str = Field(default="pending", max_length=10)  # pending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = utc_field()
    locked_until: datetime | None = utc_field(default=None, nullable=True)
    created_at: datetime = utc_field()
    sent_at: datetime | None = utc_field(default=None, nullable=True)


class MailDelivery(SQLModel, table=True):
    """One attempt to hand an e-mail to the SMTP server (or to write it as a file)."""

    __tablename__ = "mail_delivery"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: str = Field(foreign_key="mail_outbox.id", index=True, max_length=36)
    attempt: int
    outcome: str = Field(max_length=10)  # sent | retry | failed
    detail: str | None = Field(default=None, max_length=500)
    duration_ms: int
    at: datetime = utc_field()
