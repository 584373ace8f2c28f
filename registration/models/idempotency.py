"""`Idempotency-Key` bookkeeping: one row per (caller, key), claim then stored response."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, LargeBinary
from sqlmodel import Field, SQLModel

from registration.models.columns import utc_field


class IdempotencyRecord(SQLModel, table=True):
    """`Idempotency-Key` bookkeeping, scoped per caller (`principal` = kind:subject).

    `state`: in_progress (claimed, lease until `locked_until`) → committed (the use case's
    transaction committed, marked inside that transaction) → done (response stored).
    `claim_token` identifies the request holding the claim, so a request whose lease was taken
    over can neither commit its effects nor overwrite the stored response.
    """

    __tablename__ = "idempotency_record"

    principal: str = Field(primary_key=True, max_length=80)
    key: str = Field(primary_key=True, max_length=255)
    request_hash: str = Field(max_length=64)
    method: str = Field(max_length=10)
    path: str = Field(max_length=500)
    state: str = Field(max_length=12)
    claim_token: str = Field(max_length=36)
    locked_until: datetime = utc_field()
    response_status: int | None = None
    response_headers: list[list[str]] | None = Field(default=None, sa_column=Column(JSON))
    response_body: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field(index=True)
