"""Service settings, read from `BIZREG_*` environment variables when `Settings()` is built.

Nothing reads the environment at import time: the composition root builds one `Settings` and
passes it down, so tests can run several differently configured apps in one process.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Encrypts the development PKI's keys at rest; production must set its own.
DEV_PKI_PASSPHRASE = "development-only-not-secret"  # noqa: S105


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BIZREG_", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("./var")
    database_url: str | None = None
    public_base_url: str = "http://127.0.0.1:8000"
    region_code: str = Field(default="441900", pattern=r"^\d{6}$")
    authority_name_zh: str = "东莞市市场监督管理局"
    authority_name_en: str = "Dongguan Administration for Market Regulation"
    authority_name_fr: str = "Administration de la régulation des marchés de Dongguan"
    pki_passphrase: str = Field(default=DEV_PKI_PASSPHRASE, min_length=12)
    pki_key_algorithm: Literal["ecdsa-p256", "rsa-2048"] = "ecdsa-p256"
    signature_level: Literal["B-LT", "B-LTA"] = "B-LT"
    # Sign licences and notices by appending the signature's incremental update directly
    # (signing.single_pass); false: always let pyHanko parse and re-write the rendered PDF.
    single_pass_signing: bool = True
    tsa_url: str | None = None
    # How often an issuance worker looks for approved applications when nothing woke it (on
    # PostgreSQL an approval wakes it at once with NOTIFY; on SQLite this is the latency).
    issuance_poll_seconds: float = Field(default=0.1, gt=0)
    # `bizreg serve` issues licences in this many child processes, so request handling never
    # starves issuance of the interpreter; 0 leaves issuance to `bizreg worker` processes.
    issuance_processes: int = Field(default=1, ge=0, le=64)
    # At most this many licences per issuance transaction, when that many are due at once (a
    # backlog): they share its claim, log append and commit. 1 issues each in its own.
    issuance_batch: int = Field(default=8, ge=1, le=64)
    # Overload: at most this many requests in one process at a time (503 + Retry-After beyond),
    # and the database pool is sized so that each of them always finds a connection; a request
    # that waits longer than the timeout for one gets 503 instead of hanging.
    max_concurrent_requests: int = Field(default=32, ge=1, le=1024)
    database_pool_size: int | None = Field(default=None, ge=1)
    database_pool_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    # Longest `Prefer: wait=N` a client may ask for (RFC 7240 §4.3).
    max_wait_seconds: int = Field(default=60, ge=0, le=600)
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    # Terminal protocol (docs/terminal-protocol.md): RFC 9421 clock-skew window, attestation
    # face-match threshold, webhook retry schedule and the webhook signing key's file.
    signature_max_skew_seconds: int = Field(default=60, gt=0, le=300)
    face_match_threshold: float = Field(default=0.9, gt=0, le=1)
    webhook_retry_base_seconds: float = Field(default=1.0, gt=0)
    webhook_retry_cap_seconds: float = Field(default=3600.0, gt=0)
    webhook_max_attempts: int = Field(default=15, ge=1)
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_key_file: Path | None = None
    # The transparency log: its own Ed25519 checkpoint key; a checkpoint at least this often
    # while there are new leaves.
    log_key_file: Path | None = None
    log_checkpoint_seconds: float = Field(default=10.0, gt=0)
    # The licence signer's key in a PKCS#11 token (registration/issuance/hsm.py).
    pkcs11_module: str | None = None
    pkcs11_signer_key: str | None = None  # RFC 7512, e.g. pkcs11:token=bizreg;object=signer
    pkcs11_tsa_key: str | None = None  # the built-in TSA's key, likewise
    pkcs11_log_key: str | None = None  # the transparency log's Ed25519 checkpoint key
    pkcs11_pin_file: Path | None = None
    pkcs11_pin: SecretStr | None = None
    officer_token_ttl_seconds: int = Field(default=8 * 3600, gt=0)
    # One JSON object per log line (for a log pipeline), or text for a terminal (`make run`).
    log_format: Literal["json", "text"] = "json"
    # The officer console: a session ends after this long without a request, and in any case
    # after its lifetime; a claim on an application lapses after `claim_ttl_seconds`.
    console_idle_timeout_seconds: int = Field(default=15 * 60, gt=0)
    console_session_lifetime_seconds: int = Field(default=10 * 3600, gt=0)
    claim_ttl_seconds: int = Field(default=30 * 60, gt=0)
    # Time limits shown as overdue in the queues: front desk accepts within one day, the back
    # office decides within three (the seed's 1 + 3 working days, counted in calendar hours).
    front_desk_time_limit_hours: int = Field(default=24, gt=0)
    back_office_time_limit_hours: int = Field(default=72, gt=0)
    # The company's life (issue 13): the public register's and objections' rate limits (per
    # address and minute, counted in the database), the change feed's retention and longest
    # stream, the deregistration notice period and how long a deregistered name stays taken.
    register_searches_per_minute: int = Field(default=60, ge=1)
    objections_per_minute: int = Field(default=5, ge=1)
    feed_retention_days: int = Field(default=365, ge=1)
    feed_stream_seconds: int = Field(default=300, ge=1, le=3600)
    deregistration_notice_days: float = Field(default=20, gt=0)
    deregistered_name_release_days: float = Field(default=365, ge=0)
    # Investors' e-mails (issue 12): SMTP as `smtp://[user:pass@]host[:port]` (STARTTLS when
    # the server offers it; `?starttls=required` refuses a server without it) or
    # `smtps://…` (implicit TLS). Unset: each message is written as an .eml file under
    # `<data_dir>/mail/` (the development default of `make run`).
    smtp_url: SecretStr | None = None
    mail_from: str = "Dongguan AMR registration <no-reply@dgamr.example>"
    mail_retry_base_seconds: float = Field(default=5.0, gt=0)
    mail_retry_cap_seconds: float = Field(default=3600.0, gt=0)
    mail_max_attempts: int = Field(default=12, ge=1)
    mail_poll_seconds: float = Field(default=1.0, gt=0)
    # Uploaded documents verified at once per process (the rest: 503 with Retry-After, so a
    # flood of hostile uploads cannot starve every request thread), and per address a minute.
    max_concurrent_verifications: int = Field(default=max(2, os.cpu_count() or 2), ge=1, le=256)
    verify_uploads_per_minute: int = Field(default=60, ge=1)
    # Each uploaded document is verified in a worker process within this much time (a genuine
    # licence takes ~0.03 s of CPU) and this much address space beyond the worker's own (a
    # licence needs ~5 MB); over the time: INDETERMINATE and the worker is replaced.
    verify_budget_seconds: float = Field(default=5.0, gt=0, le=300)
    verify_memory_mib: int = Field(default=512, ge=16)
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Trust for the SMTP server's TLS certificate (PEM); unset: the system's CAs.
    smtp_ca_file: Path | None = None
    # Stale cases: a returned application or a draft untouched this many days is withdrawn by
    # the system (its name released, a notice and an e-mail); a warning e-mail goes out
    # `stale_warning_days` before.
    stale_returned_days: float = Field(default=90, gt=0)
    stale_draft_days: float = Field(default=30, gt=0)
    stale_warning_days: float = Field(default=7, ge=0)
    # Archive renewal (B-LTA): a stored licence or notice gets a fresh document timestamp when
    # its newest timestamp's chain expires within this many days; the built-in TSA and the
    # issuing CA roll over on the same margin.
    archive_renewal_margin_days: float = Field(default=365, gt=0)

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Settings:
        # A development default that leaks into production would print localhost into every
        # licence's QR code and certificate, which cannot be corrected after signing.
        if self.env is Environment.PRODUCTION:
            url = urlsplit(self.public_base_url)
            if url.scheme != "https" or url.hostname in {"127.0.0.1", "localhost", "::1"}:
                raise ValueError("BIZREG_PUBLIC_BASE_URL must be a public https URL in production")
            if self.database_url is None:
                raise ValueError("BIZREG_DATABASE_URL must be set explicitly in production")
            if self.pki_passphrase == DEV_PKI_PASSPHRASE:
                raise ValueError("BIZREG_PKI_PASSPHRASE must be set in production")
        return self

    @property
    def is_development(self) -> bool:
        return self.env is Environment.DEVELOPMENT

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'bizreg.db').resolve()}"

    @property
    def effective_pool_size(self) -> int:
        # One connection per admitted request plus the background threads of an API process
        # (webhook delivery, the status watcher's queries).
        return self.database_pool_size or self.max_concurrent_requests + 4

    @property
    def secure_cookies(self) -> bool:
        # Production is https only (checked above); development runs on plain http://127.0.0.1.
        return self.env is Environment.PRODUCTION

    @property
    def pki_dir(self) -> Path:
        return self.data_dir / "pki"

    @property
    def log_key_path(self) -> Path:
        return self.log_key_file or self.data_dir / "log-signing-key.pem"

    @property
    def webhook_key_path(self) -> Path:
        return self.webhook_key_file or self.data_dir / "webhook-signing-key.pem"

    @property
    def base_url(self) -> str:
        return self.public_base_url.rstrip("/")
