"""Four eyes on revocation: one registrar proposes, another confirms."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from registration.models.columns import utc_field


class RevocationRequest(SQLModel, table=True):
    """A proposed revocation. `outcome` stays empty while pending, then `confirmed` (the
    licence was revoked by `decided_by`, never the proposer) or `cancelled`."""

    __tablename__ = "revocation_request"

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, index=True)
    reason: str = Field(max_length=500)
    proposed_by: str = Field(max_length=64)
    proposed_at: datetime = utc_field()
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = utc_field(default=None, nullable=True)
    outcome: str | None = Field(default=None, max_length=12)
