"""RFC 9421 request signatures: round trips, the signature base, and every refusal code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import http_sf
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_sf.types import ItemType, ParamsType
from hypothesis import given
from hypothesis import strategies as st

from bank_adapter import (
    DigestMismatch,
    InMemoryNonceStore,
    NonceStore,
    PrivateKey,
    PublicKey,
    ReplayedNonce,
    RequestSignatureError,
    SignatureAlgorithm,
    SignatureInvalid,
    SignatureMissing,
    StaleSignature,
    UnknownKey,
    VerifiedSignature,
    build_signature_base,
    sign_request,
    verify_request,
)
from bank_adapter.http_signatures import HeaderFields, _serialize_signature_params
from bank_adapter.keys import sign_raw
from tests.bank_adapter.conftest import NOW

URL = "https://bizreg.example/api/v1/applications?channel=yinzhengtong"
BODY = '{"company_name": "东莞市南城区示例科技有限公司"}'.encode()
KEYID = "boc-dongguan-nancheng-t01"


def _signed(
    key: PrivateKey,
    *,
    method: str = "POST",
    url: str = URL,
    body: bytes = BODY,
    created: datetime = NOW,
    **options: object,
) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    headers |= sign_request(
        method,
        url,
        headers,
        body,
        key=key,
        keyid=KEYID,
        created=created,
        **options,  # type: ignore[arg-type]
    )
    return headers


def _resolver(key: PrivateKey) -> Callable[[str], PublicKey | None]:
    return {KEYID: key.public_key()}.get


def _verify(
    key: PrivateKey,
    headers: HeaderFields,
    *,
    method: str = "POST",
    url: str = URL,
    body: bytes = BODY,
    now: datetime = NOW,
    nonce_store: NonceStore | None = None,
    **options: object,
) -> VerifiedSignature:
    return verify_request(
        method,
        url,
        headers,
        body,
        resolve_key=_resolver(key),
        now=now,
        nonce_store=nonce_store if nonce_store is not None else InMemoryNonceStore(lambda: now),
        **options,  # type: ignore[arg-type]
    )


def _refusal(key: PrivateKey, headers: HeaderFields, **options: object) -> RequestSignatureError:
    with pytest.raises(RequestSignatureError) as caught:
        _verify(key, headers, **options)  # type: ignore[arg-type]
    return caught.value


def _with_signature_input(headers: dict[str, str], signature_input: str) -> dict[str, str]:
    return headers | {"Signature-Input": signature_input}


def _sign_by_hand(
    key: PrivateKey,
    headers: dict[str, str],
    components: list[str],
    *,
    method: str = "POST",
    url: str = URL,
    der: bool = False,
) -> dict[str, str]:
    """Sign exactly these components, bypassing `sign_request`'s own choices."""
    params: dict[str, int | str] = {"created": int(NOW.timestamp()), "keyid": KEYID, "nonce": "n"}
    base = build_signature_base(method, url, headers, components, params)
    if der:
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        signature = key.sign(base, ec.ECDSA(hashes.SHA256()))
    else:
        signature = sign_raw(key, base)
    items: list[ItemType] = [(component, {}) for component in components]
    sf_params: ParamsType = dict(params)
    return headers | {
        "Signature-Input": http_sf.ser({"sig1": (items, sf_params)}),
        "Signature": http_sf.ser({"sig1": signature}),
    }


# --- round trips --------------------------------------------------------------------------


def test_round_trip(private_key: PrivateKey) -> None:
    headers = _signed(private_key, nonce="n-0001")
    verified = _verify(private_key, headers)
    assert verified.keyid == KEYID
    assert verified.nonce == "n-0001"
    assert verified.created == NOW
    assert verified.label == "sig1"
    assert verified.alg == (
        "ed25519" if isinstance(private_key, Ed25519PrivateKey) else "ecdsa-p256-sha256"
    )
    assert verified.covered_components == (
        "@method",
        "@target-uri",
        "content-digest",
        "content-type",
    )
    assert verified.expires is None
    assert verified.nonce_expires_at == NOW + timedelta(seconds=60)


