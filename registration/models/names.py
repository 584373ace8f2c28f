"""Company names taken in a region: reserved, held by an application, or registered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from registration.models.columns import utc_field


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
    created_at: datetime = utc_field()
    expires_at: datetime | None = utc_field(default=None, nullable=True)
