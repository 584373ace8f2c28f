"""Security events (sign-ins, failures, lockouts, refused signatures), one row per minute bucket."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from registration.models.columns import utc_field


class SecurityEvent(SQLModel, table=True):
    """`count` events of `kind` about `subject` (a username, client id or key id) from `address`
    within the minute starting at `minute`; `detail` keeps the latest one's code or reason."""

    __tablename__ = "security_event"
    __table_args__ = (UniqueConstraint("kind", "subject", "address", "minute"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32, index=True)
    subject: str = Field(max_length=200, index=True)
    address: str = Field(max_length=64)
    minute: datetime = utc_field(index=True)
    count: int
    first_at: datetime = utc_field()
    last_at: datetime = utc_field()
    detail: str | None = Field(default=None, max_length=500)