def test_the_fields_added(private_key: PrivateKey) -> None:
    headers = _signed(private_key, nonce="n-0001")
    assert headers["Content-Digest"].startswith("sha-256=:")
    alg = "ed25519" if isinstance(private_key, Ed25519PrivateKey) else "ecdsa-p256-sha256"
    assert headers["Signature-Input"] == (
        'sig1=("@method" "@target-uri" "content-digest" "content-type");'
        f'created={int(NOW.timestamp())};keyid="{KEYID}";nonce="n-0001";alg="{alg}"'
    )
    signature = http_sf.parse(headers["Signature"].encode(), tltype="dictionary")
    assert isinstance(signature, dict)
    value = signature["sig1"]
    assert isinstance(value, tuple)
    assert isinstance(value[0], bytes)
    # RFC 9421 §3.3.4 and §3.3.6: both algorithms give 64 bytes; ECDSA as raw r||s, not DER.
    assert len(value[0]) == 64


def test_get_without_body_covers_method_and_uri_only(private_key: PrivateKey) -> None:
    headers = _signed(private_key, method="GET", body=b"")
    assert "Content-Digest" not in headers
    verified = _verify(private_key, headers, method="GET", body=b"")
    assert verified.covered_components == ("@method", "@target-uri")


def test_nonces_are_random_by_default(private_key: PrivateKey) -> None:
    first, second = _signed(private_key), _signed(private_key)
    assert _verify(private_key, first).nonce != _verify(private_key, second).nonce


def test_extra_covered_fields_and_required_components(private_key: PrivateKey) -> None:
    headers = {"Content-Type": "application/json", "Idempotency-Key": "k-1"}
    headers |= sign_request(
        "POST",
        URL,
        headers,
        BODY,
        key=private_key,
        keyid=KEYID,
        created=NOW,
        covered_fields=("content-type", "Idempotency-Key"),
    )
    verified = _verify(
        private_key,
        headers,
        required_components=("@method", "@target-uri", "idempotency-key"),
    )
    assert verified.covered_components[-2:] == ("content-type", "idempotency-key")
    # The covered value is protected like the body.
    tampered = headers | {"Idempotency-Key": "k-2"}
    assert _refusal(private_key, tampered).code == "signature_invalid"


def test_header_names_are_case_insensitive_and_pairs_are_accepted(private_key: PrivateKey) -> None:
    headers = _signed(private_key)
    pairs = [(name.lower(), value) for name, value in headers.items()]
    assert _verify(private_key, pairs).keyid == KEYID
    upper = {name.upper(): value for name, value in headers.items()}
    assert _verify(private_key, upper).keyid == KEYID


def test_signature_fields_split_over_several_lines(private_key: PrivateKey) -> None:
    # RFC 9651 §4.2: field lines of a Dictionary combine with ", "; a second signature added
    # by someone else arrives as a second line and is ignored when we ask for our label.
    headers = _signed(private_key)
    other = _signed(private_key, label="proxy")
    pairs = [
        *headers.items(),
        ("Signature-Input", other["Signature-Input"]),
        ("Signature", other["Signature"]),
    ]
    assert _verify(private_key, pairs, label="sig1").label == "sig1"
    assert _verify(private_key, pairs, label="proxy").label == "proxy"
    refused = _refusal(private_key, pairs)  # no label: exactly one signature expected
    assert refused.code == "signature_invalid"


def test_expires_is_honoured_without_skew(private_key: PrivateKey) -> None:
    headers = _signed(private_key, expires=NOW + timedelta(seconds=10))
    verified = _verify(private_key, headers, now=NOW + timedelta(seconds=10))
    assert verified.expires == NOW + timedelta(seconds=10)
    # Nothing to remember past the signer's own limit.
    assert verified.nonce_expires_at == NOW + timedelta(seconds=10)
    refused = _refusal(private_key, headers, now=NOW + timedelta(seconds=11))
    assert isinstance(refused, StaleSignature)
    assert "expired" in str(refused)


def test_expires_before_created_is_invalid(private_key: PrivateKey) -> None:
    headers = _signed(private_key, expires=NOW - timedelta(seconds=1))
    assert _refusal(private_key, headers).code == "signature_invalid"


# --- the refusals, one by one -------------------------------------------------------------


def test_no_signature_fields_is_signature_missing(private_key: PrivateKey) -> None:
    refused = _refusal(private_key, {"Content-Type": "application/json"})
    assert isinstance(refused, SignatureMissing)
    assert refused.code == "signature_missing"


@pytest.mark.parametrize("dropped", ["Signature", "Signature-Input"])
def test_half_a_signature_is_invalid(private_key: PrivateKey, dropped: str) -> None:
    headers = _signed(private_key)
    del headers[dropped]
    assert _refusal(private_key, headers).code == "signature_invalid"


