"""Webhooks to banks: a signed POST for each status change, and the retry schedule.

The authority signs each webhook with its own key, exactly as terminals sign their requests
(RFC 9421 over `@method`, `@target-uri`, `content-digest` and `content-type`, with `created`,
`nonce`, `keyid`), so a bank verifies it with the same code — or any RFC 9421 library — and
our published public key. The event id in the body lets the bank drop duplicates: delivery is
at least once, because a bank that processed a webhook may still fail to answer 2xx.

Delivery itself (the outbox, the loop, giving up) belongs to the application; this module
only builds requests and computes delays, so both are pure and testable.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal, TypeAlias

from bank_adapter.http_signatures import sign_request
from bank_adapter.keys import PrivateKey

__all__ = [
    "STATUS_CHANGED",
    "JitterMode",
    "StatusChangeEvent",
    "WebhookRequest",
    "build_webhook_request",
    "retry_delay",
]

STATUS_CHANGED: Final = "application.status_changed"

JitterMode: TypeAlias = Literal["full", "equal"]


@dataclass(frozen=True)
class StatusChangeEvent:
    """An application moved from one status to another (DESIGN §2)."""

    event_id: str
    application_id: str
    previous_status: str
    status: str
    occurred_at: datetime
    reasons: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    """Itemised reasons for a return or rejection, as the application records them."""
    licence_uscc: str | None = None
    """The licence number, once one has been issued."""
    notice_url: str | None = None
    """The authority's signed notice of this step (acceptance, return, rejection, approval),
    a path under the API's base URL; it answers 404 `notice_not_found` for the second or so
    until the notice is signed."""

    def to_json(self) -> dict[str, Any]:
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        notice = {} if self.notice_url is None else {"notice_url": self.notice_url}
        return notice | {
            "id": self.event_id,
            "type": STATUS_CHANGED,
            "application_id": self.application_id,
            "previous_status": self.previous_status,
            "status": self.status,
            "occurred_at": self.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "reasons": [dict(reason) for reason in self.reasons],
            "licence_uscc": self.licence_uscc,
        }


@dataclass(frozen=True)
class WebhookRequest:
    """A ready-to-send request: hand these four values to any HTTP client."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes


def build_webhook_request(
    callback_url: str,
    event: StatusChangeEvent,
    *,
    key: PrivateKey,
    keyid: str,
    created: datetime | None = None,
    nonce: str | None = None,
) -> WebhookRequest:
    """Serialize `event` as JSON and sign the POST to the bank's `callback_url`.

    Build a fresh request for every delivery attempt: each attempt needs its own `created`
    and `nonce`, or the bank's replay protection would (rightly) refuse the retry.
    """
    # Compact, sorted, UTF-8: the exact bytes are what the digest covers, so make them
    # reproducible; names and reasons stay readable in Chinese rather than \u escapes.
    body = json.dumps(
        event.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    headers |= sign_request(
        "POST",
        callback_url,
        headers,
        body,
        key=key,
        keyid=keyid,
        created=created,
        nonce=nonce,
        covered_fields=("content-type",),
    )
    return WebhookRequest(method="POST", url=callback_url, headers=headers, body=body)


def retry_delay(
    attempt: int,
    base_seconds: float = 1.0,
    cap_seconds: float = 3600.0,
    jitter: Callable[[], float] = random.random,
    *,
    mode: JitterMode = "full",
) -> float:
    """Seconds to wait before retry number `attempt` (1 = the first retry).

    Exponential: the ceiling doubles with each attempt, `base * 2**(attempt - 1)`, capped at
    `cap_seconds`. Jitter spreads the retries of many webhooks that failed together (a bank
    outage) so they do not return in lockstep (M. Brooker, "Exponential Backoff And Jitter",
    AWS Architecture Blog, 2015):

    - `"full"` (default): uniform in [0, ceiling). Least total load on the recovering bank.
    - `"equal"`: ceiling/2 + uniform in [0, ceiling/2). Never retries sooner than half the
      ceiling, at the cost of slightly more clustering.

    `jitter` returns uniform floats in [0, 1); inject a fixed one in tests. Not for secrets,
    so the `random` module is fine.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    if base_seconds <= 0 or cap_seconds <= 0:
        raise ValueError("base_seconds and cap_seconds must be positive")
    # Past 2**64 the float would only overflow on its way to the cap.
    exponent = min(attempt - 1, 64)
    ceiling = min(cap_seconds, base_seconds * 2.0**exponent)
    fraction = jitter()
    if not 0.0 <= fraction < 1.0:
        raise ValueError("jitter() must return a float in [0, 1)")
    if mode == "full":
        return ceiling * fraction
    if mode == "equal":
        return ceiling / 2 + (ceiling / 2) * fraction
    raise ValueError(f"unknown jitter mode {mode!r}")
