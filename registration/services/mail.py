"""E-mails to the investor: queued with each status change, sent by the mail worker.

A transactional outbox, like the webhooks': `queue_status_change` adds the message in the
change's transaction (unique per application, event and kind, so one change is mailed once and
a rolled-back change never), `deliver_due` leases due rows and hands each to SMTP with no
transaction open, logging every attempt in `mail_delivery` and retrying with capped, jittered
back-off. A crash between the server's 250 and our bookkeeping re-sends the same message with
the same Message-ID, which mail systems deduplicate on: delivery is at least once, never silently
lost. Without `BIZREG_SMTP_URL` each message is written to `<data_dir>/mail/<id>.eml`.
"""

from __future__ import annotations

import email.policy
import functools
import logging
import smtplib
import ssl
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import Engine, insert, or_, update
from sqlmodel import Session, col, select

from bank_adapter import retry_delay
from registration.db import utcnow
from registration.domain import investor_texts, return_reasons
from registration.models import Application, MailDelivery, MailOutbox
from registration.services import tracking
from registration.settings import Settings

log = logging.getLogger("bizreg.mail")

LEASE: Final = timedelta(seconds=120)
TRACK_URL: Final = "{track_url}"  # filled at sending: the base URL is a deployment setting
STATUS_CHANGE: Final = "status"
STALE_WARNING: Final = "stale_warning"


def _contact(application: Application) -> str | None:
    contact = application.payload.get("contact") or {}
    address = contact.get("email") if isinstance(contact, dict) else None
    return address if isinstance(address, str) and "@" in address else None


def _reason_lines(reasons: Sequence[dict[str, Any]], language: str) -> list[str]:
    lines = []
    for reason in reasons:
        catalogued, message = return_reasons.split(reason)
        text = catalogued.text(language) if catalogued else ""
        joined = " ".join(part for part in (text, message) if part)
        lines.append(f"- [{reason.get('field') or '—'}] {joined}")
    return lines


def _queue(
    session: Session,
    application: Application,
    seq: int,
    kind: str,
    subject_status: str,
    middle: list[str],
    at: datetime,
) -> MailOutbox | None:
    address = _contact(application)
    if address is None:
        return None
    language = investor_texts.language_of(application.language)

    def t(key: str, **values: str) -> str:
        return investor_texts.text(key, language).format(**values)

    company = application.company_name_zh
    reference = tracking.display_reference(application.tracking_reference or "DG")
    body = "\n\n".join(
        [
            t("mail.greeting"),
            *middle,
            t("mail.track", reference=reference, url=TRACK_URL),
            t("mail.signature"),
        ]
    )
    row = MailOutbox(
        id=str(uuid.uuid4()),
        application_id=application.id,
        seq=seq,
        kind=kind,
        to_address=address,
        language=language,
        subject=t("mail.subject", company=company, status=subject_status)[:300],
        body=body + "\n",
        created_at=at,
        next_attempt_at=at,
    )
    session.add(row)
    return row


def queue_status_change(
    session: Session,
    application: Application,
    seq: int,
    status: str,
    reasons: Sequence[dict[str, Any]],
    at: datetime,
) -> MailOutbox | None:
    """Queue the e-mail announcing that `application` entered `status`. Never commits."""
    language = investor_texts.language_of(application.language)
    status_text = investor_texts.text(f"status.{status}", language)
    middle = [
        investor_texts.text("mail.changed", language).format(
            company=application.company_name_zh, status=status_text
        )
    ]
    if reasons:
        lines = _reason_lines(reasons, language)
        middle.append("\n".join([investor_texts.text("mail.reasons", language), *lines]))
    return _queue(session, application, seq, STATUS_CHANGE, status_text, middle, at)


def queue_stale_warning(
    session: Session, application: Application, days: int, deadline: str, at: datetime
) -> MailOutbox | None:
    """The warning before a stale case is withdrawn (once per application and revision)."""
    language = investor_texts.language_of(application.language)
    status_text = investor_texts.text(f"status.{application.status}", language)
    warning = investor_texts.text("mail.stale_warning", language).format(
        days=days, deadline=deadline
    )
    return _queue(
        session, application, application.revision, STALE_WARNING, status_text, [warning], at
    )


# --- sending ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    starttls: str  # "opportunistic" | "required" | "never"
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("BIZREG_SMTP_URL must be smtp://host[:port] or smtps://host[:port]")
        query = parse_qs(parts.query)
        starttls = query.get("starttls", ["opportunistic"])[0]
        if starttls not in ("opportunistic", "required", "never"):
            raise ValueError("starttls must be opportunistic, required or never")
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 25),
            implicit_tls=implicit,
            starttls="never" if implicit else starttls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class _HeaderClasses(HeaderRegistry):
    """The standard registry, each header's class made once: the stdlib builds a new class
    (`type(...)`) for every header set or read, which was a tenth of the mail thread's time."""

    @functools.cache  # noqa: B019  # one registry for the process's life
    def __getitem__(self, name: str) -> type[BaseHeader]:
        header: type[BaseHeader] = super().__getitem__(name.lower())
        return header


