"""Generate the conformance vectors of the terminal protocol from the reference code.

    .venv/bin/python -m conformance.generate          # rewrite conformance/vectors/*.json
    .venv/bin/python -m conformance.generate --check  # exit 1 if the files differ

Every expected output is what `bank_adapter` (the library the service itself runs) produces or
decides for the input, with fixed test keys, clocks and nonces, so the files change only when
the protocol does; `tests/conformance` checks both that the committed files are what this
produces and that the code agrees with each case. The format is in conformance/README.md.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bank_adapter.attestations import sign_attestation, verify_attestation
from bank_adapter.content_digest import create_content_digest, verify_content_digest
from bank_adapter.errors import BankAdapterError
from bank_adapter.http_signatures import build_signature_base, sign_request, verify_request
from bank_adapter.keys import PrivateKey, PublicKey, public_key_pem
from bank_adapter.nonces import InMemoryNonceStore
from bank_adapter.webhooks import (
    JitterMode,
    StatusChangeEvent,
    build_webhook_request,
    retry_delay,
)

VECTORS = Path(__file__).resolve().parent / "vectors"
BASE_URL = "https://api.bizreg.example"
NOW = 1764374400  # 2025-11-29T00:00:00Z
MAX_SKEW_SECONDS = 60
ATTESTATION_SKEW_SECONDS = 30
FACE_MATCH_THRESHOLD = 0.9


# -- keys ------------------------------------------------------------------------------------


def _seed(label: str) -> bytes:
    return hashlib.sha256(f"bizreg conformance {label}".encode()).digest()


def _ed25519(label: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_seed(label))


def _p256(label: str) -> ec.EllipticCurvePrivateKey:
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return ec.derive_private_key(
        int.from_bytes(_seed(label), "big") % (order - 1) + 1, ec.SECP256R1()
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _jwk(key: PrivateKey) -> dict[str, str]:
    """The public JWK (RFC 8037 OKP / RFC 7518 EC) and the private part as `d`."""
    if isinstance(key, Ed25519PrivateKey):
        public = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        private = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(public), "d": _b64url(private)}
    numbers = key.private_numbers()
    point = numbers.public_numbers
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(point.x.to_bytes(32, "big")),
        "y": _b64url(point.y.to_bytes(32, "big")),
        "d": _b64url(numbers.private_value.to_bytes(32, "big")),
    }


@dataclass(frozen=True)
class TestKey:
    name: str
    keyid: str
    private: PrivateKey

    @property
    def public(self) -> PublicKey:
        return self.private.public_key()

    def to_json(self) -> dict[str, Any]:
        pkcs8 = self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        return {
            "keyid": self.keyid,
            "alg": "ed25519"
            if isinstance(self.private, Ed25519PrivateKey)
            else "ecdsa-p256-sha256",
            "jws_alg": "EdDSA" if isinstance(self.private, Ed25519PrivateKey) else "ES256",
            "public_pem": public_key_pem(self.private),
            "private_pem": pkcs8,
            "jwk": _jwk(self.private),
        }


KEYS = {
    key.name: key
    for key in (
        TestKey("terminal-ed25519", "boc-t01-2025", _ed25519("terminal")),
        TestKey("terminal-p256", "icbc-t07-2025", _p256("terminal")),
        TestKey("other-ed25519", "boc-t02-2025", _ed25519("other terminal")),
        TestKey("attester-ed25519", "boc-attest-2025", _ed25519("attester")),
        TestKey("attester-p256", "icbc-attest-2025", _p256("attester")),
        TestKey("authority-webhook", "bizreg-webhooks-2025", _ed25519("authority webhooks")),
    )
}


# -- helpers ---------------------------------------------------------------------------------


def _request(
    method: str, path: str, headers: Sequence[tuple[str, str]] = (), body: bytes = b""
) -> dict[str, Any]:
    return {
        "method": method,
        "target_uri": BASE_URL + path,
        "headers": [list(h) for h in headers],
        "body_base64": base64.b64encode(body).decode("ascii"),
    }


def _headers(request: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in request["headers"]]


def _body(request: Mapping[str, Any]) -> bytes:
    return base64.b64decode(request["body_base64"])


def _outcome(action: Callable[[], object]) -> dict[str, Any]:
    try:
        action()
    except BankAdapterError as error:
        return {"result": "refuse", "code": error.code}
    return {"result": "accept"}


def _json(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


APPLICATION = {"channel": "yinzhengtong", "company": {"name_zh": "东莞市示例科技有限公司"}}


# -- content digest --------------------------------------------------------------------------


def content_digest() -> dict[str, Any]:
    bodies = {
        "empty body": b"",
        "ASCII JSON": b'{"hello": "world"}',
        "UTF-8 JSON with Chinese": _json(APPLICATION),
        "binary": bytes(range(256)),
    }
    create = [
        {
            "name": name,
            "body_base64": base64.b64encode(body).decode(),
            "expected": create_content_digest(body),
        }
        for name, body in bodies.items()
    ]
    body = b'{"hello": "world"}'
    right = create_content_digest(body)
    both = create_content_digest(body, ("sha-256", "sha-512"))
    verify_inputs = [
        ("sha-256 matches", right, body),
        ("sha-256 and sha-512 both match", both, body),
        ("body differs", right, b'{"hello": "World"}'),
        (
            "sha-512 member wrong while sha-256 right",
            right + ", sha-512=:" + base64.b64encode(b"\0" * 64).decode() + ":",
            body,
        ),
        ("no field", None, body),
        ("not a dictionary", "sha-256", body),
        ("not a byte sequence", 'sha-256="abc"', body),
        ("wrong length", "sha-256=:" + base64.b64encode(b"\0" * 16).decode() + ":", body),
        (
            "only an unsupported algorithm",
            "md5=:" + base64.b64encode(b"\0" * 16).decode() + ":",
            body,
        ),
    ]
    verify = [
        {
            "name": name,
            "field_value": value,
            "body_base64": base64.b64encode(data).decode(),
            "expected": _outcome(partial(verify_content_digest, value, data)),
        }
        for name, value, data in verify_inputs
    ]
    return {
        "description": "RFC 9530 Content-Digest: create with sha-256; verify every sha-256/sha-512 member",
        "create": create,
        "verify": verify,
    }


# -- signature bases -------------------------------------------------------------------------


def signature_bases() -> dict[str, Any]:
    body = _json(APPLICATION)
    digest = create_content_digest(body)
    params: dict[str, int | str] = {
        "created": NOW,
        "keyid": "boc-t01-2025",
        "nonce": "n0nce-1",
        "alg": "ed25519",
    }
    inputs: list[tuple[str, dict[str, Any], list[str], dict[str, int | str]]] = [
        (
            "GET, no body",
            _request("GET", "/api/v1/applications/APP-1"),
            ["@method", "@target-uri"],
            params,
        ),
        (
            "GET with a query string, percent-encoded as sent",
            _request("GET", "/api/v1/applications?client_reference=BOC%2F2026%20001&limit=5"),
            ["@method", "@target-uri"],
            params,
        ),
        (
            "POST with body, content-type and idempotency-key",
            _request(
                "POST",
                "/api/v1/applications",
                [
                    ("Content-Type", "application/json"),
                    ("Idempotency-Key", "6f1c2a9e-create-1"),
                    ("Content-Digest", digest),
                ],
                body,
            ),
            ["@method", "@target-uri", "content-digest", "content-type", "idempotency-key"],
            params,
        ),
        (
            "header field names are lower-cased, values trimmed, repeated fields joined with ', '",
            _request("POST", "/api/v1/x", [("X-Trace", "  a  "), ("x-trace", "b")]),
            ["@method", "@target-uri", "x-trace"],
            params,
        ),
        (
            "derived components @authority @scheme @path @query @request-target",
            _request("GET", "/api/v1/track?reference=DG-ABCD-EFGH-12"),
            ["@method", "@authority", "@scheme", "@path", "@query", "@request-target"],
            params,
        ),
        (
            "expires and tag parameters, in the order given",
            _request("GET", "/api/v1/applications"),
            ["@method", "@target-uri"],
            {
                "created": NOW,
                "expires": NOW + 30,
                "keyid": "boc-t01-2025",
                "nonce": "n2",
                "alg": "ed25519",
                "tag": "bizreg",
            },
        ),
        (
            "method is upper-case as sent",
            _request("DELETE", "/api/v1/applications/APP-1"),
            ["@method", "@target-uri"],
            params,
        ),
        (
            "default port is dropped from @authority",
            {**_request("GET", "/x"), "target_uri": "https://api.bizreg.example:443/x"},
            ["@authority", "@target-uri"],
            params,
        ),
    ]
    cases = []
    for name, request, components, parameters in inputs:
        base = build_signature_base(
            request["method"], request["target_uri"], _headers(request), components, parameters
        )
        cases.append(
            {
                "name": name,
                "request": request,
                "covered_components": components,
                "signature_params": parameters,
                "expected_signature_base": base.decode("ascii"),
            }
        )
    return {
        "description": "RFC 9421 §2.5 signature bases: one line per component, then @signature-params",
        "cases": cases,
    }


# -- request signatures ----------------------------------------------------------------------


def _signed(
    request: dict[str, Any],
    key: TestKey,
    *,
    created: int = NOW,
    nonce: str = "n0nce-1",
    expires: int | None = None,
    covered_fields: Sequence[str] = (),
    cover_meaningful_fields: bool = True,
) -> dict[str, Any]:
    added = sign_request(
        request["method"],
        request["target_uri"],
        _headers(request),
        _body(request),
        key=key.private,
        keyid=key.keyid,
        created=datetime.fromtimestamp(created, UTC),
        expires=None if expires is None else datetime.fromtimestamp(expires, UTC),
        nonce=nonce,
        covered_fields=covered_fields,
        cover_meaningful_fields=cover_meaningful_fields,
    )
    replaced = {name.lower() for name in added}
    headers = [h for h in request["headers"] if h[0].lower() not in replaced]
    return {**request, "headers": headers + [[n, v] for n, v in added.items()]}


def _verify_case(
    name: str,
    request: dict[str, Any],
    *,
    registered: Sequence[str] = ("terminal-ed25519", "terminal-p256"),
    seen_nonces: Sequence[tuple[str, str]] = (),
    now: int = NOW,
) -> dict[str, Any]:
    keys = {KEYS[k].keyid: KEYS[k].public for k in registered}
    moment = datetime.fromtimestamp(now, UTC)
    store = InMemoryNonceStore(clock=lambda: moment)
    for keyid, nonce in seen_nonces:
        store.remember(keyid, nonce, moment + timedelta(hours=1))

    def verify() -> object:
        return verify_request(
            request["method"],
            request["target_uri"],
            _headers(request),
            _body(request),
            resolve_key=keys.get,
            now=moment,
            nonce_store=store,
            max_skew=timedelta(seconds=MAX_SKEW_SECONDS),
        )

    return {
        "name": name,
        "request": request,
        "verifier": {
            "now": now,
            "max_skew_seconds": MAX_SKEW_SECONDS,
            "registered_keys": {KEYS[k].keyid: k for k in registered},
            "seen_nonces": [list(n) for n in seen_nonces],
        },
        "expected": _outcome(verify),
    }


def _tamper(request: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**request, **changes}


def _set_header(request: dict[str, Any], name: str, value: str | None) -> dict[str, Any]:
    headers = [h for h in request["headers"] if h[0].lower() != name.lower()]
    if value is not None:
        headers.append([name, value])
    return {**request, "headers": headers}


def request_signatures() -> dict[str, Any]:
    body = _json(APPLICATION)
    create = _request(
        "POST",
        "/api/v1/applications?client_reference=BOC-2026-000123",
        [("Content-Type", "application/json"), ("Idempotency-Key", "6f1c2a9e-create-1")],
        body,
    )
    get = _request("GET", "/api/v1/applications/APP-1")
    ed, p256 = KEYS["terminal-ed25519"], KEYS["terminal-p256"]

    sign_cases = []
    cases: tuple[tuple[str, dict[str, Any], dict[str, int]], ...] = (
        ("GET, Ed25519", get, {}),
        (
            "POST with body, Ed25519: content-digest, content-type and idempotency-key covered",
            create,
            {},
        ),
        ("POST with an expires parameter", create, {"expires": NOW + 30}),
    )
    for name, request, extra in cases:
        signed = _signed(request, ed, expires=extra.get("expires"))
        base = _base_of(signed)
        sign_cases.append(
            {
                "name": name,
                "request": request,
                "signer": {
                    "key": ed.name,
                    "keyid": ed.keyid,
                    "created": NOW,
                    "nonce": "n0nce-1",
                    **extra,
                },
                "expected": {
                    "signature_base": base,
                    "headers": {
                        n: v
                        for n, v in signed["headers"]
                        if n in ("Content-Digest", "Signature-Input", "Signature")
                    },
                    "deterministic": True,
                },
            }
        )
    signed = _signed(create, p256)
    sign_cases.append(
        {
            "name": "POST with body, ECDSA P-256: the reference signs with RFC 6979 (deterministic); an implementation that randomises compares the base and Signature-Input, and its Signature must verify",
            "request": create,
            "signer": {"key": p256.name, "keyid": p256.keyid, "created": NOW, "nonce": "n0nce-1"},
            "expected": {
                "signature_base": _base_of(signed),
                "headers": {
                    n: v
                    for n, v in signed["headers"]
                    if n in ("Content-Digest", "Signature-Input", "Signature")
                },
                "deterministic": False,
            },
        }
    )

    good = _signed(create, ed)
    good_p256 = _signed(create, p256, nonce="n0nce-p256")
    good_get = _signed(get, ed, nonce="n0nce-get")
    other = KEYS["other-ed25519"]
    signature_of = next(v for n, v in _signed(create, other)["headers"] if n == "Signature")
    verify_cases = [
        _verify_case("valid Ed25519 POST", good),
        _verify_case("valid P-256 POST", good_p256),
        _verify_case("valid GET without body", good_get),
        _verify_case(
            "created 59 s in the past: inside the window",
            _signed(create, ed, created=NOW - 59, nonce="n59"),
        ),
        _verify_case(
            "created 61 s in the past: stale", _signed(create, ed, created=NOW - 61, nonce="n61")
        ),
        _verify_case(
            "created 61 s in the future: stale", _signed(create, ed, created=NOW + 61, nonce="n61f")
        ),
        _verify_case(
            "expires passed (no skew allowance)",
            _signed(create, ed, created=NOW - 10, expires=NOW - 1, nonce="nexp"),
        ),
        _verify_case("nonce already seen with this key", good, seen_nonces=[(ed.keyid, "n0nce-1")]),
        _verify_case(
            "the same nonce under another key is fine", good, seen_nonces=[(other.keyid, "n0nce-1")]
        ),
        _verify_case("keyid not registered", _signed(create, other, nonce="n-other")),
        _verify_case("no signature at all", create),
        _verify_case(
            "body changed after signing",
            _tamper(good, body_base64=base64.b64encode(body + b" ").decode()),
        ),
        _verify_case(
            "Content-Digest and body both changed after signing",
            _set_header(
                _tamper(good, body_base64=base64.b64encode(b"{}").decode()),
                "Content-Digest",
                create_content_digest(b"{}"),
            ),
        ),
        _verify_case("method changed after signing", _tamper(good, method="PUT")),
        _verify_case(
            "query changed after signing",
            _tamper(good, target_uri=good["target_uri"].replace("000123", "000124")),
        ),
        _verify_case(
            "Idempotency-Key changed after signing",
            _set_header(good, "Idempotency-Key", "6f1c2a9e-create-2"),
        ),
        _verify_case(
            "Idempotency-Key present but not covered",
            _signed(create, ed, cover_meaningful_fields=False, nonce="n-uncovered"),
        ),
        _verify_case(
            "body without content-digest covered",
            _set_header(
                _signed(_tamper(create, body_base64=""), ed, nonce="n-nodigest"),
                "Content-Digest",
                None,
            )
            | {"body_base64": create["body_base64"]},
        ),
        _verify_case(
            "signature from another key under this keyid",
            _set_header(good, "Signature", signature_of),
        ),
        _verify_case(
            "alg names the other algorithm",
            _set_header(
                good,
                "Signature-Input",
                _header(good, "Signature-Input").replace(
                    'alg="ed25519"', 'alg="ecdsa-p256-sha256"'
                ),
            ),
        ),
        _verify_case(
            "unknown signature parameter",
            _set_header(good, "Signature-Input", _header(good, "Signature-Input") + ';foo="bar"'),
        ),
        _verify_case(
            "no nonce parameter",
            _set_header(
                good,
                "Signature-Input",
                _header(good, "Signature-Input").replace(';nonce="n0nce-1"', ""),
            ),
        ),
        _verify_case(
            "Signature-Input is not a structured field",
            _set_header(good, "Signature-Input", "sig1=("),
        ),
        _verify_case(
            "P-256 signature DER-encoded instead of raw r||s",
            _set_header(
                good_p256,
                "Signature",
                "sig1=:" + base64.b64encode(_der(_header(good_p256, "Signature"))).decode() + ":",
            ),
        ),
    ]
    return {
        "description": "RFC 9421 request signatures: signing (exact for Ed25519) and verification outcomes",
        "profile": {
            "required_components": ["@method", "@target-uri"],
            "with_body": "content-digest must be covered and must match the body (sha-256)",
            "meaningful_fields": "content-type (with a body) and idempotency-key must be covered when present",
            "parameters": "created, keyid, nonce required; alg optional but must match the key; expires honoured without skew; tag allowed; nothing else",
            "max_skew_seconds": MAX_SKEW_SECONDS,
        },
        "sign": sign_cases,
        "verify": verify_cases,
    }


def _header(request: Mapping[str, Any], name: str) -> str:
    return str(next(v for n, v in request["headers"] if n.lower() == name.lower()))


def _base_of(signed: Mapping[str, Any]) -> str:
    """The signature base a verifier rebuilds from a signed request's own Signature-Input."""
    import http_sf

    parsed: Any = http_sf.parse(_header(signed, "Signature-Input").encode(), tltype="dictionary")
    components, params = parsed["sig1"]
    return build_signature_base(
        signed["method"],
        signed["target_uri"],
        _headers(signed),
        [c[0] for c in components],
        dict(params),
    ).decode("ascii")


