"""Tables of the terminal protocol (DESIGN.md §6). Schema changes go through Alembic (0004).

client_key            request-signing and attestation public keys, by keyid
signature_nonce       (keyid, nonce) pairs seen while they could still be replayed
idempotency_record    one row per (caller, Idempotency-Key): claim, then stored response
identity_attestation  verified bank attestations (the verdict, never biometric data)
webhook_outbox        status changes to push, written in the transaction of the change
webhook_delivery      every delivery attempt: when, HTTP status or error
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from registration.db import EnumString, UtcDateTime
from registration.domain.webhook_lifecycle import WebhookStatus

REQUEST_SIGNING = "request_signing"
ATTESTATION = "attestation"


def _utc(**kwargs: Any) -> Any:
    return Field(sa_type=UtcDateTime, **kwargs)


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
    created_at: datetime = _utc()
    revoked_at: datetime | None = _utc(default=None, nullable=True)


class SignatureNonce(SQLModel, table=True):
    """The primary key is the replay check: of two requests with one (keyid, nonce), only one
    insert succeeds, whichever process serves them (RFC 9421 §7.2.2)."""

    __tablename__ = "signature_nonce"

    keyid: str = Field(primary_key=True, max_length=200)
    nonce: str = Field(primary_key=True, max_length=128)
    expires_at: datetime = _utc(index=True)


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
    locked_until: datetime = _utc()
    response_status: int | None = None
    response_headers: list[list[str]] | None = Field(default=None, sa_column=Column(JSON))
    response_body: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    created_at: datetime = _utc()
    expires_at: datetime = _utc(index=True)


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
    document_key: str = Field(max_length=40)  # canonical number, see terminals.identity
    person_name: str = Field(max_length=80)
    nationality: str = Field(max_length=3)
    birth_date: date
    face_match_score: float
    document_chip_read: bool
    liveness_passed: bool
    checked_at: datetime = _utc()
    issued_at: datetime = _utc()
    expires_at: datetime = _utc()
    received_at: datetime = _utc()
    token: str = Field(sa_column=Column(Text, nullable=False))


class WebhookOutbox(SQLModel, table=True):
    """A status change to push to a client's callback URL, added in the same transaction as
    the change itself (transactional outbox): no committed change goes unannounced and no
    announcement describes a change that was rolled back."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (
        Index("ix_webhook_outbox_due", "status", "next_attempt_at"),
        UniqueConstraint("application_id", "seq", name="uq_webhook_outbox_application_seq"),
    )

    id: str = Field(primary_key=True, max_length=36)  # the event id banks deduplicate on
    client_id: str = Field(max_length=64, index=True)
    application_id: str = Field(foreign_key="application.id", max_length=36)
    seq: int  # the application event's seq: webhooks of one application go out in order
    callback_url: str = Field(max_length=2000)
    event: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: WebhookStatus = Field(
        default=WebhookStatus.PENDING, sa_type=EnumString(WebhookStatus, 10)
    )
    attempts: int = 0
    next_attempt_at: datetime = _utc()
    locked_until: datetime | None = _utc(default=None, nullable=True)
    created_at: datetime = _utc()
    delivered_at: datetime | None = _utc(default=None, nullable=True)


class WebhookDelivery(SQLModel, table=True):
    """One delivery attempt, successful or not."""

    __tablename__ = "webhook_delivery"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: str = Field(foreign_key="webhook_outbox.id", index=True, max_length=36)
    attempt: int
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int
    at: datetime = _utc()
