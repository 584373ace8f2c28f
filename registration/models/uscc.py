"""Every unified social credit code ever allocated."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from registration.models.columns import utc_field


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
    allocated_at: datetime = utc_field()