def _der(signature_field: str) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    raw = base64.b64decode(signature_field.split(":")[1])
    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


# -- attestations ----------------------------------------------------------------------------


def _claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": "boc-dongguan-nancheng-t01",
        "aud": "bizreg",
        "iat": NOW,
        "exp": NOW + 300,
        "jti": "6f1c2a9e-3b7d-4e8a-9c55-0d2f5b7a1e44",
        "application_id": "APP-0001",
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
            "checked_at": "2025-11-28T23:59:55Z",
        },
    }
    for name, value in overrides.items():
        if "." in name:
            outer, inner = name.split(".")
            claims[outer] = {**claims[outer], inner: value}
        elif value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def _jws(header: Mapping[str, Any], claims: Mapping[str, Any], key: PrivateKey) -> str:
    from bank_adapter.keys import sign_raw

    signing_input = f"{_b64url(_json(header))}.{_b64url(_json(claims))}"
    return f"{signing_input}.{_b64url(sign_raw(key, signing_input.encode('ascii')))}"


def attestations() -> dict[str, Any]:
    ed, p256 = KEYS["attester-ed25519"], KEYS["attester-p256"]
    other = KEYS["other-ed25519"]
    valid = sign_attestation(_claims(), ed.private, kid=ed.keyid)
    parts = valid.split(".")
    inputs: list[tuple[str, str, TestKey, dict[str, Any]]] = [
        ("valid EdDSA with kid", valid, ed, {}),
        ("valid ES256", sign_attestation(_claims(), p256.private), p256, {}),
        (
            "valid, aud as a list containing bizreg",
            sign_attestation(_claims(aud=["other", "bizreg"]), ed.private),
            ed,
            {},
        ),
        ("alg none", f"{_b64url(_json({'alg': 'none'}))}.{parts[1]}.", ed, {}),
        ("HS256", _jws({"alg": "HS256"}, _claims(), ed.private), ed, {}),
        ("ES256 header for an Ed25519 key", _jws({"alg": "ES256"}, _claims(), ed.private), ed, {}),
        ("crit header", _jws({"alg": "EdDSA", "crit": ["exp"]}, _claims(), ed.private), ed, {}),
        ("signature by another key", sign_attestation(_claims(), other.private), ed, {}),
        (
            "payload changed after signing",
            f"{parts[0]}.{_b64url(_json(_claims(jti='x')))}.{parts[2]}",
            ed,
            {},
        ),
        ("not three segments", "abc.def", ed, {}),
        ("payload not JSON", _jws_raw({"alg": "EdDSA"}, b"not json", ed.private), ed, {}),
        (
            "duplicate claim names",
            _jws_raw({"alg": "EdDSA"}, b'{"iss":"a","iss":"b"}', ed.private),
            ed,
            {},
        ),
        ("another client's iss", sign_attestation(_claims(iss="icbc-t07"), ed.private), ed, {}),
        ("aud is not bizreg", sign_attestation(_claims(aud="someone-else"), ed.private), ed, {}),
        ("exp before iat", sign_attestation(_claims(exp=NOW - 1), ed.private), ed, {}),
        ("lifetime over 10 minutes", sign_attestation(_claims(exp=NOW + 601), ed.private), ed, {}),
        (
            "iat 31 s in the future",
            sign_attestation(_claims(iat=NOW + 31, exp=NOW + 300), ed.private),
            ed,
            {},
        ),
        (
            "expired more than 30 s ago",
            sign_attestation(_claims(iat=NOW - 400, exp=NOW - 31), ed.private),
            ed,
            {},
        ),
        (
            "expired 30 s ago: still inside the skew",
            sign_attestation(
                _claims(
                    iat=NOW - 330, exp=NOW - 30, **{"evidence.checked_at": "2025-11-28T23:54:20Z"}
                ),
                ed.private,
            ),
            ed,
            {},
        ),
        (
            "checked_at outside the token's frame",
            sign_attestation(
                _claims(**{"evidence.checked_at": "2025-11-28T23:40:00Z"}), ed.private
            ),
            ed,
            {},
        ),
        (
            "for another application",
            sign_attestation(_claims(application_id="APP-0002"), ed.private),
            ed,
            {},
        ),
        (
            "chip not read",
            sign_attestation(_claims(**{"evidence.document_chip_read": False}), ed.private),
            ed,
            {},
        ),
        (
            "liveness failed",
            sign_attestation(_claims(**{"evidence.liveness_passed": False}), ed.private),
            ed,
            {},
        ),
        (
            "face match 0.899 under the 0.9 threshold",
            sign_attestation(_claims(**{"evidence.face_match_score": 0.899}), ed.private),
            ed,
            {},
        ),
        (
            "face image among the claims",
            sign_attestation(_claims(**{"person.portrait": "aGVsbG8="}), ed.private),
            ed,
            {},
        ),
        (
            "image data under an innocent name",
            sign_attestation(_claims(**{"evidence.note": "/9j/" + "A" * 80}), ed.private),
            ed,
            {},
        ),
        ("missing person", sign_attestation(_claims(person=None), ed.private), ed, {}),
        ("jti already used", valid, ed, {"jti_seen": ["6f1c2a9e-3b7d-4e8a-9c55-0d2f5b7a1e44"]}),
    ]
    cases = []
    for name, token, key, extra in inputs:
        seen = set(extra.get("jti_seen", []))

        def check(t: str = token, k: TestKey = key, s: set[str] = seen) -> object:
            return verify_attestation(
                t,
                key=k.public,
                expected_issuer="boc-dongguan-nancheng-t01",
                application_id="APP-0001",
                now=datetime.fromtimestamp(NOW, UTC),
                jti_seen=s.__contains__,
                face_match_threshold=FACE_MATCH_THRESHOLD,
                clock_skew=timedelta(seconds=ATTESTATION_SKEW_SECONDS),
            )

        cases.append(
            {
                "name": name,
                "token": token,
                "verifier": {
                    "key": key.name,
                    "expected_issuer": "boc-dongguan-nancheng-t01",
                    "application_id": "APP-0001",
                    "now": NOW,
                    "jti_seen": sorted(seen),
                },
                "expected": _outcome(check),
            }
        )
    return {
        "description": "JWS attestations (compact, EdDSA or ES256 pinned by the registered key)",
        "profile": {
            "audience": "bizreg",
            "max_lifetime_seconds": 600,
            "clock_skew_seconds": ATTESTATION_SKEW_SECONDS,
            "face_match_threshold": FACE_MATCH_THRESHOLD,
        },
        "sign": [
            {
                "name": "EdDSA with kid: the exact token (JSON compact, no spaces, UTF-8)",
                "claims": _claims(),
                "key": ed.name,
                "kid": ed.keyid,
                "expected_token": valid,
            }
        ],
        "verify": cases,
    }


