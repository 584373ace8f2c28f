"""Identity attestations: a bank's signed statement that it checked a person's document and face.

After its face-match and document check, a terminal posts a compact JWS (RFC 7515 §7.1) to
`/api/v1/applications/{id}/attestations`, signed with the client's registered *attestation*
key (EdDSA with Ed25519, RFC 8037 §3.1; or ES256, RFC 7518 §3.4). The claims are those of
`examples/attestation-claims.json`: `iss`, `aud` = "bizreg", `iat`, `exp`, `jti`,
`application_id`, `person` and `evidence`.

What we refuse, and why:

- any `alg` but EdDSA / ES256, and any `alg` that does not fit the registered key: the key
  decides the algorithm, so `alg: none` or HS256-keyed-with-the-public-key (RFC 8725 §2.1,
  §3.1) can never be chosen by the token (RFC 7515 §4.1.1 lets the header *name* the
  algorithm; it must not get to *pick* it);
- a `crit` header: we implement no extension, and RFC 7515 §4.1.11 says refuse;
- a token not for us (`aud`), not from this client (`iss`), not for this application
  (`application_id`), not fresh (`iat`/`exp`, lifetime at most 10 minutes), or seen before
  (`jti`; RFC 7519 §4.1.7 — single use, the caller stores them);
- weak evidence: chip not read, liveness failed, face-match score under the threshold;
- biometric data of any kind. The service must never receive a face image or template
  (the bank keeps it, we keep only the verdict), so a token carrying one is refused whole.

Personal data from the token never appears in error messages.

Library choice: we verify with `cryptography` directly rather than through joserfc. A
compact JWS with these two algorithms is a small, fully specified check (RFC 7515 §5.2:
base64url-decode, verify the signature over `header.payload`; RFC 7518 §3.4 and RFC 8037 §3.1
define the same raw signature encodings RFC 9421 uses, so `bank_adapter.keys` serves both).
We had to parse the header ourselves anyway, to pin the algorithm to the key and give each
refusal its own code. And joserfc emits a `SecurityWarning` on every EdDSA verification (RFC
9864 deprecates the name "EdDSA" in favour of "Ed25519"), which could only be silenced by a
process-wide warnings filter that test runners and logging setups reset, or by the
thread-unsafe `warnings.catch_warnings`. The contract says "EdDSA"; the concern behind RFC
9864 (which curve?) does not arise because the registered key fixes the curve.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Literal, TypeAlias

from bank_adapter.errors import (
    AttestationAlgorithmRefused,
    AttestationAudienceMismatch,
    AttestationExpired,
    AttestationIssuerMismatch,
    AttestationLifetimeTooLong,
    AttestationMalformed,
    AttestationNotYetValid,
    AttestationReplayed,
    AttestationSignatureInvalid,
    AttestationWrongApplication,
    BiometricDataPresent,
    DocumentChipNotRead,
    FaceMatchBelowThreshold,
    LivenessCheckFailed,
)
from bank_adapter.json_depth import JsonTooDeep, loads_bounded
from bank_adapter.keys import PrivateKey, PublicKey, sign_raw, signature_algorithm_for, verify_raw

__all__ = [
    "ATTESTATION_AUDIENCE",
    "DEFAULT_ATTESTATION_CLOCK_SKEW",
    "MAX_ATTESTATION_LIFETIME",
    "Attestation",
    "AttestationEvidence",
    "AttestedPerson",
    "JoseAlgorithm",
    "attestation_kid",
    "sign_attestation",
    "verify_attestation",
]

JoseAlgorithm: TypeAlias = Literal["EdDSA", "ES256"]

ATTESTATION_AUDIENCE: Final = "bizreg"
MAX_ATTESTATION_LIFETIME: Final = timedelta(minutes=10)
DEFAULT_ATTESTATION_CLOCK_SKEW: Final = timedelta(seconds=30)

_MAX_TOKEN_LENGTH: Final = 16 * 1024
_MAX_JTI_LENGTH: Final = 256
_MAX_KID_LENGTH: Final = 200  # the registry's keyid limit


@dataclass(frozen=True)
class AttestedPerson:
    name: str
    document_type: str
    document_number: str
    nationality: str
    birth_date: date


@dataclass(frozen=True)
class AttestationEvidence:
    document_chip_read: bool
    face_match_score: float
    liveness_passed: bool
    checked_at: datetime


@dataclass(frozen=True)
class Attestation:
    """A verified attestation: who was checked, how, by whom, for which application."""

    issuer: str
    jti: str
    application_id: str
    person: AttestedPerson
    evidence: AttestationEvidence
    issued_at: datetime
    expires_at: datetime


def jose_algorithm_for(key: PublicKey | PrivateKey) -> JoseAlgorithm:
    """The only JWS `alg` a key may be used with (RFC 8037 §3.1, RFC 7518 §3.4)."""
    return "EdDSA" if signature_algorithm_for(key) == "ed25519" else "ES256"


def sign_attestation(
    claims: Mapping[str, Any],
    key: PrivateKey,
    alg: JoseAlgorithm | None = None,
    *,
    kid: str | None = None,
) -> str:
    """Sign `claims` as a compact JWS, as a bank's terminal does (reference client, tests).

    `kid` (RFC 7515 §4.1.4) is the registered keyid of `key`: required once the client holds
    more than one active attestation key (a rotation), so the registry knows which to use.
    """
    key_alg = jose_algorithm_for(key)
    if alg is not None and alg != key_alg:
        raise ValueError(f"alg {alg!r} does not match the key ({key_alg})")
    protected: dict[str, str] = {"alg": key_alg}
    if kid is not None:
        protected["kid"] = kid
    header = json.dumps(protected, separators=(",", ":")).encode("ascii")
    payload = json.dumps(dict(claims), ensure_ascii=False, separators=(",", ":")).encode()
    signing_input = f"{_b64url_encode(header)}.{_b64url_encode(payload)}"  # RFC 7515 §5.1
    return f"{signing_input}.{_b64url_encode(sign_raw(key, signing_input.encode('ascii')))}"


def attestation_kid(token: str) -> str | None:
    """The `kid` of the token's protected header, or None when it names none.

    Read before any signature check, and only to choose which registered key to verify with:
    a forged `kid` can only pick another key of the same client, against which the signature
    then fails. Raises `AttestationMalformed` for anything that is not a compact JWS header
    with, if present, a string `kid` of at most 200 characters.
    """
    header_segment = _split_compact(token)[0]
    header = _decode_json(_b64url_decode(header_segment, "protected header"), "protected header")
    kid = header.get("kid")
    if kid is None:
        return None
    if not isinstance(kid, str) or not kid or len(kid) > _MAX_KID_LENGTH:
        raise AttestationMalformed("the JWS kid must be a string of 1 to 200 characters")
    return kid


def verify_attestation(
    token: str,
    *,
    key: PublicKey,
    expected_issuer: str,
    application_id: str,
    now: datetime,
    jti_seen: Callable[[str], bool] | None,
    face_match_threshold: float = 0.9,
    clock_skew: timedelta = DEFAULT_ATTESTATION_CLOCK_SKEW,
) -> Attestation:
    """Verify a compact-JWS attestation and return its content, or raise an `AttestationError`.

    `key` is the client's registered attestation key; `expected_issuer` the client's `iss`.
    `jti_seen(jti)` answers whether this issuer's `jti` was already accepted; it is asked
    last, only for an otherwise valid attestation, and the caller must record the `jti` in
    the same transaction that stores the attestation (a unique constraint settles races).
    Pass None only if the caller enforces single use some other way.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    pinned_alg = jose_algorithm_for(key)
    # RFC 7515 §5.2, steps 1-8, for the compact serialization.
    header_segment, payload_segment, signature_segment = _split_compact(token)
    header = _decode_json(_b64url_decode(header_segment, "protected header"), "protected header")
    _check_header(header, pinned_alg)
    payload = _b64url_decode(payload_segment, "payload")
    signature = _b64url_decode(signature_segment, "signature")
    if not signature:
        raise AttestationSignatureInvalid("the JWS has no signature")
    signing_input = f"{header_segment}.{payload_segment}".encode("ascii")
    if not verify_raw(key, signature, signing_input):
        raise AttestationSignatureInvalid()

    claims = _decode_json(payload, "payload")
    # Before anything else about the content: such a token must be refused as a whole, and
    # the caller must not store or log it.
    offending = next(_biometric_claims(claims), None)
    if offending is not None:
        raise BiometricDataPresent(f"the attestation carries biometric data at {offending}")

    attestation = _parse_claims(claims)
    if attestation.issuer != expected_issuer:
        raise AttestationIssuerMismatch("the attestation was issued by another client")
    audience = claims["aud"]
    audiences = audience if isinstance(audience, list) else [audience]
    if ATTESTATION_AUDIENCE not in audiences:  # RFC 7519 §4.1.3
        raise AttestationAudienceMismatch(f"the audience is not {ATTESTATION_AUDIENCE!r}")

    if attestation.expires_at <= attestation.issued_at:
        raise AttestationMalformed("exp is not after iat")
    if attestation.expires_at - attestation.issued_at > MAX_ATTESTATION_LIFETIME:
        raise AttestationLifetimeTooLong("exp is more than 10 minutes after iat")
    if attestation.issued_at > now + clock_skew:
        raise AttestationNotYetValid("iat is in the future")
    if now > attestation.expires_at + clock_skew:  # RFC 7519 §4.1.4
        raise AttestationExpired("the attestation has expired")
    # The check must fall within the token's own frame: not after it expires, and not so long
    # before it was issued that old evidence is being re-wrapped in a fresh token.
    checked_at = attestation.evidence.checked_at
    if not (
        attestation.issued_at - MAX_ATTESTATION_LIFETIME
        <= checked_at
        <= attestation.expires_at + clock_skew
    ):
        raise AttestationMalformed("evidence.checked_at lies outside the attestation's validity")

    if attestation.application_id != application_id:
        raise AttestationWrongApplication("the attestation was made for another application")

    evidence = attestation.evidence
    if not evidence.document_chip_read:
        raise DocumentChipNotRead("the identity document's chip was not read")
    if not evidence.liveness_passed:
        raise LivenessCheckFailed("the liveness check did not pass")
    if evidence.face_match_score < face_match_threshold:
        raise FaceMatchBelowThreshold(
            f"face-match score below the threshold {face_match_threshold}"
        )

    if jti_seen is not None and jti_seen(attestation.jti):
        raise AttestationReplayed("this attestation (jti) has already been used")
    return attestation


