"""Uploads are verified in worker processes within a time and memory budget (issue 15): a
document over budget is INDETERMINATE (never TOTAL_FAILED: nothing was proven), its worker is
replaced, and the next document is judged as if nothing had happened."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Sequence

import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from signing.verification import Indication, SubIndication
from tests.verification.conftest import Genuine
from verification.isolation import (
    BUDGET_EXCEEDED,
    WORKER_FAILED,
    IsolatedVerifier,
    WorkerUnavailable,
)
from verification.licence import LicenceVerifier, assess


def _hostile(pdf: bytes, size: int = 150_000) -> bytes:
    """A genuine licence plus an update adding a long array to its DSS: within the size caps,
    but every element must be parsed (~1 s of CPU) before the verifier can refuse it."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    array = generic.ArrayObject([generic.NumberObject(1)] * size)
    writer.root["/DSS"] = writer.add_object(generic.DictionaryObject({"/X": array}))
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pool(genuine: Genuine, budget: float, memory: int = 1024 * 1024 * 1024) -> IsolatedVerifier:
    pem = genuine.root.public_bytes(serialization.Encoding.PEM)
    crls = genuine.authority.pki.crls_der
    return IsolatedVerifier(
        pem, crls=crls, workers=2, budget_seconds=budget, memory_bytes=memory, max_bytes=512 * 1024
    )


@pytest.fixture
def pool(genuine: Genuine) -> Iterator[IsolatedVerifier]:
    pool = _pool(genuine, budget=0.6)
    yield pool
    pool.close()


def test_a_genuine_licence_gets_the_same_verdict_as_in_process(
    pool: IsolatedVerifier, genuine: Genuine
) -> None:
    isolated = pool.verify(genuine.blt)
    assert isolated.cpu_seconds is not None
    assert isolated.cpu_seconds > 0
    here = LicenceVerifier([genuine.root], crls=genuine.authority.pki.crls_der)
    expected = here.signatures.verify(genuine.blt)
    assert isolated.signature.indication is Indication.TOTAL_PASSED
    assert isolated.signature.level == expected.level
    assert isolated.signature.signer == expected.signer
    assert isolated.signature.attachments == expected.attachments
    report = assess(genuine.blt, isolated.signature, None)
    assert report.passed
    assert report.licence is not None


def test_over_budget_is_indeterminate_and_the_worker_is_replaced(
    pool: IsolatedVerifier, genuine: Genuine
) -> None:
    assert pool.verify(genuine.blt).signature.passed  # warm: the worker exists
    result = pool.verify(_hostile(genuine.blt))
    assert result.cpu_seconds is None
    assert result.signature.indication is Indication.INDETERMINATE
    assert result.signature.sub_indication is SubIndication.GENERIC
    assert [f.code for f in result.signature.findings] == [BUDGET_EXCEEDED]
    report = assess(genuine.blt, result.signature, None)
    assert not report.passed
    assert report.reason == BUDGET_EXCEEDED
    assert pool.started <= 1  # the stuck worker is gone
    again = pool.verify(genuine.blt)  # a fresh worker answers the next document
    assert again.signature.passed


def test_within_budget_a_hostile_upload_is_judged_normally(genuine: Genuine) -> None:
    pool = _pool(genuine, budget=60)
    try:
        result = pool.verify(_hostile(genuine.blt, size=20_000))
        assert result.cpu_seconds is not None
        assert result.signature.indication is not Indication.TOTAL_PASSED
        assert BUDGET_EXCEEDED not in [f.code for f in result.signature.findings]
    finally:
        pool.close()


def _address_space(pool: IsolatedVerifier, field: str) -> int:
    (worker,) = pool._all
    with open(f"/proc/{worker.process.pid}/status") as status:
        line = next(line for line in status if line.startswith(f"{field}:"))
    return int(line.split()[1]) * 1024


def test_memory_is_capped_per_document(genuine: Genuine) -> None:
    """Measured first without a cap: what a worker maps, and what it needs for a licence and
    for the hostile file (more: its array is parsed into objects). A cap between the two
    refuses the hostile file without a verdict of authenticity; the next document is fine."""
    hostile = _hostile(genuine.blt)
    free = _pool(genuine, budget=60, memory=0)
    try:
        assert free.verify(genuine.blt).signature.passed
        base = _address_space(free, "VmSize")
        for_licence = _address_space(free, "VmPeak")
        free.verify(hostile)
        for_hostile = _address_space(free, "VmPeak")
    finally:
        free.close()
    assert for_hostile > for_licence + 32 * 1024 * 1024
    pool = _pool(genuine, budget=60, memory=(for_licence + for_hostile) // 2 - base)
    try:
        assert pool.verify(genuine.blt).signature.passed
        codes = [f.code for f in pool.verify(hostile).signature.findings]
        assert codes[0] in ("too_large", "unreadable_pdf", WORKER_FAILED), codes
        assert pool.verify(genuine.blt).signature.passed
    finally:
        pool.close()


def test_a_worker_that_cannot_start_is_the_service_s_fault(genuine: Genuine) -> None:
    pool = IsolatedVerifier(
        b"not a certificate",
        crls=genuine.authority.pki.crls_der,
        workers=1,
        budget_seconds=30,
        memory_bytes=0,
        max_bytes=512 * 1024,
    )
    try:
        with pytest.raises(WorkerUnavailable):
            pool.verify(genuine.blt)
        assert pool.started == 0
    finally:
        pool.close()


def test_a_worker_killed_mid_document_is_indeterminate(
    pool: IsolatedVerifier, genuine: Genuine
) -> None:
    assert pool.verify(genuine.blt).signature.passed
    (worker,) = pool._all  # the one worker, about to take the next document
    killer = threading.Timer(0.2, worker.process.kill)
    killer.start()
    result = pool.verify(_hostile(genuine.blt))
    killer.join()
    assert result.signature.indication is Indication.INDETERMINATE
    assert [f.code for f in result.signature.findings] == [WORKER_FAILED]
    assert pool.verify(genuine.blt).signature.passed


def test_a_crl_fault_is_ours_not_the_document_s(genuine: Genuine) -> None:
    def broken() -> Sequence[bytes]:
        raise PermissionError("read-only data directory")

    pem = genuine.root.public_bytes(serialization.Encoding.PEM)
    pool = IsolatedVerifier(
        pem, crls=broken, workers=1, budget_seconds=30, memory_bytes=0, max_bytes=512 * 1024
    )
    try:
        result = pool.verify(genuine.blt)
        assert result.signature.indication is Indication.INDETERMINATE
        assert result.signature.sub_indication is SubIndication.TRY_LATER
        assert "crl_unavailable" in [f.code for f in result.signature.findings]
    finally:
        pool.close()


def test_closed_pool_kills_its_workers(genuine: Genuine) -> None:
    pool = _pool(genuine, budget=30)
    assert pool.verify(genuine.blt).signature.passed
    assert pool.started == 1
    pool.close()
    assert pool.started == 0
