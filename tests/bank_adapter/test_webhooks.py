"""Signed status-change webhooks, and the retry schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bank_adapter import (
    InMemoryNonceStore,
    PrivateKey,
    StatusChangeEvent,
    build_webhook_request,
    retry_delay,
    verify_request,
)
from tests.bank_adapter.conftest import NOW

CALLBACK = "https://api.boc.example/bizreg/callbacks?terminal=T01"
EVENT = StatusChangeEvent(
    event_id="evt_01JDX6",
    application_id="01JDX5P6F3G0Q8M2ZC1R7K9TBA",
    previous_status="submitted",
    status="returned",
    occurred_at=datetime(2025, 11, 29, 8, 0, 5, tzinfo=UTC),
    reasons=({"field": "business_scope", "code": "needs_permit", "message": "食品销售需许可证"},),
)


def test_webhook_is_signed_and_verifies(private_key: PrivateKey) -> None:
    request = build_webhook_request(
        CALLBACK, EVENT, key=private_key, keyid="authority-2025", created=NOW
    )
    assert request.method == "POST"
    assert request.url == CALLBACK
    assert request.headers["Content-Type"] == "application/json"
    assert set(request.headers) == {
        "Content-Type",
        "Content-Digest",
        "Signature-Input",
        "Signature",
    }

    verified = verify_request(
        request.method,
        request.url,
        request.headers,
        request.body,
        resolve_key={"authority-2025": private_key.public_key()}.get,
        now=NOW + timedelta(seconds=2),
        nonce_store=InMemoryNonceStore(),
        required_components=("@method", "@target-uri", "content-digest", "content-type"),
    )
    assert verified.keyid == "authority-2025"
    assert verified.covered_components == (
        "@method",
        "@target-uri",
        "content-digest",
        "content-type",
    )


def test_body_is_the_event_as_compact_sorted_utf8_json(private_key: PrivateKey) -> None:
    request = build_webhook_request(CALLBACK, EVENT, key=private_key, keyid="a")
    assert json.loads(request.body) == {
        "id": "evt_01JDX6",
        "type": "application.status_changed",
        "application_id": "01JDX5P6F3G0Q8M2ZC1R7K9TBA",
        "previous_status": "submitted",
        "status": "returned",
        "occurred_at": "2025-11-29T08:00:05Z",
        "reasons": [
            {"field": "business_scope", "code": "needs_permit", "message": "食品销售需许可证"}
        ],
        "licence_uscc": None,
    }
    assert "食品销售".encode() in request.body
    assert b": " not in request.body
    again = build_webhook_request(CALLBACK, EVENT, key=private_key, keyid="a")
    assert again.body == request.body


def test_each_attempt_gets_a_fresh_nonce(private_key: PrivateKey) -> None:
    first = build_webhook_request(CALLBACK, EVENT, key=private_key, keyid="a", created=NOW)
    second = build_webhook_request(CALLBACK, EVENT, key=private_key, keyid="a", created=NOW)
    assert first.headers["Signature-Input"] != second.headers["Signature-Input"]


def test_issued_event_carries_the_licence_number(private_key: PrivateKey) -> None:
    issued = StatusChangeEvent(
        event_id="evt_2",
        application_id="a1",
        previous_status="approved",
        status="issued",
        occurred_at=datetime(2025, 11, 29, 8, 0, 6, tzinfo=UTC),
        licence_uscc="91441900MA4W1234X5",
    )
    request = build_webhook_request(CALLBACK, issued, key=private_key, keyid="a")
    assert json.loads(request.body)["licence_uscc"] == "91441900MA4W1234X5"


def test_naive_event_time_is_refused(private_key: PrivateKey) -> None:
    naive = StatusChangeEvent("e", "a", "draft", "submitted", datetime(2025, 11, 29, 8, 0))
    with pytest.raises(ValueError, match="timezone"):
        build_webhook_request(CALLBACK, naive, key=private_key, keyid="a")


# --- retry_delay ----------------------------------------------------------------------------


def test_full_jitter_doubles_and_caps() -> None:
    half = lambda: 0.5  # noqa: E731
    assert [retry_delay(n, jitter=half) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert retry_delay(12, jitter=half) == 1024.0  # ceiling 2048 s
    assert retry_delay(13, jitter=half) == 1800.0  # ceiling 4096 s, capped at 3600 s
    assert retry_delay(10_000, jitter=half) == 1800.0  # no overflow
    assert retry_delay(3, base_seconds=10, cap_seconds=25, jitter=half) == 12.5


def test_full_jitter_spans_zero_to_the_ceiling() -> None:
    assert retry_delay(4, jitter=lambda: 0.0) == 0.0
    assert retry_delay(4, jitter=lambda: 0.999) == pytest.approx(7.992)


def test_equal_jitter_keeps_at_least_half() -> None:
    assert retry_delay(4, jitter=lambda: 0.0, mode="equal") == 4.0
    assert retry_delay(4, jitter=lambda: 0.5, mode="equal") == 6.0
    assert retry_delay(4, jitter=lambda: 0.999, mode="equal") < 8.0


@given(
    attempt=st.integers(min_value=1, max_value=500), fraction=st.floats(0.0, 1.0, exclude_max=True)
)
def test_delay_is_within_bounds(attempt: int, fraction: float) -> None:
    ceiling = min(3600.0, 2.0 ** min(attempt - 1, 64))
    full = retry_delay(attempt, jitter=lambda: fraction)
    equal = retry_delay(attempt, jitter=lambda: fraction, mode="equal")
    assert 0.0 <= full <= ceiling
    assert ceiling / 2 <= equal <= ceiling


def test_default_randomness_stays_in_bounds() -> None:
    delays = [retry_delay(5) for _ in range(200)]
    assert all(0.0 <= d < 16.0 for d in delays)
    assert len(set(delays)) > 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"attempt": 0},
        {"attempt": 1, "base_seconds": 0},
        {"attempt": 1, "cap_seconds": -1},
        {"attempt": 1, "jitter": lambda: 1.0},
        {"attempt": 1, "mode": "decorrelated"},
    ],
)
def test_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        retry_delay(**kwargs)  # type: ignore[arg-type]