# --- parsing ------------------------------------------------------------------------------


def _split_compact(token: str) -> list[str]:
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_LENGTH:
        raise AttestationMalformed("the attestation is not a compact JWS of acceptable size")
    segments = token.strip().split(".")
    # The signature segment may be empty here so that an unsecured JWS (`alg: none`, RFC 7515
    # §A.5) is refused for what it is, by the algorithm check, rather than as malformed.
    if len(segments) != 3 or not segments[0] or not segments[1]:
        raise AttestationMalformed("a compact JWS has three base64url segments")
    return segments


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(segment: str, what: str) -> bytes:
    # RFC 7515 §2: base64url without padding. Python's decoder would skip stray characters
    # and accept the standard alphabet; a signed token has exactly one spelling.
    if not _BASE64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise AttestationMalformed(f"the {what} is not base64url")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - the regex catches these
        raise AttestationMalformed(f"the {what} is not base64url") from exc


def _decode_json(raw: bytes, what: str) -> dict[str, Any]:
    def refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # RFC 7515 §5.2 step 4 / RFC 7519 §4: duplicate names must be rejected; parsers that
        # keep the first vs the last value are a classic way to smuggle a claim.
        result: dict[str, Any] = {}
        for name, value in pairs:
            if name in result:
                raise AttestationMalformed(f"the {what} repeats the member {name!r}")
            result[name] = value
        return result

    try:
        # Nesting is bounded before parsing: the header is parsed before the signature is
        # checked, and `[[[[…` would otherwise exhaust the parser's recursion (a 500).
        decoded = loads_bounded(raw.decode("utf-8"), object_pairs_hook=refuse_duplicates)
    except JsonTooDeep as exc:
        raise AttestationMalformed(f"the {what} nests too deeply") from exc
    except ValueError as exc:  # UnicodeDecodeError included
        raise AttestationMalformed(f"the {what} is not JSON") from exc
    if not isinstance(decoded, dict):
        raise AttestationMalformed(f"the {what} is not a JSON object")
    return decoded


