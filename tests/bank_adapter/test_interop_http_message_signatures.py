"""Interoperability with an independent RFC 9421 implementation: `http-message-signatures`.

It signs, we verify; we sign, it verifies — for both algorithms. It works on request objects
with `method`, `url` and a mutable `headers` mapping (any `requests`-like object).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)
from http_message_signatures.algorithms import HTTPSignatureAlgorithm

from bank_adapter import (
    InMemoryNonceStore,
    PrivateKey,
    RequestSignatureError,
    sign_request,
    verify_request,
)

URL = "https://bizreg.example/api/v1/applications/01JDX5/attestations"
BODY = b"eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJ0In0.c2ln"
KEYID = "boc-dongguan-nancheng-t01"


@dataclass
class Request:
    """The message interface http-message-signatures reads and writes."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


def _their_algorithm(key: PrivateKey) -> type[HTTPSignatureAlgorithm]:
    if isinstance(key, Ed25519PrivateKey):
        return algorithms.ED25519
    return algorithms.ECDSA_P256_SHA256


def _resolver(key: PrivateKey) -> MappingKeyResolver:
    return MappingKeyResolver(public_keys={KEYID: key.public_key()}, private_keys={KEYID: key})


def _our_verify(key: PrivateKey, request: Request, body: bytes, now: datetime) -> str:
    verified = verify_request(
        request.method,
        request.url,
        request.headers,
        body,
        resolve_key={KEYID: key.public_key()}.get,
        now=now,
        nonce_store=InMemoryNonceStore(lambda: now),
    )
    return verified.nonce


def test_they_sign_we_verify(private_key: PrivateKey) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    request = Request("POST", URL, {"Content-Type": "application/jose"})
    HTTPMessageSigner(
        signature_algorithm=_their_algorithm(private_key), key_resolver=_resolver(private_key)
    ).sign(
        request,
        key_id=KEYID,
        created=now,
        nonce="their-nonce-1",
        # The service requires a body's Content-Type signed (MEANINGFUL_FIELDS).
        covered_component_ids=("@method", "@target-uri", "content-type"),
        body=BODY,  # makes it add Content-Digest and cover it
    )
    assert '"content-digest"' in request.headers["Signature-Input"]
    assert _our_verify(private_key, request, BODY, now) == "their-nonce-1"

    with pytest.raises(RequestSignatureError) as caught:
        _our_verify(private_key, request, BODY + b"x", now)
    assert caught.value.code == "digest_mismatch"


def test_they_sign_a_get_we_verify(private_key: PrivateKey) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    request = Request("GET", "https://bizreg.example/api/v1/applications/01JDX5")
    HTTPMessageSigner(
        signature_algorithm=_their_algorithm(private_key), key_resolver=_resolver(private_key)
    ).sign(
        request,
        key_id=KEYID,
        created=now,
        nonce="their-nonce-2",
        covered_component_ids=("@method", "@target-uri", "@authority"),
    )
    assert _our_verify(private_key, request, b"", now) == "their-nonce-2"


def test_their_signature_without_nonce_does_not_meet_our_profile(private_key: PrivateKey) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    request = Request("GET", URL)
    HTTPMessageSigner(
        signature_algorithm=_their_algorithm(private_key), key_resolver=_resolver(private_key)
    ).sign(request, key_id=KEYID, created=now, covered_component_ids=("@method", "@target-uri"))
    with pytest.raises(RequestSignatureError, match="nonce") as caught:
        _our_verify(private_key, request, b"", now)
    assert caught.value.code == "signature_invalid"


def test_we_sign_they_verify(private_key: PrivateKey) -> None:
    headers = {"Content-Type": "application/jose", "Idempotency-Key": "idem-1"}
    headers |= sign_request(
        "POST",
        URL,
        headers,
        BODY,
        key=private_key,
        keyid=KEYID,
        covered_fields=("content-type", "idempotency-key"),
    )
    request = Request("POST", URL, headers)
    verifier = HTTPMessageVerifier(
        signature_algorithm=_their_algorithm(private_key), key_resolver=_resolver(private_key)
    )
    (result,) = verifier.verify(
        request,
        body=BODY,  # they check the signed Content-Digest against the body
        require_components=("@method", "@target-uri", "content-digest", "idempotency-key"),
    )
    assert result.label == "sig1"
    assert result.parameters["keyid"] == KEYID
    assert result.body == BODY
    assert result.covered_components['"@target-uri"'] == URL

    with pytest.raises(InvalidSignature):
        verifier.verify(request, body=BODY + b"x")
    tampered = Request("POST", URL.replace("01JDX5", "01JDX6"), headers)
    with pytest.raises(InvalidSignature):
        verifier.verify(tampered, body=BODY)


def test_we_sign_a_get_they_verify(private_key: PrivateKey) -> None:
    url = "https://bizreg.example/api/v1/licences/91441900MA4UXXXX0X/pdf?download=1"
    headers = sign_request("GET", url, {}, b"", key=private_key, keyid=KEYID)
    verifier = HTTPMessageVerifier(
        signature_algorithm=_their_algorithm(private_key), key_resolver=_resolver(private_key)
    )
    (result,) = verifier.verify(Request("GET", url, headers), max_age=timedelta(minutes=1))
    assert list(result.covered_components)[:2] == ['"@method"', '"@target-uri"']
    assert result.nonce is not None
