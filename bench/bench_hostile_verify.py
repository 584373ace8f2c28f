"""Hostile uploads against a real server over loopback: what one costs, and whether /healthz
and a genuine verification stay fast while 16 clients upload them (issue 15).

    .venv/bin/python bench/bench_hostile_verify.py [--clients 16] [--seconds 10]

The hostile file is a genuine signed licence plus an incremental update adding a
200,000-element array to its DSS (485 KB): every byte must be parsed before the verifier can
say the update is not validation data. Three runs of the same server:
- "before": as before issue 15 — 64 concurrent verifications of any size, in the request thread;
- "after": `BIZREG_MAX_CONCURRENT_VERIFICATIONS` (default the CPU count) slots for licence-sized
  documents and one for larger ones (where hostile uploads are), beyond which 503 +
  Retry-After at once, each document verified in a worker process within the default budget
  (5 s: the hostile file, ~2 s of CPU, is still judged);
- "budget 0.5 s": the same with `BIZREG_VERIFY_BUDGET_SECONDS=0.5`: a hostile upload costs at
  most 0.5 s of a worker and is answered INDETERMINATE (`verification_budget_exceeded`).
The per-address limit is lifted in all runs (all clients share 127.0.0.1 here; in production
it stops one address alone). Reference, from the issue: 1.3 s CPU per hostile upload;
/healthz 2.4 s and a genuine verification 2.7 s with 16 hostile clients.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from registration.api import verify as verify_api  # noqa: E402
from registration.app import create_app  # noqa: E402
from registration.db import create_db_engine, upgrade_database  # noqa: E402
from registration.issuance.authority import build_authority  # noqa: E402
from registration.settings import Settings  # noqa: E402
from templates.specimens import YINZHENGTONG  # noqa: E402

REFERENCE = {"cpu": 1.3, "healthz": 2.4, "genuine": 2.7}


def hostile_of(pdf: bytes, size: int = 200_000) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    array = generic.ArrayObject([generic.NumberObject(1)] * size)
    writer.root["/DSS"] = writer.add_object(generic.DictionaryObject({"/X": array}))
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _in_request_thread(request: Any, session: Any, data: bytes) -> Any:
    """Verification as before issue 15: in the request's own thread, no budget."""
    from registration.services.verification import session_notices, session_registry

    return verify_api.licence_verifier(request).verify(
        data,
        registry=session_registry(session, request.app.state.settings),
        notices=session_notices(session),
    )


def run(
    cap: int, genuine: bytes, hostile: bytes, clients: int, seconds: float, budget: float = 5.0
) -> dict[str, object]:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    port = _port()
    settings = Settings(
        data_dir=data_dir,
        public_base_url=f"http://127.0.0.1:{port}",
        max_concurrent_verifications=cap,
        verify_uploads_per_minute=10**6,
        max_upload_bytes=2 * 1024 * 1024,
        verify_budget_seconds=budget,
    )
    engine = create_db_engine(settings.effective_database_url)
    upgrade_database(engine)
    app = create_app(settings, engine, build_authority(settings))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=60) as probe:
        while True:
            try:
                if probe.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
    stop = threading.Event()
    answers: Counter[int] = Counter()

    def attacker() -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            while not stop.is_set():
                files = {"file": ("h.pdf", hostile, "application/pdf")}
                response = http.post("/api/v1/verify", files=files)
                answers[response.status_code] += 1
                if response.status_code == 503:
                    time.sleep(float(response.headers.get("Retry-After", "1")))

    attackers = [threading.Thread(target=attacker, daemon=True) for _ in range(clients)]
    for a in attackers:
        a.start()
    time.sleep(1.0)  # let the flood build up
    healthz: list[float] = []
    verify: list[float] = []
    verdicts: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=base, timeout=60) as http:
        while time.monotonic() < deadline:
            started = time.monotonic()
            http.get("/healthz")
            healthz.append(time.monotonic() - started)
            started = time.monotonic()
            files = {"file": ("g.pdf", genuine, "application/pdf")}
            response = http.post("/api/v1/verify", files=files)
            verify.append(time.monotonic() - started)
            verdicts[str(response.status_code)] += 1
            time.sleep(0.2)
    stop.set()
    for a in attackers:
        a.join(timeout=120)
    server.should_exit = True
    thread.join(timeout=30)
    engine.dispose()
    return {"healthz": healthz, "verify": verify, "answers": answers, "verdicts": verdicts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()

    authority = build_authority(Settings(data_dir=Path(tempfile.mkdtemp(prefix="bench-pki-"))))
    genuine = authority.issue_pdf(YINZHENGTONG)
    hostile = hostile_of(genuine)
    from registration.services.verification import service_verifier

    verifier = service_verifier(authority, 2 * 1024 * 1024)
    verifier.verify(genuine)
    started = time.process_time()
    report = verifier.verify(hostile)
    cpu = time.process_time() - started
    print(f"hostile file: {len(hostile) / 1024:.0f} KB, verdict {report.verdict.value}")
    print(f"CPU per hostile upload: {cpu:.2f} s (reference {REFERENCE['cpu']} s)")
    cap = max(2, os.cpu_count() or 2)
    isolated = verify_api._verify
    licence_sized = verify_api.LICENCE_SIZED_BYTES
    for label, slots, sized, budget in (
        ("before", 64, 10**9, 0.0),  # no cap, no slot for large documents, request thread
        (f"after (cap {cap})", cap, licence_sized, 5.0),  # default budget: hostile judged
        (f"budget 0.5 s (cap {cap})", cap, licence_sized, 0.5),  # hostile set aside
    ):
        verify_api.LICENCE_SIZED_BYTES = sized  # type: ignore[misc]
        verify_api._verify = isolated if budget else _in_request_thread  # type: ignore[assignment]
        result = run(slots, genuine, hostile, args.clients, args.seconds, budget or 5.0)
        h, v = result["healthz"], result["verify"]
        assert isinstance(h, list)
        assert isinstance(v, list)
        print(
            f"{label:>22}: /healthz p50 {statistics.median(h):.3f} s p95 {_p(h, 0.95):.3f} s "
            f"(reference {REFERENCE['healthz']} s); genuine verify p50 "
            f"{statistics.median(v):.3f} s p95 {_p(v, 0.95):.3f} s "
            f"(reference {REFERENCE['genuine']} s); genuine answers {dict(result['verdicts'])}; "  # type: ignore[arg-type]
            f"hostile answers {dict(result['answers'])}"  # type: ignore[arg-type]
        )


if __name__ == "__main__":
    main()