def _check_header(header: Mapping[str, Any], pinned_alg: JoseAlgorithm) -> None:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ("EdDSA", "ES256"):
        raise AttestationAlgorithmRefused(f"JWS alg {alg!r} is refused; use EdDSA or ES256")
    if alg != pinned_alg:
        raise AttestationAlgorithmRefused(
            f"JWS alg {alg!r} does not match the registered key ({pinned_alg})"
        )
    if "crit" in header or "b64" in header:
        raise AttestationMalformed("JWS extensions (crit, b64) are not supported")


_BIOMETRIC_WORDS: Final = frozenset(
    {
        "biometric",
        "biometrics",
        "photo",
        "photos",
        "photograph",
        "portrait",
        "selfie",
        "image",
        "images",
        "img",
        "picture",
        "template",
        "templates",
        "fingerprint",
        "fingerprints",
        "iris",
        "facemap",
        "minutiae",
        "video",
        # ICAO 9303-10 data groups holding the encoded face, fingerprints and irises.
        "dg2",
        "dg3",
        "dg4",
    }
)
_BIOMETRIC_SUBSTRINGS: Final = (
    "biometric",
    "fingerprint",
    "portrait",
    "selfie",
    "photo",
    "faceimage",
    "facetemplate",
)
# Base64 of the JPEG, PNG, JPEG 2000 (JP2 box and codestream) magic numbers, standard and
# url-safe alphabets: how an encoded face image (ICAO 9303 DG2 uses JPEG / JPEG 2000) looks.
_IMAGE_PREFIXES: Final = (
    "data:image/",
    "/9j/",
    "_9j_",
    "iVBORw0KGgo",
    "AAAADGpQICANCocK",
    "/0//U",
    "_0__U",
)
# Split claim names into words: snake_case, kebab-case, dotted and camelCase alike.
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def _biometric_claims(value: Any, path: str = "$") -> Iterator[str]:
    """JSON paths of claims that are, or look like, biometric data (names only, no values)."""
    if isinstance(value, dict):
        for name, member in value.items():
            member_path = f"{path}.{name}"
            words = {word.lower() for word in _WORD_SPLIT.split(str(name)) if word}
            compact = re.sub(r"[^a-z0-9]", "", str(name).lower())
            if words & _BIOMETRIC_WORDS or any(s in compact for s in _BIOMETRIC_SUBSTRINGS):
                yield member_path
            yield from _biometric_claims(member, member_path)
    elif isinstance(value, list):
        for index, member in enumerate(value):
            yield from _biometric_claims(member, f"{path}[{index}]")
    elif isinstance(value, str) and value.startswith(_IMAGE_PREFIXES) and len(value) >= 64:
        yield path


