"""Licence verification speed: single-file latency and batch throughput on every core.

Run: .venv/bin/python bench/bench_verify.py [--count 1000] [--runs 200] [--profile]

A development PKI and licences are made in a temporary directory: the three channel specimens
rendered once, then signed `--count` times with signing.LicenceSigner at PAdES B-LT (each
signature distinct: its own timestamp), plus one B-LTA licence. Then:

  single   LicenceVerifier.verify on one B-LT licence, warm (trust anchors parsed, the CA
           certificates and CRLs seen before), offline — median, p95, and the first call
  B-LTA    the same for the B-LTA licence (one more signature to check: the document timestamp)
  batch    verification.batch.verify_files over all files, one process per core, then one
           process, as `bizreg verify --offline` does (process start-up included)

Target (issue 6): offline B-LT verification <= 20 ms median.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from signing import LicenceSigner, SealBox, SealFont, SealStampStyle, init_pki
from templates import SEAL_BOX, render_licence
from templates.fonts import FONT_FILE
from templates.specimens import SPECIMEN_BASE_URL, SPECIMENS
from verification import LicenceVerifier
from verification.batch import verify_files

TARGET_MS = 20.0


def _seal() -> SealStampStyle:
    lines = ("东莞市市场监督管理局", "Dongguan Administration for Market Regulation")
    return SealStampStyle(
        font=SealFont(FONT_FILE, "".join(lines) + "签章时间0123456789-:+ UTC"),
        lines=lines,
        time_label="签章时间",
    )


def _licences(directory: Path, count: int) -> tuple[bytes, list[Path], bytes]:
    """Make the licences in a child process: a process that has signed keeps large object
    graphs alive (the seal's font tables) that every garbage collection then walks, which
    would slow the verification measured here by a third. A verifier process has none."""
    with ProcessPoolExecutor(max_workers=1) as pool:
        return pool.submit(_make_licences, directory, count).result()


def _make_licences(directory: Path, count: int) -> tuple[bytes, list[Path], bytes]:
    pki = init_pki(
        directory / "pki", public_base_url=SPECIMEN_BASE_URL, passphrase="bench passphrase"
    )
    seal = _seal()
    signer = LicenceSigner.for_pki(pki, level="B-LT", seal=seal)
    archive = LicenceSigner.for_pki(pki, level="B-LTA", seal=seal)
    box = SealBox(SEAL_BOX.page, SEAL_BOX.x1, SEAL_BOX.y1, SEAL_BOX.x2, SEAL_BOX.y2)
    rendered = [
        render_licence(content, public_base_url=SPECIMEN_BASE_URL) for content in SPECIMENS.values()
    ]
    paths = []
    started = time.perf_counter()
    for i in range(count):
        path = directory / f"licence-{i:04d}.pdf"
        path.write_bytes(signer.sign(rendered[i % len(rendered)], seal_box=box))
        paths.append(path)
    print(f"signed {count} B-LT licences in {time.perf_counter() - started:.1f} s")
    root_pem = pki.root_certificate.public_bytes(serialization.Encoding.PEM)
    return root_pem, paths, archive.sign(rendered[2], seal_box=box)


def _latency(verifier: LicenceVerifier, pdf: bytes, runs: int) -> tuple[float, float, float]:
    started = time.perf_counter()
    assert verifier.verify(pdf).passed
    first = time.perf_counter() - started
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        verifier.verify(pdf)
        times.append(time.perf_counter() - started)
    times.sort()
    return (
        statistics.median(times) * 1000,
        times[int(len(times) * 0.95) - 1] * 1000,
        first * 1000,
    )


def _batch(root_pem: bytes, paths: list[Path], jobs: int) -> float:
    started = time.perf_counter()
    results = list(verify_files(paths, trust_pem=root_pem, jobs=jobs))
    elapsed = time.perf_counter() - started
    assert all(r.passed for r in results), [r.report for r in results if not r.passed][:1]
    return len(paths) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="licences in the batch")
    parser.add_argument("--runs", type=int, default=200, help="single-file repetitions")
    parser.add_argument("--profile", action="store_true", help="cProfile one verification")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root_pem, paths, blta = _licences(Path(tmp), args.count)
        from cryptography import x509

        verifier = LicenceVerifier(x509.load_pem_x509_certificates(root_pem))
        blt = paths[0].read_bytes()
        median, p95, first = _latency(verifier, blt, args.runs)
        verdict = "meets" if median <= TARGET_MS else "misses"
        print(
            f"single B-LT   median {median:6.1f} ms   p95 {p95:6.1f} ms   first {first:6.1f} ms"
            f"   ({verdict} the {TARGET_MS:.0f} ms target)"
        )
        median, p95, first = _latency(verifier, blta, max(args.runs // 4, 10))
        print(f"single B-LTA  median {median:6.1f} ms   p95 {p95:6.1f} ms   first {first:6.1f} ms")
        cores = os.cpu_count() or 1
        for jobs in sorted({cores, 1}, reverse=True):
            rate = _batch(root_pem, paths, jobs)
            print(
                f"batch {len(paths)} files, {jobs} process{'es' if jobs > 1 else ''}: "
                f"{rate:7.1f} licences/s"
            )
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(20):
                verifier.verify(blt)
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
