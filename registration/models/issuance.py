"""Issuance jobs: born with an approval, completed with the licence."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from registration.db import EnumString
from registration.domain.job_lifecycle import JobStatus
from registration.models.columns import utc_field


class IssuanceJob(SQLModel, table=True):
    """Written in the same transaction that approves an application; any worker may claim it
    (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL) and completes it in one transaction
    with the licence, so a crash leaves either nothing or everything.
    """

    __tablename__ = "issuance_job"

    application_id: str = Field(primary_key=True, foreign_key="application.id", max_length=36)
    status: JobStatus = Field(
        default=JobStatus.PENDING, sa_type=EnumString(JobStatus, 10), index=True
    )
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = utc_field()
    not_before: datetime = utc_field()
    done_at: datetime | None = utc_field(default=None, nullable=True)
