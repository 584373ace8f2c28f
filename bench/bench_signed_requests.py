"""Per-request overhead of RFC 9421 authentication through the whole app (TestClient, in-process).

The same requests are sent with a bearer token and with a signature (Ed25519 and ECDSA P-256):
a GET of an application (authentication is most of the work) and a POST that creates an
application (~1.5 KB JSON body, so RFC 9530 Content-Digest is checked too). Requests are built
and signed before the clock starts, so the numbers are the server's cost only: key lookup,
signature base, verification, digest and the nonce insert (its own committed transaction).
"signed, nonce in memory" swaps the database nonce store for `InMemoryNonceStore` to show
what the cross-process replay check costs.

    .venv/bin/python bench/bench_signed_requests.py [--requests 300]
    BIZREG_DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/bench_signed_requests.py
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlmodel import Session

from bank_adapter import InMemoryNonceStore, PrivateKey, public_key_pem, sign_request
from registration.app import create_app
from registration.db import create_db_engine, upgrade_database
from registration.issuance.authority import build_authority
from registration.services import clients
from registration.settings import Settings

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from fastapi.testclient import TestClient  # noqa: E402

EXAMPLE = (
    Path(__file__).resolve().parents[1] / "tests" / "contract" / "application-yinzhengtong.json"
)


_pem = public_key_pem


def _time(client: TestClient, request: httpx.Request, expect: int) -> float:
    started = time.perf_counter()
    response = client.send(request)
    elapsed = time.perf_counter() - started
    assert response.status_code == expect, response.text
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    n = args.requests

    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("BIZREG_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        settings = Settings(data_dir=Path(tmp), database_url=url)
        engine = create_db_engine(url)
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade_database(engine)
        app = create_app(settings, engine, build_authority(settings))
        keys: dict[str, PrivateKey] = {
            "ed25519": Ed25519PrivateKey.generate(),
            "ecdsa-p256-sha256": ec.generate_private_key(ec.SECP256R1()),
        }
        with Session(engine, expire_on_commit=False) as session:
            _, _, token = clients.register_client(
                session, "bench-bearer", "yinzhengtong", "B", by="bench"
            )
            for alg, key in keys.items():
                clients.register_client(
                    session,
                    f"bench-{alg}",
                    "yinzhengtong",
                    "B",
                    request_keys=[clients.KeySpec(_pem(key), f"bench-{alg}")],
                    by="bench",
                )
        payload = json.loads(EXAMPLE.read_text("utf-8"))
        body = json.dumps(payload, ensure_ascii=False).encode()

        # The same service with the replay memory in the process instead of the database.
        memory_app = create_app(settings, engine, app.state.authority)
        memory_app.state.nonce_store = InMemoryNonceStore()
        with (
            TestClient(app, base_url=settings.base_url) as client,
            TestClient(memory_app, base_url=settings.base_url) as memory_client,
        ):

            def bearer(method: str, path: str, content: bytes | None) -> httpx.Request:
                headers = {"Authorization": f"Bearer {token}"}
                if content:
                    headers["Content-Type"] = "application/json"
                return client.build_request(method, path, content=content, headers=headers)

            def signer(alg: str) -> Callable[[str, str, bytes | None], httpx.Request]:
                def build(method: str, path: str, content: bytes | None) -> httpx.Request:
                    headers = {"Content-Type": "application/json"} if content else {}
                    request = client.build_request(
                        method, settings.base_url + path, content=content, headers=headers
                    )
                    request.headers.update(
                        sign_request(
                            method,
                            str(request.url),
                            request.headers.multi_items(),
                            content or b"",
                            key=keys[alg],
                            keyid=f"bench-{alg}",
                            covered_fields=("content-type",) if content else (),
                        )
                    )
                    return request

                return build

            app_ids: dict[str, str] = {}
            for name, build in [("bearer", bearer)] + [(a, signer(a)) for a in keys]:
                created = client.send(build("POST", "/api/v1/applications", body))
                app_ids[name] = created.json()["id"]

            # Interleaved, one request of each kind in turn, so that disk and CPU noise
            # (other processes, fsync latency) falls on every kind alike.
            variants = [
                ("bearer token", "bearer", bearer, client),
                ("signed ed25519", "ed25519", signer("ed25519"), client),
                (
                    "signed ecdsa-p256-sha256",
                    "ecdsa-p256-sha256",
                    signer("ecdsa-p256-sha256"),
                    client,
                ),
                ("signed ed25519, nonce in memory", "ed25519", signer("ed25519"), memory_client),
            ]
            samples: dict[str, tuple[list[float], list[float]]] = {v[0]: ([], []) for v in variants}
            for method, expect in (("GET", 200), ("POST", 201)):
                batches = {
                    label: [
                        build("GET", f"/api/v1/applications/{app_ids[name]}", None)
                        if method == "GET"
                        else build("POST", "/api/v1/applications", body)
                        for _ in range(n)
                    ]
                    for label, name, build, _ in variants
                }
                for i in range(n):
                    for label, _, _, via in variants:
                        timing = _time(via, batches[label][i], expect)
                        samples[label][0 if method == "GET" else 1].append(timing)
            results = {
                label: tuple(statistics.median(t[n // 10 :]) * 1000 for t in pair)
                for label, pair in samples.items()
            }

    base_get, base_post = results["bearer token"]
    print(f"database: {engine.dialect.name}; {n} requests of each kind, interleaved; median ms")
    print(f"{'':34} {'GET application':>24} {'POST create (1.5 KB)':>24}")
    for label, (get, post) in results.items():
        if label == "bearer token":
            print(f"{label:34} {get:10.2f} {'':13} {post:10.2f}")
            continue
        print(
            f"{label:34} {get:10.2f} ({get - base_get:+6.2f})   "
            f"   {post:10.2f} ({post - base_post:+6.2f})"
        )


if __name__ == "__main__":
    main()
