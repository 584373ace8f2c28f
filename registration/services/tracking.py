"""The investor's tracking reference and code, and looking a case up with them.

The reference is printed on the bank's receipt and in every e-mail; the code (100 random bits)
only on the receipt, and only its SHA-256 is kept — with that much randomness a slow hash buys
nothing. A lookup answers the same for an unknown reference as for a wrong code, and wrong
attempts are throttled per address and per reference in the security events' buckets, so
guessing a code is out of reach (each reference: 5 wrong codes per 15 minutes)."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlmodel import Session, select

from registration.db import utcnow
from registration.domain.security_events import SecurityEventKind
from registration.errors import TrackingNotFound, TrackingThrottled
from registration.models import Application
from registration.services import security_events

# Crockford's base32: no I, L, O, U, so a code read aloud or typed from paper survives.
_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE: Final = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V", "-": None, " ": None})
REFERENCE_CHARS: Final = 10  # 50 bits: unique by index, not secret
CODE_CHARS: Final = 20  # 100 bits
WINDOW: Final = timedelta(minutes=15)
MAX_FAILURES_PER_REFERENCE: Final = 5
MAX_FAILURES_PER_ADDRESS: Final = 20
_FAILED = SecurityEventKind.TRACKING_FAILED


def _random(chars: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(chars))


def _grouped(value: str) -> str:
    return "-".join(value[i : i + 4] for i in range(0, len(value), 4))


def normalise(value: str) -> str:
    """What the investor typed, as stored: case, dashes, spaces and look-alikes forgiven."""
    return value.upper().translate(_CONFUSABLE)


def code_sha256(code: str) -> str:
    return hashlib.sha256(normalise(code).encode("ascii", "replace")).hexdigest()


def new_reference() -> str:
    return "DG" + _random(REFERENCE_CHARS)


def new_code() -> str:
    """A fresh code, grouped for reading (`XXXX-XXXX-XXXX-XXXX-XXXX`)."""
    return _grouped(_random(CODE_CHARS))


def display_reference(reference: str) -> str:
    return f"{reference[:2]}-{_grouped(reference[2:])}"


def assign(application: Application, code: str | None = None) -> str:
    """Give `application` a reference (once) and a code (replacing any earlier one); returns
    the code, which is never stored."""
    if application.tracking_reference is None:
        application.tracking_reference = new_reference()
    code = code or new_code()
    application.tracking_code_sha256 = code_sha256(code)
    return code


@dataclass(frozen=True)
class Attempt:
    reference: str
    code: str
    address: str


def find(session: Session, attempt: Attempt, now: datetime | None = None) -> Application:
    """The application the reference and code open, or `TrackingNotFound`; refused with 429
    before any check while the reference or the address has too many recent failures."""
    at = now or utcnow()
    reference = normalise(attempt.reference)[:40]
    _refuse_if_throttled(session, reference, attempt.address, at)
    application = session.exec(
        select(Application).where(Application.tracking_reference == reference)
    ).first()
    stored = application.tracking_code_sha256 if application is not None else None
    # Compared in constant time, and a hash is computed even for an unknown reference.
    given = code_sha256(attempt.code[:64])
    if application is None or stored is None or not hmac.compare_digest(given, stored):
        security_events.record(session, _FAILED, reference, attempt.address, now=at)
        session.commit()  # the failure counts although the request fails
        raise TrackingNotFound("no application matches this tracking reference and code")
    return application


def _refuse_if_throttled(session: Session, reference: str, address: str, at: datetime) -> None:
    since = at - WINDOW
    for subject, addr, limit in (
        (reference, None, MAX_FAILURES_PER_REFERENCE),
        (None, address, MAX_FAILURES_PER_ADDRESS),
    ):
        failures = security_events.count_since(session, _FAILED, since, subject, addr)
        if failures < limit:
            continue
        latest = security_events.latest_since(session, _FAILED, since, subject, addr) or at
        retry_after = max(1, math.ceil((latest + WINDOW - at).total_seconds()))
        raise TrackingThrottled(
            f"too many wrong tracking codes: wait {retry_after} s before trying again",
            retry_after=retry_after,
        )
