"""Verifying many licence files on every core: `verify_files`, for `bizreg verify`.

Each worker process builds its own `LicenceVerifier` once (trust roots, CRLs, registry) in the
pool initializer and then verifies files by path, so only paths go to the workers and only the
JSON reports come back. One file, or `jobs=1`, runs in this process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from signing.verification import MAX_DOCUMENT_BYTES
from verification.licence import LicenceVerifier, Registry

__all__ = ["FileResult", "verify_files"]

RegistryFactory = Callable[[], Registry]


@dataclass(frozen=True)
class FileResult:
    """One file's outcome: its report as JSON data, or why it could not be read."""

    path: str
    passed: bool
    report: dict[str, Any] | None
    error: str | None = None


_verifier: LicenceVerifier | None = None


def _initialise(
    trust_pem: bytes,
    crls: tuple[bytes, ...],
    registry_factory: RegistryFactory | None,
    max_bytes: int,
) -> None:
    global _verifier
    roots = x509.load_pem_x509_certificates(trust_pem)
    registry = registry_factory() if registry_factory is not None else None
    _verifier = LicenceVerifier(roots, crls=crls, registry=registry, max_bytes=max_bytes)


def _verify_path(path: str) -> FileResult:
    verifier = _verifier
    assert verifier is not None, "worker not initialised"
    try:
        with open(path, "rb") as handle:
            # One byte more than allowed is enough to know the file is too large.
            data = handle.read(verifier.max_bytes + 1)
    except OSError as exc:
        return FileResult(path, False, None, f"{type(exc).__name__}: {exc.strerror or exc}")
    report = verifier.verify(data)
    return FileResult(path, report.passed, report.to_json())


def verify_files(
    paths: Sequence[str | os.PathLike[str]],
    *,
    trust_pem: bytes,
    crls: Sequence[bytes] = (),
    registry_factory: RegistryFactory | None = None,
    jobs: int | None = None,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> Iterator[FileResult]:
    """Verify `paths` (in order), using `jobs` processes (default: every core).

    `trust_pem`: the published root certificate(s), PEM. `registry_factory` is called once per
    process and must be picklable (e.g. a top-level class instance).
    """
    names = [str(Path(p)) for p in paths]
    workers = min(jobs or os.cpu_count() or 1, len(names))
    init_args = (trust_pem, tuple(crls), registry_factory, max_bytes)
    if workers <= 1:
        _initialise(*init_args)
        for name in names:
            yield _verify_path(name)
        return
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_initialise, initargs=init_args
    ) as pool:
        # Chunks amortise the inter-process round trip (~0.1 ms) over several files.
        chunk = max(1, min(16, len(names) // (workers * 4)))
        yield from pool.map(_verify_path, names, chunksize=chunk)
