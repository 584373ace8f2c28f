"""The reference client: every request it sends must pass our own verifier.

No server: an `httpx.MockTransport` plays the service, verifying each request exactly as the
application will (RFC 9421 signature, Content-Digest, nonce) before answering.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bank_adapter import (
    BizregApiError,
    BizregClient,
    InMemoryNonceStore,
    PrivateKey,
    VerifiedSignature,
    sign_attestation,
    verify_attestation,
    verify_request,
)

BASE_URL = "https://bizreg.example"
KEYID = "boc-dongguan-nancheng-t01-2025"
PAYLOAD = {"channel": "yinzhengtong", "company": {"name": "东莞市南城区示例科技有限公司"}}


class FakeBizreg:
    """Verifies like the service, records what it saw, answers with canned responses."""

    def __init__(self, key: PrivateKey, respond: Callable[[httpx.Request], httpx.Response]) -> None:
        self.public_key = key.public_key()
        self.respond = respond
        self.nonces = InMemoryNonceStore()
        self.seen: list[tuple[httpx.Request, VerifiedSignature]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        verified = verify_request(
            request.method,
            str(request.url),
            request.headers.multi_items(),
            body,
            resolve_key={KEYID: self.public_key}.get,
            now=datetime.now(UTC),
            nonce_store=self.nonces,
        )
        self.seen.append((request, verified))
        return self.respond(request)


def _ok(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/pdf"):
        return httpx.Response(
            200, content=b"%PDF-1.7 ...", headers={"Content-Type": "application/pdf"}
        )
    return httpx.Response(200, json={"id": "01JDX5", "status": "draft"})


def _client(
    key: PrivateKey, respond: Callable[[httpx.Request], httpx.Response] = _ok
) -> tuple[BizregClient, FakeBizreg]:
    fake = FakeBizreg(key, respond)
    client = BizregClient(
        BASE_URL,
        client_id="boc-dongguan-nancheng",
        keyid=KEYID,
        private_key=key,
        http=httpx.Client(transport=httpx.MockTransport(fake)),
    )
    return client, fake


def test_create_application(private_key: PrivateKey) -> None:
    client, fake = _client(private_key)
    assert client.create_application(PAYLOAD, idempotency_key="idem-1") == {
        "id": "01JDX5",
        "status": "draft",
    }
    ((request, verified),) = fake.seen
    assert request.method == "POST"
    assert str(request.url) == "https://bizreg.example/api/v1/applications"
    assert json.loads(request.content) == PAYLOAD
    assert request.headers["Idempotency-Key"] == "idem-1"
    assert request.headers["Content-Type"] == "application/json"
    assert "boc-dongguan-nancheng" in request.headers["User-Agent"]
    assert verified.keyid == KEYID
    assert verified.covered_components == (
        "@method",
        "@target-uri",
        "content-digest",
        "content-type",
        "idempotency-key",
    )


def test_submit_is_signed_without_a_body(private_key: PrivateKey) -> None:
    client, fake = _client(private_key)
    client.submit("01JDX5")
    ((request, verified),) = fake.seen
    assert (request.method, request.url.path) == ("POST", "/api/v1/applications/01JDX5/submit")
    assert "Content-Digest" not in request.headers
    assert verified.covered_components == ("@method", "@target-uri")


def test_attest_posts_the_jws_as_application_jose(private_key: PrivateKey) -> None:
    attestation_key = Ed25519PrivateKey.generate()
    now = datetime.now(UTC)
    claims = {
        "iss": "boc-dongguan-nancheng-t01",
        "aud": "bizreg",
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + 300,
        "jti": "6f1c2a9e-3b7d-4e8a-9c55-0d2f5b7a1e44",
        "application_id": "01JDX5",
        "person": {
            "name": "张伟",
            "document_type": "cn_id_card",
            "document_number": "441900198503170115",
            "nationality": "CHN",
            "birth_date": "1985-03-17",
        },
        "evidence": {
            "document_chip_read": True,
            "face_match_score": 0.973,
            "liveness_passed": True,
            "checked_at": now.isoformat(),
        },
    }
    token = sign_attestation(claims, attestation_key)
    client, fake = _client(private_key)
    client.attest("01JDX5", token)
    ((request, verified),) = fake.seen
    assert request.url.path == "/api/v1/applications/01JDX5/attestations"
    assert request.headers["Content-Type"] == "application/jose"
    assert "content-type" in verified.covered_components
    # What the service does next with the (now authenticated) body.
    attestation = verify_attestation(
        request.content.decode("ascii"),
        key=attestation_key.public_key(),
        expected_issuer="boc-dongguan-nancheng-t01",
        application_id="01JDX5",
        now=now,
        jti_seen=lambda _: False,
    )
    assert attestation.person.document_type == "cn_id_card"


def test_gets_are_signed(private_key: PrivateKey) -> None:
    client, fake = _client(private_key)
    assert client.get_application("01JDX5")["status"] == "draft"
    assert client.get_licence_pdf("91441900MA4W1234X5").startswith(b"%PDF")
    (get_app, _), (get_pdf, verified) = fake.seen
    assert (get_app.method, get_app.url.path) == ("GET", "/api/v1/applications/01JDX5")
    assert get_pdf.url.path == "/api/v1/licences/91441900MA4W1234X5/pdf"
    assert get_pdf.headers["Accept"] == "application/pdf"
    assert verified.covered_components == ("@method", "@target-uri")


def test_every_request_has_its_own_nonce(private_key: PrivateKey) -> None:
    client, fake = _client(private_key)
    for _ in range(3):
        client.get_application("01JDX5")  # the fake's nonce store would refuse a repeat
    assert len({verified.nonce for _, verified in fake.seen}) == 3


def test_ids_stay_one_path_segment(private_key: PrivateKey) -> None:
    client, fake = _client(private_key)
    client.get_application("../licences/x?y")
    ((request, _),) = fake.seen
    assert request.url.raw_path == b"/api/v1/applications/..%2Flicences%2Fx%3Fy"


def test_problem_details_become_bizreg_api_errors(private_key: PrivateKey) -> None:
    def conflict(_: httpx.Request) -> httpx.Response:
        problem = {
            "type": "about:blank",
            "title": "Conflict",
            "status": 409,
            "code": "invalid_transition",
            "detail": "submit is not allowed in status issued",
        }
        return httpx.Response(
            409, json=problem, headers={"Content-Type": "application/problem+json"}
        )

    client, _ = _client(private_key, conflict)
    with pytest.raises(BizregApiError) as caught:
        client.submit("01JDX5")
    assert caught.value.status_code == 409
    assert caught.value.code == "invalid_transition"
    assert "submit is not allowed" in str(caught.value)

    client, _ = _client(private_key, lambda _: httpx.Response(502, text="Bad Gateway"))
    with pytest.raises(BizregApiError) as caught:
        client.get_application("01JDX5")
    assert caught.value.code is None
    assert caught.value.problem == {"detail": "Bad Gateway"}


def test_base_url_with_a_trailing_slash(private_key: PrivateKey) -> None:
    fake = FakeBizreg(private_key, _ok)
    transport = httpx.MockTransport(fake)
    with BizregClient(
        BASE_URL + "/", "c", KEYID, private_key, http=httpx.Client(transport=transport)
    ) as client:
        client.get_application("01JDX5")
    assert str(fake.seen[0][0].url) == "https://bizreg.example/api/v1/applications/01JDX5"


def test_alg_must_fit_the_key(private_key: PrivateKey) -> None:
    wrong: Any = "ecdsa-p256-sha256" if isinstance(private_key, Ed25519PrivateKey) else "ed25519"
    with pytest.raises(ValueError, match="does not match"):
        BizregClient(BASE_URL, "c", KEYID, private_key, alg=wrong)


def test_owns_and_closes_its_default_http_client() -> None:
    client = BizregClient(BASE_URL, "c", KEYID, Ed25519PrivateKey.generate())
    client.close()
    assert client._http.is_closed


def test_an_overload_refusal_with_retry_after_is_resent_newly_signed(
    private_key: PrivateKey,
) -> None:
    answers = [
        httpx.Response(503, headers={"Retry-After": "0"}, json={"code": "overloaded"}),
        httpx.Response(429, headers={"Retry-After": "0"}, json={"code": "rate_limited"}),
        httpx.Response(201, json={"id": "01JDX5", "status": "draft"}),
    ]
    client, fake = _client(private_key, lambda request: answers.pop(0))
    created = client.create_application(PAYLOAD, idempotency_key="k-1")
    assert created["id"] == "01JDX5"
    assert len(fake.seen) == 3
    # Each attempt is signed anew (a nonce is spent once), with the same Idempotency-Key.
    assert len({verified.nonce for _, verified in fake.seen}) == 3
    assert {request.headers["Idempotency-Key"] for request, _ in fake.seen} == {"k-1"}


def test_a_503_without_retry_after_is_raised_at_once(private_key: PrivateKey) -> None:
    client, fake = _client(
        private_key, lambda request: httpx.Response(503, json={"code": "upstream_down"})
    )
    with pytest.raises(BizregApiError) as refused:
        client.get_application("01JDX5")
    assert refused.value.code == "upstream_down"
    assert len(fake.seen) == 1


def test_wait_for_change_sends_prefer_wait_and_the_etag_it_holds(
    private_key: PrivateKey,
) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if "if-none-match" in request.headers:
            return httpx.Response(304, headers={"ETag": '"3"'})
        return httpx.Response(200, headers={"ETag": '"3"'}, json={"id": "A1", "status": "approved"})

    client, fake = _client(private_key, respond)
    first = client.wait_for_change("A1", seconds=7)
    again = client.wait_for_change("A1", seconds=7)
    assert first == again == {"id": "A1", "status": "approved"}
    (plain, _), (conditional, _) = fake.seen
    assert plain.headers["Prefer"] == conditional.headers["Prefer"] == "wait=7"
    assert "if-none-match" not in plain.headers
    assert conditional.headers["If-None-Match"] == '"3"'


def test_the_client_gives_up_when_the_next_wait_would_exceed_its_patience(
    private_key: PrivateKey,
) -> None:
    fake = FakeBizreg(
        private_key,
        lambda request: httpx.Response(
            503, headers={"Retry-After": "1"}, json={"code": "overloaded"}
        ),
    )
    client = BizregClient(
        BASE_URL,
        client_id="boc-dongguan-nancheng",
        keyid=KEYID,
        private_key=private_key,
        http=httpx.Client(transport=httpx.MockTransport(fake)),
        overload_patience=0.5,
    )
    with pytest.raises(BizregApiError) as refused:
        client.get_application("01JDX5")
    assert refused.value.code == "overloaded"
    assert len(fake.seen) == 1  # a 1-2 s wait does not fit in 0.5 s: no sleep, no resend
