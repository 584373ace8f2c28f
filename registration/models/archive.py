"""Archive renewals: each time a stored licence or notice got a fresh document timestamp."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from registration.models.columns import utc_field


class ArchiveRenewal(SQLModel, table=True):
    """One renewal (PAdES B-LTA) of a stored document: the file it replaced and the file it
    became. The replaced file stays the same licence or notice: its hash is looked up here."""

    __tablename__ = "archive_renewal"
    __table_args__ = (
        UniqueConstraint("document", "document_id", "seq", name="uq_archive_renewal_seq"),
        Index("ix_archive_renewal_document", "document", "document_id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    document: str = Field(max_length=10)  # licence | notice
    document_id: str = Field(max_length=36)
    seq: int  # 1 for the first renewal of this document
    previous_sha256: str = Field(max_length=64, index=True)
    previous_size: int
    previous_expires_at: datetime = utc_field()
    sha256: str = Field(max_length=64)
    size: int
    timestamp_at: datetime = utc_field()  # the new document timestamp's time
    expires_at: datetime = utc_field()  # when the new timestamp's chain expires
    renewed_at: datetime = utc_field()
