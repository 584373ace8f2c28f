"""The conformance vectors (conformance/vectors) are what the reference code produces, and the
code agrees with every case: a change of behaviour shows up here as a failing vector, and the
committed files cannot go stale (`python -m conformance.generate --check`)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bank_adapter.attestations import sign_attestation, verify_attestation
from bank_adapter.content_digest import create_content_digest, verify_content_digest
from bank_adapter.errors import BankAdapterError
from bank_adapter.http_signatures import build_signature_base, sign_request, verify_request
from bank_adapter.keys import load_private_key, load_public_key, verify_raw
from bank_adapter.nonces import InMemoryNonceStore
from bank_adapter.webhooks import retry_delay
from conformance import generate

VECTORS = Path(generate.__file__).parent / "vectors"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text("utf-8"))
    return data


KEYS = _load("keys.json")["keys"]


def _ids(case: dict[str, Any]) -> str:
    return str(case["name"])


def _outcome(action: Callable[[], object]) -> dict[str, Any]:
    try:
        action()
    except BankAdapterError as error:
        return {"result": "refuse", "code": error.code}
    return {"result": "accept"}


def _headers(request: dict[str, Any]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in request["headers"]]


def test_the_committed_vectors_are_what_the_code_produces() -> None:
    for name, text in generate.render().items():
        assert (VECTORS / name).read_text("utf-8") == text, (
            f"conformance/vectors/{name} is stale: run python -m conformance.generate"
        )


def test_every_refusal_code_of_the_library_has_a_vector() -> None:
    codes = {
        case["expected"].get("code")
        for name in ("request-signatures.json", "attestations.json", "content-digest.json")
        for case in _load(name)["verify"]
    }
    expected = {
        "signature_missing",
        "signature_invalid",
        "component_not_covered",
        "digest_mismatch",
        "stale_signature",
        "unknown_key",
        "replayed_nonce",
        "content_digest_missing",
        "content_digest_malformed",
        "content_digest_unsupported",
        "attestation_malformed",
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
    assert expected <= codes, expected - codes


@pytest.mark.parametrize("case", _load("content-digest.json")["create"], ids=_ids)
def test_content_digest_create(case: dict[str, Any]) -> None:
    assert create_content_digest(base64.b64decode(case["body_base64"])) == case["expected"]


@pytest.mark.parametrize("case", _load("content-digest.json")["verify"], ids=_ids)
def test_content_digest_verify(case: dict[str, Any]) -> None:
    body = base64.b64decode(case["body_base64"])
    assert _outcome(lambda: verify_content_digest(case["field_value"], body)) == case["expected"]


@pytest.mark.parametrize("case", _load("signature-bases.json")["cases"], ids=_ids)
def test_signature_base(case: dict[str, Any]) -> None:
    request = case["request"]
    base = build_signature_base(
        request["method"],
        request["target_uri"],
        _headers(request),
        case["covered_components"],
        case["signature_params"],
    )
    assert base.decode("ascii") == case["expected_signature_base"]


@pytest.mark.parametrize("case", _load("request-signatures.json")["sign"], ids=_ids)
def test_request_signing(case: dict[str, Any]) -> None:
    request, signer = case["request"], case["signer"]
    key = load_private_key(KEYS[signer["key"]]["private_pem"])
    expires = signer.get("expires")
    added = sign_request(
        request["method"],
        request["target_uri"],
        _headers(request),
        base64.b64decode(request["body_base64"]),
        key=key,
        keyid=signer["keyid"],
        created=datetime.fromtimestamp(signer["created"], UTC),
        expires=None if expires is None else datetime.fromtimestamp(expires, UTC),
        nonce=signer["nonce"],
    )
    assert added == case["expected"]["headers"]
    signature = base64.b64decode(added["Signature"].split(":")[1])
    base = case["expected"]["signature_base"].encode("ascii")
    assert verify_raw(key.public_key(), signature, base)


@pytest.mark.parametrize(
    "case",
    _load("request-signatures.json")["verify"] + _load("webhooks.json")["verify"],
    ids=_ids,
)
def test_request_verification(case: dict[str, Any]) -> None:
    request, verifier = case["request"], case["verifier"]
    keys = {
        keyid: load_public_key(KEYS[name]["public_pem"])
        for keyid, name in verifier["registered_keys"].items()
    }
    now = datetime.fromtimestamp(verifier["now"], UTC)
    store = InMemoryNonceStore(clock=lambda: now)
    for keyid, nonce in verifier["seen_nonces"]:
        store.remember(keyid, nonce, now + timedelta(hours=1))
    outcome = _outcome(
        lambda: verify_request(
            request["method"],
            request["target_uri"],
            _headers(request),
            base64.b64decode(request["body_base64"]),
            resolve_key=keys.get,
            now=now,
            nonce_store=store,
            max_skew=timedelta(seconds=verifier["max_skew_seconds"]),
        )
    )
    assert outcome == case["expected"]


@pytest.mark.parametrize("case", _load("attestations.json")["verify"], ids=_ids)
def test_attestation_verification(case: dict[str, Any]) -> None:
    verifier = case["verifier"]
    profile = _load("attestations.json")["profile"]
    seen = set(verifier["jti_seen"])
    outcome = _outcome(
        lambda: verify_attestation(
            case["token"],
            key=load_public_key(KEYS[verifier["key"]]["public_pem"]),
            expected_issuer=verifier["expected_issuer"],
            application_id=verifier["application_id"],
            now=datetime.fromtimestamp(verifier["now"], UTC),
            jti_seen=seen.__contains__,
            face_match_threshold=profile["face_match_threshold"],
            clock_skew=timedelta(seconds=profile["clock_skew_seconds"]),
        )
    )
    assert outcome == case["expected"]


def test_attestation_signing() -> None:
    (case,) = _load("attestations.json")["sign"]
    key = load_private_key(KEYS[case["key"]]["private_pem"])
    assert sign_attestation(case["claims"], key, kid=case["kid"]) == case["expected_token"]


@pytest.mark.parametrize(
    "case",
    _load("webhooks.json")["retry_delay"],
    ids=lambda case: f"attempt {case['attempt']} {case['mode']} {case['jitter']}",
)
def test_webhook_retry_schedule(case: dict[str, Any]) -> None:
    delay = retry_delay(
        case["attempt"],
        case["base_seconds"],
        case["cap_seconds"],
        lambda: case["jitter"],
        mode=case["mode"],
    )
    assert delay == pytest.approx(case["expected_seconds"])


def test_vectors_fail_when_behaviour_changes() -> None:
    """A guard on the guard: a tampered expectation is caught."""
    (case, *_) = _load("request-signatures.json")["verify"]
    assert case["expected"] == {"result": "accept"}
    tampered = dict(case, expected={"result": "refuse", "code": "signature_invalid"})
    with pytest.raises(AssertionError):
        test_request_verification(tampered)
