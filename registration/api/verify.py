"""POST /api/v1/verify: anyone uploads a licence PDF and gets the verification report.

The report is the same as the web page's and the CLI's (`verification.VerificationReport`):
an ETSI EN 319 102-1 indication, whether the licence is in force, and the details. A PDF that
fails verification is still a 200 with a TOTAL_FAILED report — the request itself was fine;
only an upload that is too large (413) or not a PDF at all (400) is refused as a request.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any, BinaryIO, Final

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import JSONResponse

from registration.api.deps import SessionDep
from registration.api.metrics import VerificationMetrics
from registration.api.overload import OVERLOAD_ERRORS
from registration.api.problems import problem_responses
from registration.domain.security_events import SecurityEventKind
from registration.errors import (
    NotAPdf,
    PayloadInvalid,
    PayloadTooLarge,
    RateLimited,
    ServiceUnavailable,
)
from registration.services import rate_limits
from registration.services.verification import (
    service_verifier,
    session_notices,
    session_registry,
)
from verification import LicenceVerifier, VerificationReport
from verification.isolation import IsolatedVerifier, WorkerUnavailable
from verification.licence import assess

_SLOTS_LOCK: Final = threading.Lock()
_SLOT_WAIT_SECONDS: Final = 0.5
# A licence is 80-96 KB and each archive renewal adds ~12 KB (signing/verification/limits.py):
# anything beyond this is verified in the single slot for large documents.
LICENCE_SIZED_BYTES: Final = 192 * 1024

router = APIRouter(
    prefix="/api/v1", tags=["verification"], responses=problem_responses(*OVERLOAD_ERRORS)
)

_EXAMPLE: dict[str, Any] = {
    "indication": "TOTAL_PASSED",
    "sub_indication": None,
    "verdict": "in_force",
    "reason": "in_force",
    "in_force": True,
    "problems": [],
    "checked_at": "2026-11-29T08:00:00+00:00",
    "document": {"sha256": "…", "bytes": 80671},
    "signature": {
        "indication": "TOTAL_PASSED",
        "level": "B-LT",
        "intact": True,
        "coverage": {"whole_file": True, "modification_level": "none"},
        "signer": {"subject": "CN=… Licence Signing …"},
        "timestamp": {"time": "2026-11-29T07:59:58+00:00", "trusted": True},
        "revocation": {"status": "good", "source": "current"},
    },
    "licence": {"uscc": "91441900MA5HUP2D2X", "version": 1, "verified": True, "data": {}},
    "registry": {"found": True, "status": "active", "file_match": "identical"},
}


def licence_verifier(request: Request) -> LicenceVerifier:
    """The app's verifier, built on first use from its authority (root + current CRLs)."""
    state = request.app.state
    verifier: LicenceVerifier | None = getattr(state, "licence_verifier", None)
    if verifier is None:
        verifier = service_verifier(state.authority, state.settings.max_upload_bytes)
        state.licence_verifier = verifier
    return verifier


def verification_metrics(request: Request) -> VerificationMetrics | None:
    metrics = getattr(request.app.state, "verification_metrics", None)
    return metrics if isinstance(metrics, VerificationMetrics) else None


def isolated_verifier(request: Request) -> IsolatedVerifier:
    """The app's pool of verifying processes for uploads, started on first use and stopped
    with the app; one worker per verification slot, so a slot holder never waits for one."""
    state = request.app.state
    pool: IsolatedVerifier | None = getattr(state, "isolated_verifier", None)
    if pool is None:
        with _SLOTS_LOCK:
            pool = getattr(state, "isolated_verifier", None)
            if pool is None:
                settings = state.settings
                pki = state.authority.pki
                pool = IsolatedVerifier(
                    pki.trust_pem(),
                    crls=pki.crls_der,
                    workers=settings.max_concurrent_verifications + 1,
                    budget_seconds=settings.verify_budget_seconds,
                    memory_bytes=settings.verify_memory_mib * 1024 * 1024,
                    max_bytes=licence_verifier(request).max_bytes,
                )
                state.isolated_verifier = pool
                request.app.router.on_shutdown.append(pool.close)
    return pool


def read_licence_upload(stream: BinaryIO, max_bytes: int) -> bytes:
    """The uploaded bytes; 413 over the limit, 400 when they are not a PDF."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"licences are at most {max_bytes} bytes")
    if not data.startswith(b"%PDF-"):
        raise NotAPdf("the upload is not a PDF (it does not start with %PDF-)")
    return data


def _verification_slots(request: Request, large: bool) -> threading.BoundedSemaphore:
    """The process's verification slots: `max_concurrent_verifications` for documents of a
    licence's size, one for anything larger — where hostile uploads live (parsing is linear in
    the bytes), so a flood of them waits on itself, not on genuine verifications."""
    state = request.app.state
    slots: dict[bool, threading.BoundedSemaphore] | None = getattr(
        state, "verification_slots", None
    )
    if slots is None:
        with _SLOTS_LOCK:
            slots = getattr(state, "verification_slots", None)
            if slots is None:
                count = state.settings.max_concurrent_verifications
                slots = {
                    False: threading.BoundedSemaphore(count),
                    True: threading.BoundedSemaphore(1),
                }
                state.verification_slots = slots
    return slots[large]


def verify_upload(request: Request, session: SessionDep, stream: BinaryIO) -> VerificationReport:
    """Verify an uploaded document, within the address's rate (429) and the process's
    concurrent verifications (503 with Retry-After): anonymous uploads may be hostile, and a
    pathological PDF costs seconds of CPU."""
    settings = request.app.state.settings
    address = request.client.host if request.client else "unknown"
    rate_limits.spend(
        session, SecurityEventKind.VERIFY_UPLOAD, address, settings.verify_uploads_per_minute
    )
    verifier = licence_verifier(request)
    data = read_licence_upload(stream, verifier.max_bytes)
    slots = _verification_slots(request, large=len(data) > LICENCE_SIZED_BYTES)
    metrics = verification_metrics(request)
    if not slots.acquire(timeout=_SLOT_WAIT_SECONDS):
        if metrics is not None:
            metrics.refused.inc()
        raise ServiceUnavailable(
            "every verification slot is busy: try again shortly", retry_after=2
        )
    try:
        if metrics is None:
            return _verify(request, session, data)
        with metrics.busy.track_inprogress():
            return _verify(request, session, data)
    finally:
        slots.release()


def _verify(request: Request, session: SessionDep, data: bytes) -> VerificationReport:
    try:
        result = isolated_verifier(request).verify(data)
    except WorkerUnavailable as exc:
        raise ServiceUnavailable(f"the verifier cannot run now: {exc}", retry_after=5) from exc
    metrics = verification_metrics(request)
    if metrics is not None and result.cpu_seconds is not None:
        metrics.cpu.observe(result.cpu_seconds)
    elif metrics is not None:
        metrics.abandoned.labels(result.signature.findings[0].code).inc()
    return assess(
        data,
        result.signature,
        session_registry(session, request.app.state.settings),
        session_notices(session),
    )


@router.post(
    "/verify",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "The verification report (also for licences that fail it)",
            "content": {"application/json": {"example": _EXAMPLE}},
        },
        **problem_responses(NotAPdf, PayloadTooLarge, PayloadInvalid, RateLimited),
    },
)
def verify(
    request: Request,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="The licence PDF to verify")],
) -> JSONResponse:
    """Verify a licence PDF: authentic, unaltered, issued by the authority, in force? Public."""
    report = verify_upload(request, session, file.file)
    return JSONResponse(report.to_json())
