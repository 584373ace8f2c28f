"""Identity attestations: both algorithms, and every refusal with its code."""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey

from bank_adapter import (
    Attestation,
    AttestationError,
    AttestationMalformed,
    PrivateKey,
    attestation_kid,
    sign_attestation,
    verify_attestation,
)
from bank_adapter.keys import sign_raw

# /work/shared/examples/attestation-claims.json, the integrators' contract.
EXAMPLE_CLAIMS: dict[str, Any] = {
    "iss": "boc-dongguan-nancheng-t01",
    "aud": "bizreg",
    "iat": 1764374400,
    "exp": 1764374700,
    "jti": "6f1c2a9e-3b7d-4e8a-9c55-0d2f5b7a1e44",
    "application_id": "<id returned by POST /api/v1/applications>",
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
        "checked_at": "2025-11-29T00:00:12Z",
    },
}
ISSUER = EXAMPLE_CLAIMS["iss"]
APPLICATION_ID = "01JDX5P6F3G0Q8M2ZC1R7K9TBA"
IAT = datetime.fromtimestamp(EXAMPLE_CLAIMS["iat"], UTC)
NOW = IAT + timedelta(seconds=20)


def _claims(**changes: Any) -> dict[str, Any]:
    claims = copy.deepcopy(EXAMPLE_CLAIMS) | {"application_id": APPLICATION_ID}
    for path, value in changes.items():
        target = claims
        *parents, name = path.split("__")
        for parent in parents:
            target = target[parent]
        if value is _DELETE:
            del target[name]
        else:
            target[name] = value
    return claims


_DELETE = object()


def _verify(
    token: str,
    key: PrivateKey,
    *,
    now: datetime = NOW,
    jti_seen: Callable[[str], bool] | None = lambda _: False,
    **options: Any,
) -> Attestation:
    return verify_attestation(
        token,
        key=key.public_key(),
        expected_issuer=options.pop("expected_issuer", ISSUER),
        application_id=options.pop("application_id", APPLICATION_ID),
        now=now,
        jti_seen=jti_seen,
        **options,
    )