def _jws_raw(header: Mapping[str, Any], payload: bytes, key: PrivateKey) -> str:
    from bank_adapter.keys import sign_raw

    signing_input = f"{_b64url(_json(header))}.{_b64url(payload)}"
    return f"{signing_input}.{_b64url(sign_raw(key, signing_input.encode('ascii')))}"


_JITTERS: tuple[tuple[float, JitterMode], ...] = ((0.5, "full"), (0.0, "equal"), (0.999, "equal"))


def _fixed(value: float) -> Callable[[], float]:
    return lambda: value


# -- webhooks --------------------------------------------------------------------------------


def webhooks() -> dict[str, Any]:
    authority = KEYS["authority-webhook"]
    event = StatusChangeEvent(
        event_id="evt-0001",
        application_id="APP-0001",
        previous_status="approved",
        status="issued",
        occurred_at=datetime.fromtimestamp(NOW, UTC),
        licence_uscc="91441900MA5HUP2D2X",
        notice_url="/api/v1/notices/N-0001.pdf",
    )
    callback = "https://bank.example/bizreg/webhooks?terminal=t01"
    built = build_webhook_request(
        callback,
        event,
        key=authority.private,
        keyid=authority.keyid,
        created=datetime.fromtimestamp(NOW, UTC),
        nonce="wh-n0nce-1",
    )
    delivered = {
        "method": built.method,
        "target_uri": built.url,
        "headers": [[n, v] for n, v in built.headers.items()],
        "body_base64": base64.b64encode(built.body).decode(),
    }
    verify = [
        _verify_case("a genuine delivery", delivered, registered=("authority-webhook",)),
        _verify_case(
            "a redelivery of the same request (same nonce)",
            delivered,
            registered=("authority-webhook",),
            seen_nonces=[(authority.keyid, "wh-n0nce-1")],
        ),
        _verify_case(
            "status changed in the body",
            _tamper(
                delivered,
                body_base64=base64.b64encode(
                    built.body.replace(b'"issued"', b'"revoked"')
                ).decode(),
            ),
            registered=("authority-webhook",),
        ),
        _verify_case(
            "delivered to another URL",
            _tamper(delivered, target_uri="https://bank.example/other"),
            registered=("authority-webhook",),
        ),
        _verify_case(
            "signed by a key the authority does not publish",
            delivered,
            registered=("other-ed25519",),
        ),
        _verify_case(
            "received 2 minutes late", delivered, registered=("authority-webhook",), now=NOW + 120
        ),
    ]
    retries = [
        {
            "attempt": attempt,
            "base_seconds": 1.0,
            "cap_seconds": 3600.0,
            "jitter": jitter,
            "mode": mode,
            "expected_seconds": retry_delay(attempt, 1.0, 3600.0, _fixed(jitter), mode=mode),
        }
        for attempt in (1, 2, 3, 10, 13, 20)
        for jitter, mode in _JITTERS
    ]
    return {
        "description": "Webhooks: the authority's RFC 9421-signed POST, the body it carries, and the retry schedule",
        "event": {
            "body": json.loads(built.body),
            "body_serialization": "JSON, keys sorted, no spaces, UTF-8 (not \\u-escaped)",
        },
        "build": {
            "callback_url": callback,
            "key": authority.name,
            "created": NOW,
            "nonce": "wh-n0nce-1",
            "expected": delivered,
        },
        "verify": verify,
        "retry_delay": retries,
    }


