"""Per-request cost of authenticating a terminal: verify one signed POST (RFC 9421 + RFC 9530).

Each sample verifies a distinct request (its own nonce), with an in-memory nonce store, over a
~1.5 KB JSON body like an application payload. Prints the median in microseconds, and beside
it the median of the bare signature check, to show what the protocol adds to the cryptography.

    .venv/bin/python bench/bench_request_signatures.py
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bank_adapter import InMemoryNonceStore, PrivateKey, sign_request, verify_request
from bank_adapter.keys import sign_raw, verify_raw

URL = "https://bizreg.example/api/v1/applications"
SAMPLES = 2000
WARMUP = 200

BODY = json.dumps(
    {
        "channel": "yinzhengtong",
        "company": {"name": "东莞市南城区示例科技有限公司", "type": "limited_liability"},
        "business_scope": ["软件开发", "信息技术咨询服务"] * 10,
        "persons": [
            {"ref": f"p{i}", "name": "张伟", "document_number": "441900198503170115"}
            for i in range(12)
        ],
    },
    ensure_ascii=False,
).encode()


def bench(name: str, key: PrivateKey) -> float:
    now = datetime.now(UTC)
    headers = {"Content-Type": "application/json", "Idempotency-Key": "bench"}
    requests = []
    for _ in range(SAMPLES + WARMUP):
        signed = headers | sign_request(
            "POST",
            URL,
            headers,
            BODY,
            key=key,
            keyid="bench",
            created=now,
            covered_fields=("content-type", "idempotency-key"),
        )
        requests.append(signed)
    public = {"bench": key.public_key()}.get
    store = InMemoryNonceStore()
    timings = []
    for i, signed in enumerate(requests):
        start = time.perf_counter_ns()
        verify_request("POST", URL, signed, BODY, resolve_key=public, now=now, nonce_store=store)
        if i >= WARMUP:
            timings.append(time.perf_counter_ns() - start)
    median_us = statistics.median(timings) / 1000

    base = b"x" * 400  # about the size of our signature bases
    signature = sign_raw(key, base)
    crypto = []
    for _ in range(SAMPLES):
        start = time.perf_counter_ns()
        verify_raw(key.public_key(), signature, base)
        crypto.append(time.perf_counter_ns() - start)
    crypto_us = statistics.median(crypto) / 1000
    print(
        f"verify_request {name:<18} median {median_us:7.1f} µs"
        f"  (signature check alone {crypto_us:6.1f} µs; n={SAMPLES}, body {len(BODY)} B)"
    )
    return median_us


def main() -> None:
    bench("ed25519", Ed25519PrivateKey.generate())
    bench("ecdsa-p256-sha256", ec.generate_private_key(ec.SECP256R1()))


if __name__ == "__main__":
    main()