def test_tampered_body_is_digest_mismatch(private_key: PrivateKey) -> None:
    headers = _signed(private_key)
    refused = _refusal(private_key, headers, body=BODY.replace("示例".encode(), "假的".encode()))
    assert isinstance(refused, DigestMismatch)
    assert refused.code == "digest_mismatch"


def test_tampered_body_with_a_matching_digest_is_signature_invalid(private_key: PrivateKey) -> None:
    # An attacker who recomputes Content-Digest for a new body breaks the signature instead.
    headers = _signed(private_key)
    forged_body = BODY + b" "
    forged = _signed(private_key, body=forged_body)["Content-Digest"]
    refused = _refusal(private_key, headers | {"Content-Digest": forged}, body=forged_body)
    assert refused.code == "signature_invalid"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", "https://bizreg.example/api/v1/applications/other?channel=yinzhengtong"),
        ("POST", "https://bizreg.example/api/v1/applications?channel=paris"),
        ("POST", "https://bizreg.example/api/v1/applications"),
        ("POST", "http://bizreg.example/api/v1/applications?channel=yinzhengtong"),
        ("POST", "https://evil.example/api/v1/applications?channel=yinzhengtong"),
        ("PUT", URL),
        ("post", URL),  # RFC 9421 §2.2.1: the method is case-sensitive
    ],
)
def test_tampered_method_or_target_is_signature_invalid(
    private_key: PrivateKey, method: str, url: str
) -> None:
    headers = _signed(private_key)
    refused = _refusal(private_key, headers, method=method, url=url)
    assert isinstance(refused, SignatureInvalid)
    assert refused.code == "signature_invalid"


@pytest.mark.parametrize("age", [timedelta(seconds=61), timedelta(hours=1), -timedelta(seconds=61)])
def test_created_outside_the_window_is_stale(private_key: PrivateKey, age: timedelta) -> None:
    headers = _signed(private_key, created=NOW - age)
    refused = _refusal(private_key, headers)
    assert isinstance(refused, StaleSignature)
    assert refused.code == "stale_signature"


@pytest.mark.parametrize("age", [timedelta(seconds=60), timedelta(0), -timedelta(seconds=60)])
def test_created_inside_the_window_is_accepted(private_key: PrivateKey, age: timedelta) -> None:
    assert _verify(private_key, _signed(private_key, created=NOW - age)).keyid == KEYID


def test_max_skew_is_configurable(private_key: PrivateKey) -> None:
    headers = _signed(private_key, created=NOW - timedelta(seconds=100))
    assert _verify(private_key, headers, max_skew=timedelta(seconds=120)).keyid == KEYID


def test_unknown_keyid(private_key: PrivateKey) -> None:
    headers = {"Content-Type": "application/json"}
    headers |= sign_request(
        "POST", URL, headers, BODY, key=private_key, keyid="someone-else", created=NOW
    )
    refused = _refusal(private_key, headers)
    assert isinstance(refused, UnknownKey)
    assert refused.code == "unknown_key"


def test_same_nonce_twice_is_replayed(private_key: PrivateKey) -> None:
    store = InMemoryNonceStore(lambda: NOW)
    headers = _signed(private_key, nonce="once-only")
    _verify(private_key, headers, nonce_store=store)
    refused = _refusal(private_key, headers, nonce_store=store)
    assert isinstance(refused, ReplayedNonce)
    assert refused.code == "replayed_nonce"
    # Another request reusing the nonce, validly signed, is a replay too.
    again = _signed(private_key, nonce="once-only", method="GET", body=b"")
    refused = _refusal(private_key, again, nonce_store=store, method="GET", body=b"")
    assert refused.code == "replayed_nonce"


def test_refused_requests_never_reach_the_nonce_store(
    private_key: PrivateKey, other_key: PrivateKey
) -> None:
    store = InMemoryNonceStore(lambda: NOW)
    forged = _signed(other_key, nonce="victim-nonce")
    assert _refusal(private_key, forged, nonce_store=store).code == "signature_invalid"
    tampered = _signed(private_key, nonce="victim-nonce")
    assert _refusal(private_key, tampered, nonce_store=store, body=b"{}").code == "digest_mismatch"
    assert len(store) == 0
    # ... so the genuine request with that nonce still goes through.
    assert _verify(private_key, _signed(private_key, nonce="victim-nonce"), nonce_store=store)


