"""Licence issuance speed: render only, our issuance, the straightforward pyHanko recipe, and
throughput with two worker processes.

Run: .venv/bin/python bench/bench_issuance.py [--runs N] [--jobs M]
     (BIZREG_DATABASE_URL=postgresql+psycopg://... to store in PostgreSQL; default SQLite)

  render only      templates.render_licence of the yinzhengtong specimen
  sign only        LicenceSigner.sign of that rendered PDF (B-LT, visible seal), twice in the
                   same run: the pyHanko path (IncrementalPdfFileWriter + PdfSigner) and the
                   single-pass path (signing.single_pass, BIZREG_SINGLE_PASS_SIGNING)
  issuance         one job through registration.services.issuance.run_once: claim the job,
                   allocate the USCC, render, sign PAdES B-LT with the visible seal (in-process
                   TSA, embedded chain and CRLs), store PDF + SHA-256, step the application to
                   issued, commit
  issuance, batch  the same for a backlog: `run_batch` issuing BIZREG_ISSUANCE_BATCH jobs in one
                   transaction, time per licence
  straightforward  render + SimpleSigner.load + PdfSigner.sign_pdf (B-LT, same seal box, same
                   validation context) + HTTPTimeStamper against our own POST /tsa served by
                   uvicorn on 127.0.0.1 (the recipe as written, set up per licence)
  throughput       two worker processes draining M approved applications, one licence per
                   transaction (`run_once`), then again in batches (`run_batch`, up to
                   BIZREG_ISSUANCE_BATCH a transaction, as `bizreg worker` does)

Targets (issues 5 and 16): issuance <= 1.3x render-only; >= 10x faster than the
straightforward recipe; >= 50 licences/s with two workers on two cores (>= 150/s on
PostgreSQL, issue 16).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import uvicorn
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko_certvalidator import ValidationContext
from sqlmodel import Session

from registration.app import create_app
from registration.clock import china_today
from registration.db import create_db_engine, upgrade_database, utcnow
from registration.domain.application import ApplicationPayload
from registration.issuance.authority import build_authority
from registration.issuance.content import authority_text, licence_content
from registration.models import Application, IssuanceJob
from registration.services import issuance as service
from registration.settings import Settings
from signing import SealBox
from templates import SEAL_BOX, LicenceContent, render_licence

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "tests" / "contract" / "application-yinzhengtong.json"
TRADE = "青松翠柏红梅白鹤金桂银杏春夏秋冬山川河海"


def median_ms(action: Callable[[], object], runs: int) -> float:
    action()  # warm-up: font load, first validation
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def approved_application(engine: object, i: int) -> None:
    """An approved application with its issuance job, as the workflow leaves it."""
    data = json.loads(EXAMPLE.read_text("utf-8"))
    n = len(TRADE)
    data["company"]["name"]["zh"] = (
        f"东莞市{TRADE[i % n]}{TRADE[i // n % n]}{TRADE[i // n // n % n]}贸易有限公司"
    )
    payload = ApplicationPayload.model_validate(data)
    now = utcnow()
    with Session(engine) as session:  # type: ignore[arg-type]
        from registration.models import ApiClient

        if session.get(ApiClient, "bench") is None:
            session.add(
                ApiClient(
                    client_id="bench",
                    channel="yinzhengtong",
                    org="bench",
                    role="terminal",
                    created_at=now,
                )
            )
            session.flush()
        app_id = str(uuid.uuid4())
        session.add(
            Application(
                id=app_id,
                client_id="bench",
                channel="yinzhengtong",
                language="zh-Hans",
                status="approved",
                company_name_zh=payload.company.name.zh,
                company_type=payload.company.type,
                category="general",
                payload=payload.model_dump(mode="json", exclude_unset=True),
                revision=4,
                created_at=now,
                updated_at=now,
                submitted_at=now,
            )
        )
        session.flush()
        session.add(IssuanceJob(application_id=app_id, created_at=now, not_before=now))
        session.commit()


def drain(url: str, data_dir: str, start_at: float, batch: int) -> tuple[int, float]:
    """One worker process: set up (imports, keys, font, first signature), wait for the common
    start, then issue until the queue is empty, `batch` licences at most a transaction.
    Returns (licences, finish time)."""
    logging.disable(logging.CRITICAL)
    settings = Settings(data_dir=Path(data_dir), database_url=url)
    engine = create_db_engine(url)
    authority = build_authority(settings)
    authority.issue_pdf(warm_up_content(settings))
    time.sleep(max(0.0, start_at - time.time()))
    done = 0
    while True:
        try:
            issued = service.run_batch(engine, authority, batch)
        except Exception:
            continue
        if not issued:
            break
        done += len(issued)
    return done, time.time()


def warm_up_content(settings: Settings) -> LicenceContent:
    payload = ApplicationPayload.model_validate(json.loads(EXAMPLE.read_text("utf-8")))
    today = china_today()
    return licence_content(
        payload,
        uscc="91441900MA0000015D",
        version=1,
        established=today,
        issued=today,
        authority=authority_text(settings),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=200)
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        url = os.environ.get("BIZREG_DATABASE_URL") or f"sqlite:///{data_dir / 'bench.db'}"
        engine = create_db_engine(url)
        if engine.dialect.name == "postgresql":
            from sqlalchemy import text

            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade_database(engine)
        port = 8765
        settings = Settings(
            data_dir=data_dir, database_url=url, public_base_url=f"http://127.0.0.1:{port}"
        )
        authority = build_authority(settings)
        payload = ApplicationPayload.model_validate(json.loads(EXAMPLE.read_text("utf-8")))
        today = china_today()
        content = licence_content(
            payload,
            uscc="91441900MA0000015D",
            version=1,
            established=today,
            issued=today,
            authority=authority_text(settings),
        )

        render = median_ms(
            lambda: render_licence(content, public_base_url=settings.base_url), args.runs
        )

        rendered = render_licence(content, public_base_url=settings.base_url)
        seal_box = SealBox(SEAL_BOX.page, SEAL_BOX.x1, SEAL_BOX.y1, SEAL_BOX.x2, SEAL_BOX.y2)

        def sign_only() -> None:
            authority.signer.sign(rendered, seal_box=seal_box, reason="bench", location="bench")

        single_pass_default = authority.signer.single_pass
        authority.signer.single_pass = False
        sign_pyhanko = median_ms(sign_only, args.runs)
        authority.signer.single_pass = True
        sign_single = median_ms(sign_only, args.runs)
        authority.signer.single_pass = single_pass_default

        counter = iter(range(10**6))

        def issue_one() -> None:
            approved_application(engine, next(counter))
            start = time.perf_counter()
            service.run_once(engine, authority)
            timings.append((time.perf_counter() - start) * 1000)

        timings: list[float] = []
        issue_one()
        timings.clear()
        for _ in range(args.runs):
            issue_one()
        issuance = statistics.median(timings)

        # The same, as a worker issues a backlog: batches of `issuance_batch`, per licence.
        batch = settings.issuance_batch
        batch_timings: list[float] = []
        for _ in range(max(3, args.runs // batch)):
            for _ in range(batch):
                approved_application(engine, next(counter))
            start = time.perf_counter()
            assert len(service.run_batch(engine, authority, batch)) == batch
            batch_timings.append((time.perf_counter() - start) * 1000 / batch)
        issuance_batched = statistics.median(batch_timings)

        # The straightforward recipe, against our own /tsa over real HTTP.
        app = create_app(settings, engine, authority)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        pki_dir = settings.pki_dir
        from asn1crypto import crl as asn1_crl
        from asn1crypto import x509 as asn1_x509

        root = asn1_x509.Certificate.load(
            authority.pki.root_certificate.public_bytes(serialization.Encoding.DER)
        )
        crls = [asn1_crl.CertificateList.load(der) for der in authority.pki.crls_der()]

        def straightforward() -> bytes:
            pdf = render_licence(content, public_base_url=settings.base_url)
            signer = signers.SimpleSigner.load(
                str(authority.pki.signer_key_path),
                str(pki_dir / "signer.pem"),
                ca_chain_files=(str(pki_dir / "issuing.pem"), str(pki_dir / "root.pem")),
                key_passphrase=settings.pki_passphrase.encode(),
            )
            assert signer is not None
            context = ValidationContext(
                trust_roots=[root], crls=crls, allow_fetching=False, revocation_mode="hard-fail"
            )
            metadata = signers.PdfSignatureMetadata(
                field_name="AuthoritySeal",
                md_algorithm="sha256",
                subfilter=SigSeedSubFilter.PADES,
                embed_validation_info=True,
                validation_context=context,
            )
            box = (round(SEAL_BOX.x1), round(SEAL_BOX.y1), round(SEAL_BOX.x2), round(SEAL_BOX.y2))
            pdf_signer = signers.PdfSigner(
                metadata,
                signer,
                timestamper=HTTPTimeStamper(f"http://127.0.0.1:{port}/tsa"),
                new_field_spec=SigFieldSpec("AuthoritySeal", on_page=0, box=box),
            )
            signed: bytes = pdf_signer.sign_pdf(
                IncrementalPdfFileWriter(io.BytesIO(pdf))
            ).getvalue()
            return signed

        recipe = median_ms(straightforward, max(10, args.runs // 3))
        server.should_exit = True

        context = multiprocessing.get_context("spawn")
        throughput = {}
        for batch in (1, settings.issuance_batch):
            for i in range(args.jobs):
                approved_application(engine, 100_000 * batch + i)
            start = time.time() + 15  # both workers are set up by then
            with context.Pool(2) as pool:
                results = pool.starmap(drain, [(url, str(data_dir), start, batch)] * 2)
            counts = [count for count, _ in results]
            elapsed = max(finish for _, finish in results) - start
            throughput[batch] = (sum(counts) / elapsed, counts, elapsed)

    rows = [
        ("database", engine.dialect.name, ""),
        ("render only (median)", f"{render:8.1f} ms", ""),
        ("sign only, pyHanko path", f"{sign_pyhanko:8.2f} ms", ""),
        (
            "sign only, single-pass",
            f"{sign_single:8.2f} ms",
            f"{sign_pyhanko / sign_single:5.1f}x faster than the pyHanko path",
        ),
        ("single-pass signing (setting)", f"{single_pass_default!s:>11}", ""),
        (
            "licence bytes: render + sign",
            f"{render + sign_single:8.1f} ms",
            f"{(render + sign_single) / render:5.2f}x render (the signing alone)",
        ),
        (
            "issuance: render+B-LT+store",
            f"{issuance:8.1f} ms",
            f"{issuance / render:5.2f}x render (target <= 1.3x)",
        ),
        (
            f"issuance, batches of {batch}",
            f"{issuance_batched:8.1f} ms",
            f"{issuance_batched / render:5.2f}x render, per licence of a backlog",
        ),
        (
            "straightforward recipe",
            f"{recipe:8.1f} ms",
            f"{recipe / issuance:5.1f}x ours (target >= 10x); "
            f"{recipe / issuance_batched:.1f}x a licence of a backlog",
        ),
    ]
    for batch, (rate, counts, elapsed) in throughput.items():
        rows.append(
            (
                f"two workers, batch {batch}, {sum(counts)}",
                f"{rate:8.1f} /s",
                f"per worker {counts}, {elapsed:.1f} s (target >= 50/s; >= 150/s on PostgreSQL)",
            )
        )
    for label, value, note in rows:
        print(f"{label:<32} {value:>12}   {note}")


if __name__ == "__main__":
    main()
