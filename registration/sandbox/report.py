"""The conformance report, signed by the sandbox: a compact JWS (EdDSA) over the report's JSON,
so a bank can show it to the authority and anyone can check it with the published key."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bank_adapter.attestations import sign_attestation
from bank_adapter.keys import load_private_key, write_private_key
from registration.sandbox.grading import StepResult

KID: Final = "bizreg-sandbox-report"


class ReportInvalid(Exception):
    pass


def report_key(path: Path) -> Ed25519PrivateKey:
    """The sandbox's report key, created on first use."""
    if not path.exists():
        write_private_key(path, Ed25519PrivateKey.generate())
    key = load_private_key(path.read_bytes())
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 key")
    return key


def public_jwk(key: Ed25519PrivateKey) -> dict[str, str]:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw), "kid": KID, "use": "sig"}


def build(client_id: str, steps: Sequence[StepResult], generated_at: str) -> dict[str, Any]:
    return {
        "type": "bizreg.sandbox.conformance_report",
        "client_id": client_id,
        "generated_at": generated_at,
        "passed": all(step.passed for step in steps),
        "steps": [asdict(step) for step in steps],
    }


def sign(report: dict[str, Any], key: Ed25519PrivateKey) -> str:
    return sign_attestation(report, key, kid=KID)


def verify(token: str, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """The report inside `token`, or `ReportInvalid` if the sandbox's key did not sign it."""
    try:
        header_b64, payload_b64, signature_b64 = token.strip().split(".")
        header = json.loads(_unb64url(header_b64))
        if header != {"alg": "EdDSA", "kid": KID}:
            raise ReportInvalid(f"unexpected JWS header {header}")
        public_key.verify(_unb64url(signature_b64), f"{header_b64}.{payload_b64}".encode())
        report: dict[str, Any] = json.loads(_unb64url(payload_b64))
    except ReportInvalid:
        raise
    except Exception as exc:  # any malformation or a bad signature: not a sandbox report
        raise ReportInvalid(f"not a report signed by the sandbox: {type(exc).__name__}") from exc
    return report


def public_key_of(jwk: dict[str, Any]) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ReportInvalid("the sandbox key is an Ed25519 JWK")
    return Ed25519PublicKey.from_public_bytes(_unb64url(str(jwk["x"])))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ReportInvalid("not base64url") from exc
