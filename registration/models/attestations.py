"""Verified bank identity attestations: the verdict, and the JWS as evidence; never biometric
data."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from registration.models.columns import utc_field


class IdentityAttestation(SQLModel, table=True):
    """A verified identity attestation. The compact JWS is kept as evidence (it can be
    re-verified with the client's key); it never contains biometric data, because
    `bank_adapter.verify_attestation` refuses any token that does."""

    __tablename__ = "identity_attestation"
    __table_args__ = (UniqueConstraint("issuer", "jti", name="uq_identity_attestation_jti"),)

    id: str = Field(primary_key=True, max_length=36)
    application_id: str = Field(foreign_key="application.id", index=True, max_length=36)
    client_id: str = Field(max_length=64)
    keyid: str = Field(max_length=200)
    issuer: str = Field(max_length=64)
    jti: str = Field(max_length=256)
    document_type: str = Field(max_length=20)
    document_key: str = Field(max_length=40)  # canonical number, see domain.attestation
    person_name: str = Field(max_length=80)
    nationality: str = Field(max_length=3)
    birth_date: date
    face_match_score: float
    document_chip_read: bool
    liveness_passed: bool
    checked_at: datetime = utc_field()
    issued_at: datetime = utc_field()
    expires_at: datetime = utc_field()
    received_at: datetime = utc_field()
    token: str = Field(sa_column=Column(Text, nullable=False))
