"""Anonymous uploads to the verifiers are bounded (issue 15): per address a minute (429), and
at most `max_concurrent_verifications` at once per process (503 with Retry-After), so hostile
PDFs cannot take every request thread."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from registration.app import create_app
from registration.issuance.authority import LicenceAuthority
from registration.settings import Settings
from tests.signing.support import make_licence_pdf


@pytest.fixture
def limited(
    settings: Settings, engine: Engine, authority: LicenceAuthority
) -> Iterator[TestClient]:
    tight = settings.model_copy(
        update={"verify_uploads_per_minute": 5, "max_concurrent_verifications": 1}
    )
    with TestClient(create_app(tight, authority=authority), base_url=settings.base_url) as client:
        yield client


def _upload(client: TestClient, path: str = "/api/v1/verify") -> object:
    return client.post(path, files={"file": ("x.pdf", make_licence_pdf(), "application/pdf")})


def test_uploads_per_address_are_limited(limited: TestClient) -> None:
    for _ in range(5):
        assert _upload(limited).status_code == 200  # type: ignore[attr-defined]
    refused = _upload(limited)
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert refused.json()["code"] == "rate_limited"  # type: ignore[attr-defined]
    assert int(refused.headers["Retry-After"]) >= 1  # type: ignore[attr-defined]
    page = _upload(limited, "/verify")  # the page shares the address's budget
    assert page.status_code == 429  # type: ignore[attr-defined]


def test_a_busy_verifier_answers_503_at_once(limited: TestClient) -> None:
    assert _upload(limited).status_code == 200  # type: ignore[attr-defined]
    slots = limited.app.state.verification_slots[False]  # type: ignore[attr-defined]
    assert slots.acquire(timeout=1)  # a slow upload holds the only slot
    try:
        busy = _upload(limited)
        assert busy.status_code == 503  # type: ignore[attr-defined]
        assert busy.headers["Retry-After"] == "2"  # type: ignore[attr-defined]
        assert limited.get("/healthz").status_code == 200
    finally:
        slots.release()
    assert _upload(limited).status_code == 200  # type: ignore[attr-defined]


def test_large_documents_wait_on_their_own_slot(limited: TestClient) -> None:
    """A licence-sized upload is verified while a large (hostile-sized) one holds its slot."""
    large = limited.app.state  # type: ignore[attr-defined]
    assert _upload(limited).status_code == 200  # type: ignore[attr-defined]
    big_slot = large.verification_slots[True]
    assert big_slot.acquire(timeout=1)
    try:
        assert _upload(limited).status_code == 200  # type: ignore[attr-defined]
        padded = make_licence_pdf() + b"%" + b"x" * (200 * 1024) + b"\n"
        busy = limited.post(
            "/api/v1/verify", files={"file": ("big.pdf", padded, "application/pdf")}
        )
        assert busy.status_code == 503
    finally:
        big_slot.release()


def test_an_upload_over_its_time_budget_is_set_aside_unjudged(
    settings: Settings, engine: Engine, authority: LicenceAuthority
) -> None:
    """Each upload is verified in a worker process within `verify_budget_seconds`; the report
    says the verifier gave up (INDETERMINATE), not that the document is forged, and the
    worker that was stuck is replaced."""
    tight = settings.model_copy(update={"verify_budget_seconds": 0.001})
    with TestClient(create_app(tight, authority=authority), base_url=settings.base_url) as client:
        answer = client.post(
            "/api/v1/verify", files={"file": ("x.pdf", make_licence_pdf(), "application/pdf")}
        )
        assert answer.status_code == 200
        report = answer.json()
        assert report["indication"] == "INDETERMINATE"
        assert report["sub_indication"] == "GENERIC"
        assert report["reason"] == "verification_budget_exceeded"
        assert report["passed"] is False
        metrics = client.get("/metrics").text
        assert (
            'bizreg_verifications_abandoned_total{reason="verification_budget_exceeded"} 1.0'
            in (metrics)
        )
        assert client.get("/healthz").status_code == 200


def test_upload_verification_cost_is_measured(limited: TestClient) -> None:
    assert _upload(limited).status_code == 200  # type: ignore[attr-defined]
    metrics = limited.get("/metrics").text
    assert "bizreg_verification_cpu_seconds_count 1.0" in metrics
    assert "bizreg_verification_slots_busy 0.0" in metrics
