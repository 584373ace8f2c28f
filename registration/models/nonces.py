"""RFC 9421 nonces seen while they could still be replayed."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from registration.models.columns import utc_field


class SignatureNonce(SQLModel, table=True):
    """The primary key is the replay check: of two requests with one (keyid, nonce), only one
    insert succeeds, whichever process serves them (RFC 9421 §7.2.2)."""

    __tablename__ = "signature_nonce"

    keyid: str = Field(primary_key=True, max_length=200)
    nonce: str = Field(primary_key=True, max_length=128)
    expires_at: datetime = utc_field(index=True)
