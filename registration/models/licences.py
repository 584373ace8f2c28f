"""Issued licences and the append-only history of their status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from registration.db import EnumString
from registration.domain.licence_lifecycle import LicenceAction, LicenceStatus
from registration.models.columns import utc_field


class Licence(SQLModel, table=True):
    """An issued electronic business licence. The PDF never changes after signing; status
    changes (superseded, revoked) are recorded here and reported by verification.
    """

    __tablename__ = "licence"
    __table_args__ = (UniqueConstraint("uscc", "version", name="uq_licence_uscc_version"),)

    id: str = Field(primary_key=True, max_length=36)
    uscc: str = Field(max_length=18, index=True)
    version: int
    application_id: str = Field(foreign_key="application.id", unique=True, max_length=36)
    client_id: str = Field(max_length=64)
    company_name_zh: str = Field(max_length=50)
    # The names in every language, normalised as the name check does (`domain.names`), joined
    # by "|": what the public register searches.
    search_key: str = Field(default="", max_length=400)
    status: LicenceStatus = Field(sa_type=EnumString(LicenceStatus, 20))
    status_reason: str | None = Field(default=None, max_length=500)
    status_changed_at: datetime | None = utc_field(default=None, nullable=True)
    issued_at: datetime = utc_field()
    sha256: str = Field(max_length=64, unique=True)
    signer_certificate_sha256: str = Field(max_length=64)
    size: int
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # `sha256`, `size` and `pdf` are the current file; an archive renewal (B-LTA) replaces
    # them and keeps the issued file's hash and size here (None: never renewed).
    issued_sha256: str | None = Field(default=None, max_length=64)
    issued_size: int | None = None
    # When the file's newest timestamp stops being evidence (None: not looked at yet).
    archive_expires_at: datetime | None = utc_field(default=None, nullable=True, index=True)


class LicenceEvent(SQLModel, table=True):
    """Append-only history of a licence's status (revocation, supersession): who, when, why."""

    __tablename__ = "licence_event"

    id: int | None = Field(default=None, primary_key=True)
    licence_id: str = Field(foreign_key="licence.id", index=True, max_length=36)
    action: LicenceAction = Field(sa_type=EnumString(LicenceAction, 20))
    from_status: LicenceStatus = Field(sa_type=EnumString(LicenceStatus, 20))
    to_status: LicenceStatus = Field(sa_type=EnumString(LicenceStatus, 20))
    actor: str = Field(max_length=64)
    role: str = Field(max_length=32)
    reason: str | None = Field(default=None, max_length=500)
    at: datetime = utc_field()