# `email.policy.default` but for its header classes: the same messages, byte for byte.
POLICY: Final = email.policy.default.clone(header_factory=_HeaderClasses())


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): retrying will not help."""


def build_message(row: MailOutbox, settings: Settings) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["Subject"] = row.subject
    message["From"] = settings.mail_from
    message["To"] = row.to_address
    message["Date"] = format_datetime(row.created_at)
    # Stable across retries: a copy re-sent after a crash is recognisably the same message.
    domain = settings.mail_from.rsplit("@", 1)[-1].rstrip(">") or "bizreg"
    message["Message-ID"] = f"<{row.id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    track_url = f"{settings.public_base_url.rstrip('/')}/track"
    message.set_content(row.body.replace(TRACK_URL, track_url), charset="utf-8")
    message["Content-Language"] = row.language  # after set_content, which clears Content-*
    return message


def _send_smtp(
    message: EmailMessage, target: SmtpTarget, timeout: float, ca_file: Path | None
) -> str:
    # Always verified: a relay that cannot prove its name does not get investors' mail.
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    server: smtplib.SMTP
    if target.implicit_tls:
        server = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
    else:
        server = smtplib.SMTP(target.host, target.port, timeout=timeout)
    try:
        server.ehlo()
        secure = target.implicit_tls
        if target.starttls != "never":
            if server.has_extn("starttls"):
                server.starttls(context=context)
                server.ehlo()
                secure = True
            elif target.starttls == "required":
                raise smtplib.SMTPException("the SMTP server does not offer STARTTLS")
        if target.username is not None:
            if not secure:
                # Kept and retried: a relay that lost STARTTLS must not learn the password.
                raise smtplib.SMTPException("refusing to send SMTP credentials without TLS")
            server.login(target.username, target.password or "")
        refused = server.send_message(message)
        if refused:
            raise PermanentFailure(f"recipients refused: {refused}")
        return "250 accepted"
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            server.close()


def _write_eml(message: EmailMessage, directory: Path, row_id: str) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{row_id}.eml"
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(bytes(message))
    temporary.replace(path)
    return f"written to {path}"


def claim_due(engine: Engine, now: datetime, limit: int = 20) -> list[MailOutbox]:
    free = or_(col(MailOutbox.locked_until).is_(None), col(MailOutbox.locked_until) <= now)
    statement = (
        select(MailOutbox)
        .where(MailOutbox.status == "pending", col(MailOutbox.next_attempt_at) <= now, free)
        .order_by(col(MailOutbox.created_at), col(MailOutbox.seq))
        .limit(limit)
    )
    with Session(engine, expire_on_commit=False) as session:
        due = list(session.exec(statement))
        if not due:
            return []
        # One conditional UPDATE leases them all: a row another sender leased meanwhile no
        # longer matches `free` and is not returned (one commit, not one per message).
        leased = set(
            session.scalars(
                update(MailOutbox)
                .where(col(MailOutbox.id).in_([row.id for row in due]), free)
                .values(locked_until=now + LEASE)
                .returning(col(MailOutbox.id))
            )
        )
        session.commit()
    return [row for row in due if row.id in leased]


def deliver(engine: Engine, row: MailOutbox, settings: Settings) -> bool:
    """Send one claimed message and record the outcome; True if it went out."""
    started = time.monotonic()
    outcome, detail = "sent", ""
    try:
        message = build_message(row, settings)
        if settings.smtp_url is None:
            detail = _write_eml(message, settings.data_dir / "mail", row.id)
        else:
            target = SmtpTarget.parse(settings.smtp_url.get_secret_value())
            detail = _send_smtp(
                message, target, settings.smtp_timeout_seconds, settings.smtp_ca_file
            )
    except (PermanentFailure, smtplib.SMTPRecipientsRefused) as failure:
        outcome, detail = "failed", f"{type(failure).__name__}: {failure}"
    except smtplib.SMTPAuthenticationError as failure:
        # Our credentials, not the message: kept and retried until the operator fixes them.
        outcome, detail = "retry", f"{failure.smtp_code} authentication refused"
    except smtplib.SMTPResponseException as failure:
        # 5xx is the server's final word on this message; 4xx (and anything else) is retried.
        permanent = 500 <= failure.smtp_code < 600
        outcome, detail = ("failed" if permanent else "retry"), f"{failure.smtp_code} {failure}"
    except (smtplib.SMTPException, OSError, ValueError, UnicodeError) as failure:
        outcome, detail = "retry", f"{type(failure).__name__}: {failure}"
    elapsed_ms = int((time.monotonic() - started) * 1000)
    now = utcnow()
    attempt = row.attempts + 1
    values: dict[str, Any] = {"attempts": attempt, "locked_until": None}
    if outcome == "sent":
        values |= {"status": "sent", "sent_at": now}
    elif outcome == "failed" or attempt >= settings.mail_max_attempts:
        outcome = "failed"
        values |= {"status": "failed"}
        log.warning("e-mail %s to %s failed for good: %s", row.id, row.to_address, detail)
    else:
        delay = retry_delay(
            attempt, settings.mail_retry_base_seconds, settings.mail_retry_cap_seconds
        )
        values |= {"next_attempt_at": now + timedelta(seconds=delay)}
    # Two Core statements, not a Session's unit of work: the bookkeeping of each message was
    # most of the mail thread's database time, in the API processes.
    with engine.begin() as connection:
        connection.execute(
            insert(MailDelivery).values(
                outbox_id=row.id,
                attempt=attempt,
                outcome=outcome,
                detail=detail[:500],
                duration_ms=elapsed_ms,
                at=now,
            )
        )
        connection.execute(update(MailOutbox).where(col(MailOutbox.id) == row.id).values(**values))
    return outcome == "sent"


def deliver_due(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Send every message that is due; returns how many went out."""
    return sum(deliver(engine, row, settings) for row in claim_due(engine, now or utcnow()))


def delivery_log(session: Session, outbox_id: str) -> list[MailDelivery]:
    statement = (
        select(MailDelivery)
        .where(MailDelivery.outbox_id == outbox_id)
        .order_by(col(MailDelivery.attempt))
    )
    return list(session.exec(statement))
