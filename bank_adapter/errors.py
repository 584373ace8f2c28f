"""Every refusal the terminal protocol can produce, each with a stable machine-readable `code`.

The application turns these into RFC 9457 problem details; the codes are part of the API
contract banks code against, so they never change once published. Nothing here knows about
HTTP status codes: mapping a code to a status is the application's decision.

Exception hierarchy:

    BankAdapterError
    ├── ContentDigestError ............................. RFC 9530 Content-Digest
    │   ├── ContentDigestMissing        content_digest_missing
    │   ├── ContentDigestMalformed      content_digest_malformed
    │   ├── UnsupportedDigestAlgorithm  content_digest_unsupported
    │   └── DigestMismatch              digest_mismatch       (also a RequestSignatureError)
    ├── RequestSignatureError .......................... RFC 9421 request authentication
    │   ├── SignatureMissing            signature_missing
    │   ├── SignatureInvalid            signature_invalid
    │   │   └── ComponentNotCovered     component_not_covered
    │   ├── DigestMismatch              digest_mismatch       (also a ContentDigestError)
    │   ├── StaleSignature              stale_signature
    │   ├── UnknownKey                  unknown_key
    │   ├── ReplayedNonce               replayed_nonce
    │   └── ClientSuspended             client_suspended      (raised by the application)
    └── AttestationError ............................... identity attestation (compact JWS)
        ├── AttestationMalformed        attestation_malformed
        ├── AttestationKidRequired      attestation_kid_required  ┐ which registered key:
        ├── AttestationKeyUnknown       attestation_key_unknown   │ raised by the application,
        ├── AttestationKeyRevoked       attestation_key_revoked   ┘ which holds the registry
        ├── AttestationAlgorithmRefused attestation_algorithm_refused
        ├── AttestationSignatureInvalid attestation_signature_invalid
        ├── AttestationIssuerMismatch   attestation_issuer_mismatch
        ├── AttestationAudienceMismatch attestation_audience_mismatch
        ├── AttestationNotYetValid      attestation_not_yet_valid
        ├── AttestationExpired          attestation_expired
        ├── AttestationLifetimeTooLong  attestation_lifetime_too_long
        ├── AttestationReplayed         attestation_replayed
        ├── AttestationWrongApplication attestation_wrong_application
        ├── DocumentChipNotRead         document_chip_not_read
        ├── LivenessCheckFailed         liveness_check_failed
        ├── FaceMatchBelowThreshold     face_match_below_threshold
        └── BiometricDataPresent        biometric_data_present

`str(error)` is a human-readable detail for logs and the problem's `detail`; it never
contains key material, and for attestations never any personal data from the token.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AttestationAlgorithmRefused",
    "AttestationAudienceMismatch",
    "AttestationError",
    "AttestationExpired",
    "AttestationIssuerMismatch",
    "AttestationKeyRevoked",
    "AttestationKeyUnknown",
    "AttestationKidRequired",
    "AttestationLifetimeTooLong",
    "AttestationMalformed",
    "AttestationNotYetValid",
    "AttestationReplayed",
    "AttestationSignatureInvalid",
    "AttestationWrongApplication",
    "BankAdapterError",
    "BiometricDataPresent",
    "ClientSuspended",
    "ContentDigestError",
    "ContentDigestMalformed",
    "ContentDigestMissing",
    "DigestMismatch",
    "DocumentChipNotRead",
    "FaceMatchBelowThreshold",
    "LivenessCheckFailed",
    "ReplayedNonce",
    "RequestSignatureError",
    "SignatureInvalid",
    "SignatureMissing",
    "StaleSignature",
    "UnknownKey",
    "UnsupportedDigestAlgorithm",
]


class BankAdapterError(Exception):
    """Base of every refusal; `code` is stable and machine-readable."""

    code: ClassVar[str] = "bank_adapter_error"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.__class__.__doc__ or self.code)

    @property
    def detail(self) -> str:
        return str(self)


# --- RFC 9530 Content-Digest --------------------------------------------------------------


class ContentDigestError(BankAdapterError):
    """The Content-Digest field could not be checked against the body."""

    code = "content_digest_invalid"


class ContentDigestMissing(ContentDigestError):
    """The request has no Content-Digest field."""

    code = "content_digest_missing"


class ContentDigestMalformed(ContentDigestError):
    """Content-Digest is not a Structured Field Dictionary of byte sequences."""

    code = "content_digest_malformed"


class UnsupportedDigestAlgorithm(ContentDigestError):
    """Content-Digest carries no digest made with sha-256 or sha-512."""

    code = "content_digest_unsupported"


# --- RFC 9421 request signatures ----------------------------------------------------------


class RequestSignatureError(BankAdapterError):
    """The request could not be authenticated as coming from a registered client."""

    code = "request_signature_error"


class SignatureMissing(RequestSignatureError):
    """The request carries no Signature / Signature-Input fields."""

    code = "signature_missing"


class SignatureInvalid(RequestSignatureError):
    """The signature is malformed, does not cover what is required, or does not verify."""

    code = "signature_invalid"


class ComponentNotCovered(SignatureInvalid):
    """The request carries a field that changes its meaning (`Idempotency-Key`, or the body's
    `Content-Type`) which the signature does not cover: someone in between could change it."""

    code = "component_not_covered"


class DigestMismatch(ContentDigestError, RequestSignatureError):
    """The body does not match its (signed) Content-Digest."""

    code = "digest_mismatch"


class StaleSignature(RequestSignatureError):
    """The signature was created outside the accepted clock-skew window, or has expired."""

    code = "stale_signature"


class UnknownKey(RequestSignatureError):
    """No registered, active key has this keyid."""

    code = "unknown_key"


class ReplayedNonce(RequestSignatureError):
    """This (keyid, nonce) pair has already been used within its validity window."""

    code = "replayed_nonce"


class ClientSuspended(RequestSignatureError):
    """The client is known but suspended; raised by the application, not by this library."""

    code = "client_suspended"


# --- identity attestations ----------------------------------------------------------------


class AttestationError(BankAdapterError):
    """The identity attestation was refused."""

    code = "attestation_invalid"


class AttestationMalformed(AttestationError):
    """The attestation is not a compact JWS with the expected claims and types."""

    code = "attestation_malformed"


class AttestationKidRequired(AttestationError):
    """The client has several active attestation keys and the JWS header names none (`kid`)."""

    code = "attestation_kid_required"


class AttestationKeyUnknown(AttestationError):
    """The JWS `kid` names no attestation key of this client."""

    code = "attestation_key_unknown"


class AttestationKeyRevoked(AttestationError):
    """The JWS `kid` names an attestation key of this client that has been revoked."""

    code = "attestation_key_revoked"


class AttestationAlgorithmRefused(AttestationError):
    """The JWS `alg` is not EdDSA or ES256, or does not match the registered key."""

    code = "attestation_algorithm_refused"


class AttestationSignatureInvalid(AttestationError):
    """The JWS signature does not verify with the client's attestation key."""

    code = "attestation_signature_invalid"


