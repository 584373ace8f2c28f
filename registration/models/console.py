"""The officer console's server-side sessions and the claims officers hold on applications."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from registration.models.columns import utc_field


class ConsoleSession(SQLModel, table=True):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 is stored, so a
    database leak cannot be replayed as a session. `ended_at` set = signed out for good."""

    __tablename__ = "console_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    username: str = Field(max_length=64, index=True)
    # Synchronizer token for the session's forms (OWASP CSRF cheat sheet); not a secret at rest.
    csrf_token: str = Field(max_length=64)
    address: str = Field(default="", max_length=64)
    created_at: datetime = utc_field()
    last_seen_at: datetime = utc_field()
    ended_at: datetime | None = utc_field(default=None, nullable=True)


class ApplicationClaim(SQLModel, table=True):
    """Who is working on an application: one row per application (the primary key makes taking
    it a race exactly one officer wins), until `expires_at` or release."""

    __tablename__ = "application_claim"

    application_id: str = Field(primary_key=True, foreign_key="application.id", max_length=36)
    username: str = Field(max_length=64, index=True)
    claimed_at: datetime = utc_field()
    expires_at: datetime = utc_field()
