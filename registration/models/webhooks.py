"""The webhook outbox (status changes to push) and the log of every delivery attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from registration.db import EnumString
from registration.domain.webhook_lifecycle import WebhookStatus
from registration.models.columns import utc_field


class WebhookOutbox(SQLModel, table=True):
    """A status change to push to a client's callback URL, added in the same transaction as
    the change itself (transactional outbox): no committed change goes unannounced and no
    announcement describes a change that was rolled back."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (
        Index("ix_webhook_outbox_due", "status", "next_attempt_at"),
        UniqueConstraint("application_id", "seq", name="uq_webhook_outbox_application_seq"),
    )

    id: str = Field(primary_key=True, max_length=36)  # the event id banks deduplicate on
    client_id: str = Field(max_length=64, index=True)
    application_id: str = Field(foreign_key="application.id", max_length=36)
    seq: int  # the application event's seq: webhooks of one application go out in order
    callback_url: str = Field(max_length=2000)
    event: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: WebhookStatus = Field(
        default=WebhookStatus.PENDING, sa_type=EnumString(WebhookStatus, 10)
    )
    attempts: int = 0
    # The webhook key (JWK kid) that signed the latest attempt, set when the row is leased:
    # a key is not retired while a pending row's receiver may still be checking its signature.
    signed_keyid: str | None = Field(default=None, max_length=64)
    next_attempt_at: datetime = utc_field()
    locked_until: datetime | None = utc_field(default=None, nullable=True)
    created_at: datetime = utc_field()
    delivered_at: datetime | None = utc_field(default=None, nullable=True)


class WebhookDelivery(SQLModel, table=True):
    """One delivery attempt, successful or not."""

    __tablename__ = "webhook_delivery"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: str = Field(foreign_key="webhook_outbox.id", index=True, max_length=36)
    attempt: int
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int
    at: datetime = utc_field()