# -- idempotency -----------------------------------------------------------------------------


def idempotency() -> dict[str, Any]:
    """Observable behaviour of the service (checked against the running app by
    tests/conformance, and by the sandbox); not a function of bank_adapter."""
    steps = [
        {"step": "create with key K and body B", "expect": {"status": 201, "replayed": False}},
        {
            "step": "same key K, same body B (a retry)",
            "expect": {"status": 201, "replayed": True, "same_body_as": 0},
        },
        {
            "step": "same key K, body B' (different)",
            "expect": {"status": 422, "code": "idempotency_key_reused"},
        },
        {
            "step": "same key K on another path",
            "expect": {"status": 422, "code": "idempotency_key_reused"},
        },
        {
            "step": "new key K2, same body B",
            "expect": {"status": 201, "replayed": False, "new_application": True},
        },
        {
            "step": "Idempotency-Key not covered by the signature",
            "expect": {"status": 401, "code": "component_not_covered"},
        },
        {
            "step": "Idempotency-Key longer than 255 characters",
            "expect": {
                "status": 422,
                "code": "validation_failed",
                "field": "header.Idempotency-Key",
            },
        },
    ]
    return {
        "description": "Idempotency-Key on POST: replay the stored answer for a retry, refuse reuse for anything else",
        "rules": [
            "The key is scoped to the client; 1 to 255 visible ASCII characters.",
            "A retry (same key, same method, path and body bytes) gets the stored status and body with Idempotent-Replayed: true, for 24 hours.",
            "The same key with a different request is 422 idempotency_key_reused.",
            "While the first request is still being processed the retry gets 409 idempotency_in_progress with Retry-After.",
            "The key must be covered by the request signature.",
        ],
        "scenario": steps,
    }


