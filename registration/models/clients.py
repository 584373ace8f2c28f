"""Registered integrators and their public keys (migration 0004 added `client_key` and
`api_client.callback_url`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from registration.models.columns import utc_field

REQUEST_SIGNING = "request_signing"
ATTESTATION = "attestation"


class ApiClient(SQLModel, table=True):
    """A registered integrator: a bank terminal, the Hong Kong app gateway, a partner branch."""

    __tablename__ = "api_client"

    client_id: str = Field(primary_key=True, max_length=64)
    channel: str = Field(max_length=20)
    org: str = Field(max_length=200)
    role: str = Field(max_length=32)
    active: bool = True
    created_at: datetime = utc_field()
    # Where status-change webhooks go (registration/services/webhooks.py); None: no webhooks.
    callback_url: str | None = Field(default=None, max_length=2000)


class ClientKey(SQLModel, table=True):
    """A client's public key. `keyid` is global: a signature names only its keyid (RFC 9421
    §2.3), so the keyid alone must identify the client. Revoked keys are kept for the record."""

    __tablename__ = "client_key"
    __table_args__ = (Index("ix_client_key_client_purpose", "client_id", "purpose"),)

    keyid: str = Field(primary_key=True, max_length=200)
    client_id: str = Field(foreign_key="api_client.client_id", max_length=64)
    purpose: str = Field(max_length=20)  # request_signing | attestation
    alg: str = Field(max_length=24)  # ed25519 | ecdsa-p256-sha256, derived from the key
    public_key_pem: str = Field(sa_column=Column(Text, nullable=False))
    fingerprint: str = Field(max_length=64)  # SHA-256 of the DER SubjectPublicKeyInfo
    created_at: datetime = utc_field()
    revoked_at: datetime | None = utc_field(default=None, nullable=True)