def _parse_claims(claims: Mapping[str, Any]) -> Attestation:
    person = _object(claims, "person")
    evidence = _object(claims, "evidence")
    audience = claims.get("aud")
    if not (
        isinstance(audience, str)
        or (isinstance(audience, list) and all(isinstance(a, str) for a in audience))
    ):
        raise AttestationMalformed("claim 'aud' must be a string or a list of strings")
    jti = _string(claims, "jti")
    if len(jti) > _MAX_JTI_LENGTH:
        raise AttestationMalformed("claim 'jti' is too long")
    score = _number(evidence.get("face_match_score"))
    if score is None or not 0.0 <= score <= 1.0:
        raise AttestationMalformed("claim 'evidence.face_match_score' must be a number in [0, 1]")
    return Attestation(
        issuer=_string(claims, "iss"),
        jti=jti,
        application_id=_string(claims, "application_id"),
        person=AttestedPerson(
            name=_string(person, "name", "person."),
            document_type=_string(person, "document_type", "person."),
            document_number=_string(person, "document_number", "person."),
            nationality=_string(person, "nationality", "person."),
            birth_date=_date(person, "birth_date", "person."),
        ),
        evidence=AttestationEvidence(
            document_chip_read=_boolean(evidence, "document_chip_read", "evidence."),
            face_match_score=score,
            liveness_passed=_boolean(evidence, "liveness_passed", "evidence."),
            checked_at=_timestamp(evidence, "checked_at", "evidence."),
        ),
        issued_at=_numeric_date(claims, "iat"),
        expires_at=_numeric_date(claims, "exp"),
    )


def _object(claims: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = claims.get(name)
    if not isinstance(value, dict):
        raise AttestationMalformed(f"claim {name!r} must be an object")
    return value


def _string(claims: Mapping[str, Any], name: str, prefix: str = "") -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value.strip():
        raise AttestationMalformed(f"claim '{prefix}{name}' must be a non-empty string")
    return value


def _boolean(claims: Mapping[str, Any], name: str, prefix: str) -> bool:
    value = claims.get(name)
    if not isinstance(value, bool):
        raise AttestationMalformed(f"claim '{prefix}{name}' must be a boolean")
    return value


def _number(value: object) -> float | None:
    # bool is an int in Python but `true` is not a number in JSON.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _numeric_date(claims: Mapping[str, Any], name: str) -> datetime:
    value = _number(claims.get(name))
    if value is None:  # RFC 7519 §2 NumericDate: seconds since the epoch
        raise AttestationMalformed(f"claim {name!r} must be a NumericDate")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise AttestationMalformed(f"claim {name!r} is out of range") from exc


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(claims: Mapping[str, Any], name: str, prefix: str) -> date:
    value = _string(claims, name, prefix)
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise AttestationMalformed(f"claim '{prefix}{name}' must be a date YYYY-MM-DD") from exc


def _timestamp(claims: Mapping[str, Any], name: str, prefix: str) -> datetime:
    value = _string(claims, name, prefix)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise AttestationMalformed(f"claim '{prefix}{name}' must be an RFC 3339 time") from exc
    if parsed.tzinfo is None:
        raise AttestationMalformed(f"claim '{prefix}{name}' needs a time zone offset")
    return parsed.astimezone(UTC)