def _refusal(token: str, key: PrivateKey, **options: Any) -> AttestationError:
    with pytest.raises(AttestationError) as caught:
        _verify(token, key, **options)
    # Personal data never leaks into messages (they end up in logs and problem details).
    for secret in ("张伟", "441900198503170115", "1985-03-17"):
        assert secret not in str(caught.value)
    return caught.value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _compact(header: dict[str, Any], payload: bytes, key: PrivateKey | None) -> str:
    """A hand-made compact JWS, to build tokens our own signer refuses to produce."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(payload)}"
    signature = sign_raw(key, signing_input.encode()) if key is not None else b""
    return f"{signing_input}.{_b64(signature)}"


def _alg(key: PrivateKey) -> str:
    return "EdDSA" if isinstance(key, Ed25519PrivateKey) else "ES256"


# --- accepted -----------------------------------------------------------------------------


def test_example_claims_verify(private_key: PrivateKey) -> None:
    token = sign_attestation(_claims(), private_key)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": _alg(private_key)}

    seen: list[str] = []

    def jti_seen(jti: str) -> bool:
        seen.append(jti)
        return False

    attestation = _verify(token, private_key, jti_seen=jti_seen)
    assert seen == [EXAMPLE_CLAIMS["jti"]]
    assert attestation.issuer == ISSUER
    assert attestation.jti == EXAMPLE_CLAIMS["jti"]
    assert attestation.application_id == APPLICATION_ID
    assert attestation.person.name == "张伟"
    assert attestation.person.document_type == "cn_id_card"
    assert attestation.person.document_number == "441900198503170115"
    assert attestation.person.nationality == "CHN"
    assert attestation.person.birth_date == date(1985, 3, 17)
    assert attestation.evidence.document_chip_read is True
    assert attestation.evidence.face_match_score == pytest.approx(0.973)
    assert attestation.evidence.liveness_passed is True
    assert attestation.evidence.checked_at == datetime(2025, 11, 29, 0, 0, 12, tzinfo=UTC)
    assert attestation.issued_at == IAT
    assert attestation.expires_at == IAT + timedelta(minutes=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        attestation.jti = "other"  # type: ignore[misc]


def test_audience_may_be_a_list(private_key: PrivateKey) -> None:
    token = sign_attestation(_claims(aud=["bizreg", "audit"]), private_key)
    assert _verify(token, private_key).jti


def test_clock_skew_is_allowed_at_both_ends(private_key: PrivateKey) -> None:
    token = sign_attestation(_claims(), private_key)
    assert _verify(token, private_key, now=IAT - timedelta(seconds=30))
    assert _verify(token, private_key, now=IAT + timedelta(minutes=5, seconds=30))


def test_lifetime_of_exactly_ten_minutes_is_accepted(private_key: PrivateKey) -> None:
    token = sign_attestation(_claims(exp=EXAMPLE_CLAIMS["iat"] + 600), private_key)
    assert _verify(token, private_key)


def test_score_equal_to_the_threshold_is_accepted(private_key: PrivateKey) -> None:
    token = sign_attestation(_claims(evidence__face_match_score=0.9), private_key)
    assert _verify(token, private_key).evidence.face_match_score == 0.9


def test_unknown_extra_claims_are_tolerated(private_key: PrivateKey) -> None:
    token = sign_attestation(_claims(evidence__method="face_match", terminal="T01"), private_key)
    assert _verify(token, private_key)


# --- refused: the algorithm ---------------------------------------------------------------


def test_alg_none_is_refused(private_key: PrivateKey) -> None:
    token = _compact({"alg": "none"}, json.dumps(_claims()).encode(), None)
    assert token.endswith(".")
    assert _refusal(token, private_key).code == "attestation_algorithm_refused"


@pytest.mark.parametrize("encoding", ["raw", "pem"])
def test_hs256_keyed_with_the_public_key_is_refused(private_key: PrivateKey, encoding: str) -> None:
    # The classic confusion: the attacker MACs with the (public) verification key.
    public = private_key.public_key()
    secret = (
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if encoding == "pem"
        else public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    header = _b64(json.dumps({"alg": "HS256"}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    token = f"{header}.{payload}.{_b64(mac)}"
    assert _refusal(token, private_key).code == "attestation_algorithm_refused"


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES384", "Ed25519", "EdDSA ", "", None, 7])
def test_other_algorithms_are_refused(private_key: PrivateKey, alg: object) -> None:
    token = _compact({"alg": alg}, json.dumps(_claims()).encode(), private_key)
    assert _refusal(token, private_key).code == "attestation_algorithm_refused"


def test_alg_that_does_not_fit_the_registered_key_is_refused(private_key: PrivateKey) -> None:
    wrong = "ES256" if isinstance(private_key, Ed25519PrivateKey) else "EdDSA"
    token = _compact({"alg": wrong}, json.dumps(_claims()).encode(), private_key)
    refused = _refusal(token, private_key)
    assert refused.code == "attestation_algorithm_refused"
    assert "registered key" in str(refused)


def test_crit_header_is_refused(private_key: PrivateKey) -> None:
    header = {"alg": _alg(private_key), "crit": ["exp"], "exp": 1}
    token = _compact(header, json.dumps(_claims()).encode(), private_key)
    assert _refusal(token, private_key).code == "attestation_malformed"


# --- refused: the signature ---------------------------------------------------------------


def test_tampered_payload_is_refused(private_key: PrivateKey) -> None:
    header, _, signature = sign_attestation(_claims(), private_key).split(".")
    forged = _b64(json.dumps(_claims(evidence__face_match_score=0.99)).encode())
    refused = _refusal(f"{header}.{forged}.{signature}", private_key)
    assert refused.code == "attestation_signature_invalid"


def test_signature_by_another_key_is_refused(
    private_key: PrivateKey, other_key: PrivateKey
) -> None:
    token = sign_attestation(_claims(), other_key)
    assert _refusal(token, private_key).code == "attestation_signature_invalid"


def test_empty_signature_is_refused(private_key: PrivateKey) -> None:
    token = sign_attestation(_claims(), private_key).rsplit(".", 1)[0] + "."
    assert _refusal(token, private_key).code == "attestation_signature_invalid"


# --- refused: the claims ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"aud": "another-service"}, "attestation_audience_mismatch"),
        ({"aud": ["audit"]}, "attestation_audience_mismatch"),
        ({"iss": "icbc-paris-t09"}, "attestation_issuer_mismatch"),
        ({"application_id": "01JDX5P6F3G0Q8M2ZC1R7K9TBB"}, "attestation_wrong_application"),
        ({"exp": EXAMPLE_CLAIMS["iat"] + 601}, "attestation_lifetime_too_long"),
        ({"exp": EXAMPLE_CLAIMS["iat"] + 86400}, "attestation_lifetime_too_long"),
        ({"exp": EXAMPLE_CLAIMS["iat"]}, "attestation_malformed"),
        ({"evidence__document_chip_read": False}, "document_chip_not_read"),
        ({"evidence__liveness_passed": False}, "liveness_check_failed"),
        ({"evidence__face_match_score": 0.899}, "face_match_below_threshold"),
        ({"evidence__face_match_score": 0.0}, "face_match_below_threshold"),
    ],
)
def test_claim_refusals(private_key: PrivateKey, changes: dict[str, Any], code: str) -> None:
    token = sign_attestation(_claims(**changes), private_key)
    assert _refusal(token, private_key).code == code


def test_expired(private_key: PrivateKey) -> None:
    token = sign_attestation(_claims(), private_key)
    later = IAT + timedelta(minutes=5, seconds=31)
    assert _refusal(token, private_key, now=later).code == "attestation_expired"


def test_not_yet_valid(private_key: PrivateKey) -> None:
    token = sign_attestation(_claims(), private_key)
    earlier = IAT - timedelta(seconds=31)
    assert _refusal(token, private_key, now=earlier).code == "attestation_not_yet_valid"


def test_reused_jti(private_key: PrivateKey) -> None:
    token = sign_attestation(_claims(), private_key)
    seen = {EXAMPLE_CLAIMS["jti"]}
    refused = _refusal(token, private_key, jti_seen=seen.__contains__)
    assert refused.code == "attestation_replayed"


def test_jti_store_is_asked_only_about_otherwise_valid_attestations(
    private_key: PrivateKey,
) -> None:
    asked: list[str] = []
    token = sign_attestation(_claims(application_id="someone-else"), private_key)

    def jti_seen(jti: str) -> bool:
        asked.append(jti)
        return False

    _refusal(token, private_key, jti_seen=jti_seen)
    assert asked == []


def test_the_threshold_is_configurable(private_key: PrivateKey) -> None:
    token = sign_attestation(_claims(), private_key)
    refused = _refusal(token, private_key, face_match_threshold=0.98)
    assert refused.code == "face_match_below_threshold"


# --- refused: biometric data --------------------------------------------------------------

JPEG_B64 = base64.b64encode(bytes.fromhex("ffd8ffe000104a464946") + bytes(100)).decode()


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"face_image": "x"}, "$.face_image"),
        ({"photo": "x"}, "$.photo"),
        ({"person__portrait": "x"}, "$.person.portrait"),
        ({"evidence__template": "x"}, "$.evidence.template"),
        ({"evidence__face_template": {"format": "ISO 19794-5"}}, "$.evidence.face_template"),
        ({"biometric": {"kind": "face"}}, "$.biometric"),
        ({"evidence__biometrics": []}, "$.evidence.biometrics"),
        ({"evidence__faceImage": "x"}, "$.evidence.faceImage"),
        ({"evidence__facePhotoJpeg": "x"}, "$.evidence.facePhotoJpeg"),
        ({"person__selfie_url": "https://bank.example/s.jpg"}, "$.person.selfie_url"),
        ({"evidence__fingerprint": "x"}, "$.evidence.fingerprint"),
        ({"evidence__iris": "x"}, "$.evidence.iris"),
        ({"chip": {"dg2": "x"}}, "$.chip.dg2"),
        ({"evidence__captures": [{"image": "x"}]}, "$.evidence.captures[0].image"),
        ({"evidence__extra": JPEG_B64}, "$.evidence.extra"),
        ({"note": "data:image/png;base64," + "A" * 80}, "$.note"),
    ],
)
def test_biometric_data_is_refused(
    private_key: PrivateKey, changes: dict[str, Any], where: str
) -> None:
    token = sign_attestation(_claims(**changes), private_key)
    refused = _refusal(token, private_key)
    assert refused.code == "biometric_data_present"
    assert where in str(refused)
    assert JPEG_B64 not in str(refused)


def test_biometric_data_is_refused_before_any_other_claim_check(private_key: PrivateKey) -> None:
    token = sign_attestation(_claims(application_id="other", portrait="x"), private_key)
    assert _refusal(token, private_key).code == "biometric_data_present"


def test_face_match_score_is_not_biometric_data(private_key: PrivateKey) -> None:
    # The verdict (score, liveness, chip) is what we are meant to receive.
    assert _verify(sign_attestation(_claims(), private_key), private_key)


# --- refused: malformed -------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!!.eyJ9.c2ln",
        "e30.e30.c2ln",  # header without alg: refused as an algorithm problem, below
        "x" * 20000,
    ],
)
def test_not_a_compact_jws(private_key: PrivateKey, token: str) -> None:
    refused = _refusal(token, private_key)
    assert refused.code in {"attestation_malformed", "attestation_algorithm_refused"}


@pytest.mark.parametrize(
    "changes",
    [
        {"person": _DELETE},
        {"evidence": "yes"},
        {"person__name": ""},
        {"person__birth_date": "17/03/1985"},
        {"person__birth_date": "1985-02-30"},
        {"evidence__face_match_score": "0.97"},
        {"evidence__face_match_score": True},
        {"evidence__face_match_score": 1.5},
        {"evidence__document_chip_read": "true"},
        {"evidence__checked_at": "yesterday"},
        {"evidence__checked_at": "2025-11-29T00:00:12"},
        {"evidence__checked_at": "2025-11-29T01:00:00Z"},  # after `now`
        {"iat": "1764374400"},
        {"exp": None},
        {"jti": ""},
        {"jti": "j" * 257},
        {"iss": 7},
        {"aud": 7},
    ],
)
def test_malformed_claims(private_key: PrivateKey, changes: dict[str, Any]) -> None:
    token = sign_attestation(_claims(**changes), private_key)
    assert _refusal(token, private_key).code == "attestation_malformed"


def test_payload_must_be_a_json_object(private_key: PrivateKey) -> None:
    for payload in (b"[1, 2]", b"not json", b"\xff\xfe"):
        token = _compact({"alg": _alg(private_key)}, payload, private_key)
        assert _refusal(token, private_key).code == "attestation_malformed"


def test_deeply_nested_json_is_malformed_not_a_recursion_error(private_key: PrivateKey) -> None:
    deep = b"[" * 5000 + b"]" * 5000
    header_segment = _b64(deep)
    # In the header: refused before the signature is even looked at.
    refused = _refusal(f"{header_segment}.{_b64(b'{}')}.{_b64(b'sig')}", private_key)
    assert (refused.code, str(refused)) == (
        "attestation_malformed",
        "the protected header nests too deeply",
    )
    # In a validly signed payload (within the token size limit: the depth is what refuses it).
    for payload in (deep, b'{"a":' * 2000 + b"1" + b"}" * 2000):
        token = _compact({"alg": _alg(private_key)}, payload, private_key)
        refused = _refusal(token, private_key)
        assert (refused.code, str(refused)) == (
            "attestation_malformed",
            "the payload nests too deeply",
        )


def test_duplicate_claims_are_refused(private_key: PrivateKey) -> None:
    # Which application_id would another parser believe? Neither: refuse.
    payload = json.dumps(_claims())[:-1] + ', "application_id": "other"}'
    token = _compact({"alg": _alg(private_key)}, payload.encode(), private_key)
    refused = _refusal(token, private_key)
    assert refused.code == "attestation_malformed"
    assert "application_id" in str(refused)


def test_every_refusal_is_an_attestation_error() -> None:
    codes = {cls.code for cls in _all_subclasses(AttestationError)}
    assert codes == {
        "attestation_malformed",
        "attestation_kid_required",
        "attestation_key_unknown",
        "attestation_key_revoked",
        "attestation_algorithm_refused",
        "attestation_signature_invalid",
        "attestation_issuer_mismatch",
        "attestation_audience_mismatch",
        "attestation_not_yet_valid",
        "attestation_expired",
        "attestation_lifetime_too_long",
        "attestation_replayed",
        "attestation_wrong_application",
        "document_chip_not_read",
        "liveness_check_failed",
        "face_match_below_threshold",
        "biometric_data_present",
    }


def _all_subclasses(cls: type[AttestationError]) -> set[type[AttestationError]]:
    return {sub for direct in cls.__subclasses__() for sub in {direct} | _all_subclasses(direct)}


# --- API misuse -----------------------------------------------------------------------------


def test_sign_refuses_an_alg_that_does_not_fit_the_key() -> None:
    with pytest.raises(ValueError, match="does not match"):
        sign_attestation(_claims(), Ed25519PrivateKey.generate(), "ES256")
    with pytest.raises(ValueError, match="does not match"):
        sign_attestation(_claims(), ec.generate_private_key(ec.SECP256R1()), "EdDSA")


def test_naive_now_is_refused(private_key: PrivateKey) -> None:
    with pytest.raises(ValueError, match="timezone"):
        _verify(sign_attestation(_claims(), private_key), private_key, now=datetime(2025, 11, 29))


def test_unsupported_key_types_are_refused() -> None:
    with pytest.raises(ValueError, match="Ed25519 or ECDSA P-256"):
        sign_attestation(_claims(), ec.generate_private_key(ec.SECP384R1()))


def test_evidence_older_than_the_token_frame_is_refused(private_key: PrivateKey) -> None:
    token = sign_attestation(_claims(evidence__checked_at="2025-11-28T23:49:59Z"), private_key)
    assert _refusal(token, private_key).code == "attestation_malformed"


@pytest.mark.parametrize("segment", ["header", "payload", "signature"])
def test_base64url_must_be_strict(private_key: PrivateKey, segment: str) -> None:
    # Padding, the standard alphabet or stray characters give another spelling of the token.
    parts = dict(
        zip(
            ("header", "payload", "signature"),
            sign_attestation(_claims(), private_key).split("."),
            strict=True,
        )
    )
    parts[segment] = parts[segment][:-2] + "+/"
    refused = _refusal(".".join(parts.values()), private_key)
    assert refused.code == "attestation_malformed"


# --- interoperability with an independent JOSE implementation (joserfc) ---------------------


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
def test_joserfc_signs_we_verify(private_key: PrivateKey) -> None:
    alg = _alg(private_key)
    jwk = (
        OKPKey.import_key(private_key)
        if isinstance(private_key, Ed25519PrivateKey)
        else ECKey.import_key(private_key)
    )
    payload = json.dumps(_claims(), ensure_ascii=False).encode()
    token = jws.serialize_compact({"alg": alg, "typ": "JWT"}, payload, jwk, algorithms=[alg])
    assert _verify(token, private_key).person.name == "张伟"


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
def test_we_sign_joserfc_verifies(private_key: PrivateKey) -> None:
    alg = _alg(private_key)
    public = private_key.public_key()
    jwk = (
        ECKey.import_key(public)
        if isinstance(public, ec.EllipticCurvePublicKey)
        else OKPKey.import_key(public)
    )
    token = sign_attestation(_claims(), private_key)
    verified = jws.deserialize_compact(token, jwk, algorithms=[alg])
    assert json.loads(verified.payload)["jti"] == EXAMPLE_CLAIMS["jti"]


def test_the_kid_names_the_key_and_is_covered_by_the_signature(private_key: PrivateKey) -> None:
    token = sign_attestation(_claims(), private_key, kid="boc-t01-att-2026")
    assert attestation_kid(token) == "boc-t01-att-2026"
    assert attestation_kid(sign_attestation(_claims(), private_key)) is None
    _, payload, signature = token.split(".")
    relabelled = _b64(json.dumps({"alg": _alg(private_key), "kid": "other"}).encode())
    assert attestation_kid(f"{relabelled}.{payload}.{signature}") == "other"
    # The kid is in the protected header: changing it breaks the signature.
    assert _refusal(f"{relabelled}.{payload}.{signature}", private_key).code == (
        "attestation_signature_invalid"
    )
    for bad in ({"alg": "EdDSA", "kid": 7}, {"alg": "EdDSA", "kid": ""}):
        with pytest.raises(AttestationMalformed):
            attestation_kid(f"{_b64(json.dumps(bad).encode())}.{payload}.{signature}")
    with pytest.raises(AttestationMalformed):
        attestation_kid("not-a-jws")
