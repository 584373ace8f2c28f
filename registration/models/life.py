"""A company's life after its licence: the public change feed and simplified deregistration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from registration.db import EnumString
from registration.domain.deregistration import DeregistrationStatus, ObjectionStatus
from registration.models.columns import utc_field


class FeedEvent(SQLModel, table=True):
    """One public licence event. `position` is the feed's cursor: positions are taken while
    holding a transaction-scoped lock (PostgreSQL) or the database's write lock (SQLite), so
    they become visible in increasing order and a reader never passes one committed later."""

    __tablename__ = "feed_event"

    position: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    uscc: str = Field(max_length=18, index=True)
    at: datetime = utc_field(index=True)
    # The public facts of the event as JSON (names, version, dates): no personal data.
    data: str = Field(sa_column=Column(Text, nullable=False))


class Deregistration(SQLModel, table=True):
    """A simplified deregistration (简易注销): a public notice period, objections, an end."""

    __tablename__ = "deregistration"
    __table_args__ = (Index("ix_deregistration_status_ends", "status", "notice_ends_at"),)

    id: str = Field(primary_key=True, max_length=36)
    uscc: str = Field(max_length=18, index=True)
    licence_version: int
    company_name_zh: str = Field(max_length=50)
    status: DeregistrationStatus = Field(sa_type=EnumString(DeregistrationStatus, 20))
    client_id: str = Field(max_length=64)
    # Whose attested request it was (the legal representative's name), when attested.
    attested_person: str | None = Field(default=None, max_length=80)
    filed_at: datetime = utc_field()
    notice_ends_at: datetime = utc_field()
    closed_at: datetime | None = utc_field(default=None, nullable=True)
    closed_by: str | None = Field(default=None, max_length=64)
    decision_reason: str | None = Field(default=None, max_length=500)
    # When the company name becomes free again; cleared once released.
    name_release_at: datetime | None = utc_field(default=None, nullable=True)


class Objection(SQLModel, table=True):
    """An objection lodged against a deregistration during its notice period. The contact and
    reason are for the registrar only; the feed and the public page say only that one exists."""

    __tablename__ = "deregistration_objection"

    id: str = Field(primary_key=True, max_length=36)
    deregistration_id: str = Field(foreign_key="deregistration.id", index=True, max_length=36)
    status: ObjectionStatus = Field(sa_type=EnumString(ObjectionStatus, 20))
    contact: str = Field(max_length=200)
    reason: str = Field(max_length=2000)
    # SHA-256 of the secret given to the objector, who alone may withdraw the objection.
    withdraw_token_sha256: str = Field(max_length=64)
    address: str = Field(max_length=64)
    lodged_at: datetime = utc_field()
    withdrawn_at: datetime | None = utc_field(default=None, nullable=True)


class CompanyAttestation(SQLModel, table=True):
    """A bank's attestation that the company's current legal representative asked for an
    action (amend, deregister, download the licence) through `client_id`: who, through whom,
    what. Single use: the (issuer, jti) pair is unique, as for applications' attestations."""

    __tablename__ = "company_attestation"
    __table_args__ = (UniqueConstraint("issuer", "jti", name="uq_company_attestation_jti"),)

    id: str = Field(primary_key=True, max_length=36)
    uscc: str = Field(max_length=18, index=True)
    licence_version: int
    action: str = Field(max_length=20)
    client_id: str = Field(max_length=64)
    issuer: str = Field(max_length=64)
    jti: str = Field(max_length=256)
    document_type: str = Field(max_length=20)
    document_key: str = Field(max_length=40)
    person_name: str = Field(max_length=80)
    face_match_score: float
    # What the action produced: the amendment application or the deregistration.
    subject_id: str | None = Field(default=None, max_length=36)
    received_at: datetime = utc_field()
    token: str = Field(sa_column=Column(Text, nullable=False))