class AttestationIssuerMismatch(AttestationError):
    """The `iss` claim is not the client that posted the attestation."""

    code = "attestation_issuer_mismatch"


class AttestationAudienceMismatch(AttestationError):
    """The `aud` claim does not name this service."""

    code = "attestation_audience_mismatch"


class AttestationNotYetValid(AttestationError):
    """The `iat` claim lies in the future."""

    code = "attestation_not_yet_valid"


class AttestationExpired(AttestationError):
    """The `exp` claim has passed."""

    code = "attestation_expired"


class AttestationLifetimeTooLong(AttestationError):
    """The attestation is valid for longer than the maximum lifetime after `iat`."""

    code = "attestation_lifetime_too_long"


class AttestationReplayed(AttestationError):
    """The `jti` has been used before; attestations are single use."""

    code = "attestation_replayed"


class AttestationWrongApplication(AttestationError):
    """The attestation was made for another application."""

    code = "attestation_wrong_application"


class DocumentChipNotRead(AttestationError):
    """The identity document's chip was not read."""

    code = "document_chip_not_read"


class LivenessCheckFailed(AttestationError):
    """The liveness check did not pass."""

    code = "liveness_check_failed"


class FaceMatchBelowThreshold(AttestationError):
    """The face-match score is below the required threshold."""

    code = "face_match_below_threshold"


class BiometricDataPresent(AttestationError):
    """The attestation carries biometric data; the service must never receive any."""

    code = "biometric_data_present"