def test_without_a_store_replay_is_the_callers_job(private_key: PrivateKey) -> None:
    headers = _signed(private_key, nonce="n")
    for _ in range(2):
        verify_request(
            "POST",
            URL,
            headers,
            BODY,
            resolve_key=_resolver(private_key),
            now=NOW,
            nonce_store=None,
        )


def test_signature_by_another_key_is_invalid(
    private_key: PrivateKey, other_key: PrivateKey
) -> None:
    headers = _signed(other_key)
    assert _refusal(private_key, headers).code == "signature_invalid"


def test_signature_by_a_key_of_the_other_algorithm_is_invalid(private_key: PrivateKey) -> None:
    other: PrivateKey = (
        ec.generate_private_key(ec.SECP256R1())
        if isinstance(private_key, Ed25519PrivateKey)
        else Ed25519PrivateKey.generate()
    )
    refused = _refusal(private_key, _signed(other))
    assert refused.code == "signature_invalid"
    assert "alg" in str(refused)  # refused on alg before any cryptography


def test_signature_without_content_digest_on_a_body_is_invalid(private_key: PrivateKey) -> None:
    # Signed as if there were no body: covers @method and @target-uri only.
    headers = _signed(private_key, body=b"")
    refused = _refusal(private_key, headers, body=BODY)
    assert refused.code == "signature_invalid"
    assert "content-digest" in str(refused)


def test_missing_required_component_is_invalid(private_key: PrivateKey) -> None:
    headers = _signed(private_key)
    refused = _refusal(
        private_key, headers, required_components=("@method", "@target-uri", "idempotency-key")
    )
    assert refused.code == "signature_invalid"
    assert "idempotency-key" in str(refused)


def test_der_encoded_ecdsa_signature_is_invalid() -> None:
    # A client that forgot RFC 9421 §3.3.4 sends DER; it must fail clearly, not verify.
    key = ec.generate_private_key(ec.SECP256R1())
    components = ["@method", "@target-uri", "content-digest"]
    headers = {"Content-Digest": _signed(key)["Content-Digest"]}
    assert _verify(key, _sign_by_hand(key, headers, components)).nonce == "n"
    assert _refusal(key, _sign_by_hand(key, headers, components, der=True)).code == (
        "signature_invalid"
    )


# {C}: the components we require; {P}: valid parameters; {c} created; {k} keyid.
@pytest.mark.parametrize(
    ("signature_input", "reason"),
    [
        ("sig1=garbage(", "not a Structured Field"),
        ('sig1="@method"', "inner list"),
        ('sig1=({C});keyid="{k}";nonce="n"', "created"),
        ('sig1=({C});created={c};nonce="n"', "keyid"),
        ('sig1=({C});created={c};keyid="{k}"', "nonce"),
        ('sig1=({C});created={c};keyid="{k}";nonce=""', "nonce"),
        ('sig1=({C});created="{c}";keyid="{k}";nonce="n"', "integer"),
        ('sig1=({C});created=?1;keyid="{k}";nonce="n"', "integer"),
        ('sig1=({C});created={c};keyid=k;nonce="n"', "string"),
        ("sig1=({C}){P};x=1", "unsupported"),
        ('sig1=({C}){P};alg="hmac-sha256"', "alg"),
        ('sig1=({C} "@method"){P}', "twice"),
        ('sig1=("@method" "@target-uri" "content-digest";sf){P}', "component"),
        ('sig1=("@method" "@target-uri" "Content-Digest"){P}', "lowercase"),
        ('sig1=(@method "@target-uri" "content-digest"){P}', "not a Structured Field"),
        ('sig1=({C} "@status"){P}', "@status"),
        ('sig1=({C} "@signature-params"){P}', "@signature-params"),
        ('sig1=({C} "x-absent"){P}', "absent"),
        ('sig1=({C}), sig1=("@method"){P}', "repeats"),
        ("other=({C}){P}", "labelled"),
    ],
)
def test_malformed_signature_input_is_invalid(
    private_key: PrivateKey, signature_input: str, reason: str
) -> None:
    expanded = (
        signature_input.replace("{C}", '"@method" "@target-uri" "content-digest" "content-type"')
        .replace("{P}", ';created={c};keyid="{k}";nonce="n"')
        .replace("{c}", str(int(NOW.timestamp())))
        .replace("{k}", KEYID)
    )
    refused = _refusal(private_key, _with_signature_input(_signed(private_key), expanded))
    assert refused.code == "signature_invalid"
    assert reason in str(refused)


