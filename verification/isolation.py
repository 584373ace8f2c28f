"""Verifying untrusted documents in worker processes, each within a time and memory budget.

The structural caps (`signing.verification.limits`) bound what a document may make the parser
do, but anonymous uploads can still be crafted to cost seconds of CPU within them. In the
service such a document must cost only its own budget: here each signature verification runs
in a worker process of a small pool, limited in address space, and a document that has not
been answered within `budget_seconds` has its worker killed (and replaced) and is reported as
INDETERMINATE — the verifier gave up, nothing was proven either way.

Workers are forked from a forkserver that has already imported the verifier, so replacing one
costs milliseconds, not the import time; the forkserver is started by exec, so forking is safe
in the service's threaded process. Only the document, the current CRLs and the verdict cross
the pipe; the registry consultation (which needs the database) stays with the caller.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import queue
import resource
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Final

from cryptography import x509

from signing.verification import (
    Finding,
    Indication,
    PdfSignatureVerifier,
    SignatureVerification,
    SubIndication,
)

__all__ = ["BUDGET_EXCEEDED", "WORKER_FAILED", "IsolatedVerifier", "WorkerUnavailable"]

BUDGET_EXCEEDED: Final = "verification_budget_exceeded"
WORKER_FAILED: Final = "verification_worker_failed"
_READY: Final = "ready"
_START_SECONDS: Final = 60.0
_PRELOAD: Final = ["signing.verification", "verification.isolation", "verification.licence"]

CrlSource = Callable[[], Sequence[bytes]]


@dataclass(frozen=True)
class _Task:
    pdf: bytes
    crls: tuple[bytes, ...]
    crl_error: str | None  # the caller could not read its CRLs: the worker reports the fault


# -- the worker process ----------------------------------------------------------------------

_task_crls: tuple[bytes, ...] = ()
_task_crl_error: str | None = None


def _crls_of_task() -> Sequence[bytes]:
    if _task_crl_error is not None:
        raise OSError(_task_crl_error)
    return _task_crls


def _serve(connection: Connection, trust_pem: bytes, max_bytes: int, memory_bytes: int) -> None:
    """A worker: verify documents from `connection` until it closes."""
    global _task_crls, _task_crl_error
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    verifier = PdfSignatureVerifier(
        x509.load_pem_x509_certificates(trust_pem), crls=_crls_of_task, max_bytes=max_bytes
    )
    if memory_bytes:
        # On top of what the process already maps (the interpreter and the verifier, ~135 MB),
        # so the setting means what one document may take, whatever the libraries weigh.
        limit = _address_space() + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    connection.send(_READY)  # the budget is the document's: start-up is not counted in it
    while True:
        try:
            task: _Task = connection.recv()
        except EOFError:
            return
        _task_crls, _task_crl_error = task.crls, task.crl_error
        started = time.process_time()
        result = verifier.verify(task.pdf)
        connection.send((result, time.process_time() - started))


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


# -- the pool --------------------------------------------------------------------------------


class WorkerUnavailable(RuntimeError):
    """No verifying process could be started (the machine is out of processes or memory)."""


@dataclass(eq=False)  # identity: a worker is one process
class _Worker:
    process: multiprocessing.process.BaseProcess
    connection: Connection

    def stop(self) -> None:
        """Kill: a worker is idle or stuck on a document not worth finishing."""
        if self.process.is_alive():
            self.process.kill()
        self.connection.close()
        self.process.join(timeout=5)


@dataclass(frozen=True)
class IsolatedResult:
    signature: SignatureVerification
    cpu_seconds: float | None  # what the worker spent; None when it was killed or died


class IsolatedVerifier:
    """Signature verification of untrusted PDFs in at most `workers` processes at once.

    `verify` blocks until a worker is free; callers bound their own concurrency (the service
    holds a verification slot first), so with `workers` ≥ slots nobody waits here. Workers are
    started on demand and kept for the next document. Thread-safe.
    """

    def __init__(
        self,
        trust_pem: bytes,
        *,
        crls: CrlSource,
        workers: int,
        budget_seconds: float,
        memory_bytes: int,
        max_bytes: int,
    ) -> None:
        self._trust_pem = trust_pem
        self._crls = crls
        self._budget = budget_seconds
        self._memory = memory_bytes
        self.max_bytes = max_bytes
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._capacity = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()
        self._closed = False
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_PRELOAD)

    def verify(self, pdf: bytes) -> IsolatedResult:
        """`pdf`'s signature verification, or INDETERMINATE when it ran out of budget or its
        worker failed. Never raises for anything the document does."""
        try:
            crls, crl_error = tuple(self._crls()), None
        except Exception as exc:  # the CRL source is ours: the worker reports it as our fault
            crls, crl_error = (), f"the current CRLs cannot be had: {type(exc).__name__}: {exc}"
        task = _Task(pdf, crls, crl_error)
        with self._capacity:
            worker = self._take()
            try:
                worker.connection.send(task)
                if worker.connection.poll(self._budget):
                    signature, cpu = worker.connection.recv()
                    self._idle.put(worker)
                    return IsolatedResult(signature, cpu)
                code = BUDGET_EXCEEDED
                detail = (
                    f"verification did not finish within {self._budget:g} s: "
                    "the document was set aside unjudged"
                )
            except (EOFError, OSError) as exc:
                code = WORKER_FAILED
                detail = f"the verifying process failed on this document: {type(exc).__name__}"
            self._discard(worker)
            return IsolatedResult(_gave_up(pdf, code, detail), None)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.stop()

    @property
    def started(self) -> int:
        """Worker processes alive now."""
        with self._lock:
            return len(self._all)

    def _take(self) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_serve,
            args=(theirs, self._trust_pem, self.max_bytes, self._memory),
            name="bizreg-verify",
            daemon=True,
        )
        process.start()
        theirs.close()
        worker = _Worker(process, ours)
        try:
            ready = ours.poll(_START_SECONDS) and ours.recv() == _READY
        except (EOFError, OSError):
            ready = False
        if not ready:
            worker.stop()
            raise WorkerUnavailable("a verifying process did not start")
        with self._lock:
            if self._closed:
                worker.stop()
                raise WorkerUnavailable("the verification pool is closed")
            self._all.add(worker)
        return worker

    def _discard(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.stop()


def _gave_up(pdf: bytes, code: str, detail: str) -> SignatureVerification:
    return SignatureVerification(
        indication=Indication.INDETERMINATE,
        sub_indication=SubIndication.GENERIC,
        findings=(Finding(code, Indication.INDETERMINATE, SubIndication.GENERIC, detail),),
        document_sha256=hashlib.sha256(pdf).hexdigest(),
        document_bytes=len(pdf),
        checked_at=dt.datetime.now(dt.UTC),
    )