FILES: dict[str, Callable[[], dict[str, Any]]] = {
    "content-digest.json": content_digest,
    "signature-bases.json": signature_bases,
    "request-signatures.json": request_signatures,
    "attestations.json": attestations,
    "webhooks.json": webhooks,
    "idempotency.json": idempotency,
}


def render() -> dict[str, str]:
    out = {name: build() for name, build in FILES.items()}
    out_text = {
        name: json.dumps(data, ensure_ascii=False, indent=2) + "\n" for name, data in out.items()
    }
    keys = {name: key.to_json() for name, key in KEYS.items()}
    out_text["keys.json"] = (
        json.dumps(
            {
                "description": "TEST KEYS ONLY (derived from public seeds): never use them for anything real",
                "keys": keys,
            },
            indent=2,
        )
        + "\n"
    )
    return out_text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    files = render()
    if args.check:
        stale = [
            name
            for name, text in files.items()
            if not (VECTORS / name).exists() or (VECTORS / name).read_text("utf-8") != text
        ]
        for name in stale:
            print(f"stale: conformance/vectors/{name}", file=sys.stderr)
        return 1 if stale else 0
    VECTORS.mkdir(exist_ok=True)
    for name, text in files.items():
        (VECTORS / name).write_text(text, "utf-8")
    count = sum(
        len(data.get(part, []))
        for data in map(json.loads, files.values())
        for part in ("create", "verify", "sign", "cases", "retry_delay", "scenario")
    )
    print(f"wrote {len(files)} files, {count} vectors, to {VECTORS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