@pytest.mark.parametrize(
    "signature", ['sig1="not bytes"', "sig1=:AAAA:", "sig1=:!!:", "sig1=:" + "A" * 9000 + ":"]
)
def test_malformed_signature_value_is_invalid(private_key: PrivateKey, signature: str) -> None:
    headers = _signed(private_key) | {"Signature": signature}
    assert _refusal(private_key, headers).code == "signature_invalid"


def test_signature_by_the_wrong_alg_parameter_is_invalid(private_key: PrivateKey) -> None:
    headers = _signed(private_key)
    other_alg = "ecdsa-p256-sha256" if isinstance(private_key, Ed25519PrivateKey) else "ed25519"
    alg = headers["Signature-Input"].rsplit('alg="', 1)[1].rstrip('"')
    headers["Signature-Input"] = headers["Signature-Input"].replace(alg, other_alg)
    refused = _refusal(private_key, headers)
    assert refused.code == "signature_invalid"
    assert "does not match the registered key" in str(refused)


def test_unusable_content_digest_is_invalid(private_key: PrivateKey) -> None:
    # A signer that signed a digest we cannot check gets signature_invalid, not a pass.
    headers = {"Content-Digest": "md5=:CY9rzUYh03PK3k6DJie09g==:"}
    signed = _sign_by_hand(private_key, headers, ["@method", "@target-uri", "content-digest"])
    refused = _refusal(private_key, signed)
    assert refused.code == "signature_invalid"
    assert "Content-Digest" in str(refused)


def test_non_ascii_covered_value_is_invalid(private_key: PrivateKey) -> None:
    headers = _signed(private_key)
    headers["Signature-Input"] = headers["Signature-Input"].replace(
        '"content-type")', '"content-type" "x-name")'
    )
    headers["X-Name"] = "Zhāng"
    refused = _refusal(private_key, headers)
    assert refused.code == "signature_invalid"
    assert "ASCII" in str(refused)


def test_unsupported_registered_key_is_invalid() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    headers = _signed(Ed25519PrivateKey.generate())
    with pytest.raises(SignatureInvalid, match="Ed25519 or ECDSA P-256"):
        verify_request(
            "POST",
            URL,
            headers,
            BODY,
            resolve_key=lambda _: p384.public_key(),
            now=NOW,
            nonce_store=None,
        )


def test_every_code_is_a_request_signature_error() -> None:
    codes = {
        cls.code
        for cls in (
            SignatureMissing,
            SignatureInvalid,
            DigestMismatch,
            StaleSignature,
            UnknownKey,
            ReplayedNonce,
        )
    }
    assert codes == {
        "signature_missing",
        "signature_invalid",
        "digest_mismatch",
        "stale_signature",
        "unknown_key",
        "replayed_nonce",
    }


# --- API misuse -----------------------------------------------------------------------------


def test_naive_times_are_refused(private_key: PrivateKey) -> None:
    with pytest.raises(ValueError, match="timezone"):
        sign_request(
            "GET", URL, {}, b"", key=private_key, keyid=KEYID, created=datetime(2025, 1, 1)
        )
    with pytest.raises(ValueError, match="timezone"):
        _verify(private_key, _signed(private_key), now=datetime(2025, 1, 1))


def test_sign_refuses_an_alg_that_does_not_fit_the_key(private_key: PrivateKey) -> None:
    other_alg: SignatureAlgorithm = (
        "ecdsa-p256-sha256" if isinstance(private_key, Ed25519PrivateKey) else "ed25519"
    )
    with pytest.raises(ValueError, match="does not match"):
        sign_request("GET", URL, {}, b"", key=private_key, keyid=KEYID, alg=other_alg)


def test_sign_refuses_absent_covered_fields_and_relative_uris(private_key: PrivateKey) -> None:
    with pytest.raises(ValueError, match="absent"):
        sign_request(
            "GET", URL, {}, b"", key=private_key, keyid=KEYID, covered_fields=("x-absent",)
        )
    with pytest.raises(ValueError, match="absolute"):
        sign_request("GET", "/api/v1/applications", {}, b"", key=private_key, keyid=KEYID)
    with pytest.raises(ValueError, match="additional header field"):
        sign_request("GET", URL, {}, b"", key=private_key, keyid=KEYID, covered_fields=("@path",))


# --- derived components (RFC 9421 §2.2) ---------------------------------------------------


