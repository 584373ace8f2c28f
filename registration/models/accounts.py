"""Officers and bearer tokens (`access_token` serves officers and clients alike)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from registration.models.columns import utc_field


class Officer(SQLModel, table=True):
    __tablename__ = "officer"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=32)
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    created_at: datetime = utc_field()


class AccessToken(SQLModel, table=True):
    """Bearer tokens, stored only as SHA-256 so a database leak does not leak credentials."""

    __tablename__ = "access_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    subject_kind: str = Field(max_length=10)  # "officer" | "client"
    subject_id: str = Field(max_length=64, index=True)
    created_at: datetime = utc_field()
    expires_at: datetime | None = utc_field(default=None, nullable=True)
    revoked: bool = False
