"""The transparency log's storage (services/ledger.py appends to it) and the admin events it
records.

`log_leaf` holds every leaf in order: `body` is the published leaf (canonical JSON, a
commitment only for records about people), `salt` the secret that keeps those commitments from
being brute-forced and never leaves the database. `log_head` is one row whose `size` is bumped
by each appending transaction: its row lock (PostgreSQL) or the write lock (SQLite) serialises
the leaf index. `log_checkpoint` keeps every signed checkpoint.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from registration.models.columns import utc_field


class LogLeaf(SQLModel, table=True):
    __tablename__ = "log_leaf"

    idx: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    kind: str = Field(max_length=40)
    # The row it records, "<table>:<id>": unique, so a row is logged once.
    ref: str = Field(max_length=120, unique=True)
    # What the row is about (a licence, application, client …): how one record's leaves are found.
    subject: str = Field(max_length=200, index=True)
    leaf_hash: str = Field(max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))
    salt: str | None = Field(default=None, max_length=64)
    appended_at: datetime = utc_field()


class LogHead(SQLModel, table=True):
    __tablename__ = "log_head"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    size: int = 0


class LogCheckpoint(SQLModel, table=True):
    __tablename__ = "log_checkpoint"

    size: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    root_hash: str = Field(max_length=64)
    note: str = Field(sa_column=Column(Text, nullable=False))
    signed_at: datetime = utc_field()


class AdminEvent(SQLModel, table=True):
    """Who changed an API client or an officer account, and how."""

    __tablename__ = "admin_event"

    id: int | None = Field(default=None, primary_key=True)
    action: str = Field(max_length=40)
    target: str = Field(max_length=200, index=True)  # "client:<id>", "officer:<username>"
    actor: str = Field(max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = utc_field()