@pytest.mark.parametrize(
    ("component", "url", "expected"),
    [
        ("@target-uri", "https://example.com", "https://example.com/"),
        (
            "@target-uri",
            "https://example.com/a/b?x=1&y=%20#frag",
            "https://example.com/a/b?x=1&y=%20",
        ),
        ("@authority", "https://Example.COM:443/", "example.com"),
        ("@authority", "http://example.com:80/", "example.com"),
        ("@authority", "https://example.com:8443/", "example.com:8443"),
        ("@authority", "https://[2001:db8::1]:8443/", "[2001:db8::1]:8443"),
        ("@authority", "https://[2001:db8::1]/", "[2001:db8::1]"),
        ("@scheme", "HTTPS://example.com/", "https"),
        ("@request-target", "https://example.com/path?param=value", "/path?param=value"),
        ("@path", "https://example.com", "/"),
        ("@path", "https://example.com/path/x", "/path/x"),
        ("@query", "https://example.com/path?param=value&foo=bar", "?param=value&foo=bar"),
        ("@query", "https://example.com/path", "?"),
        ("@query", "https://example.com/path?", "?"),
    ],
)
def test_derived_components(component: str, url: str, expected: str) -> None:
    base = build_signature_base("GET", url, {}, [component], {"created": 1})
    first_line = base.decode().split("\n")[0]
    assert first_line == f'"{component}": {expected}'


def test_header_fields_are_trimmed_and_combined() -> None:
    # RFC 9421 §2.1: each line's value trimmed; several lines joined with ", ".
    base = build_signature_base(
        "GET",
        "https://example.com/",
        [("X-Multi", "  a "), ("x-multi", "b\t"), ("Cache-Control", "max-age=60")],
        ["x-multi", "cache-control"],
        {"created": 1618884473, "keyid": "k"},
    )
    assert base.decode() == (
        '"x-multi": a, b\n'
        '"cache-control": max-age=60\n'
        '"@signature-params": ("x-multi" "cache-control");created=1618884473;keyid="k"'
    )


def test_store_expiry_matches_the_window() -> None:
    store = InMemoryNonceStore(lambda: NOW)
    key = Ed25519PrivateKey.generate()
    verified = _verify(key, _signed(key), nonce_store=store, max_skew=timedelta(seconds=30))
    assert verified.nonce_expires_at == NOW + timedelta(seconds=30)
    assert verified.created.tzinfo is UTC


# --- our Structured Field serialization agrees with http_sf ---------------------------------

_PRINTABLE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)


@given(
    components=st.lists(_PRINTABLE, max_size=6, unique=True),
    created=st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1),
    keyid=_PRINTABLE,
    flag=st.booleans(),
)
def test_signature_params_serialization_agrees_with_http_sf(
    components: list[str], created: int, keyid: str, flag: bool
) -> None:
    params: ParamsType = {"created": created, "keyid": keyid, "x-flag": flag}
    items: list[ItemType] = [(component, {}) for component in components]
    assert _serialize_signature_params(components, params) == http_sf.ser([(items, params)])


@pytest.mark.parametrize(
    ("components", "params"),
    [
        (["é"], {"created": 1}),
        (["@method"], {"Created": 1}),
        (["@method"], {"created": 10**15}),
        (["@method"], {"created": 1.5}),
    ],
)
def test_unserializable_signature_params_are_refused(
    components: list[str], params: dict[str, object]
) -> None:
    with pytest.raises(ValueError, match=r"Structured Field|unsupported"):
        _serialize_signature_params(components, params)


@pytest.mark.parametrize(
    ("field", "value"), [("Idempotency-Key", "k-1"), ("Content-Type", "application/json")]
)
def test_a_meaningful_field_left_unsigned_is_refused(
    private_key: PrivateKey, field: str, value: str
) -> None:
    """Idempotency-Key and a body's Content-Type change what a request means: a signature
    that leaves them out would let anyone in between change them (issue 15)."""
    headers = {field: value}
    headers |= sign_request(
        "POST",
        URL,
        headers,
        BODY,
        key=private_key,
        keyid=KEYID,
        created=NOW,
        cover_meaningful_fields=False,
    )
    refused = _refusal(private_key, headers)
    assert refused.code == "component_not_covered"
    assert field.lower() in str(refused)
    # Signed, the same request passes; altered in flight, it fails.
    headers = {field: value}
    headers |= sign_request("POST", URL, headers, BODY, key=private_key, keyid=KEYID, created=NOW)
    assert field.lower() in _verify(private_key, headers).covered_components
    headers[field] = value + "-changed"
    assert _refusal(private_key, headers).code == "signature_invalid"
