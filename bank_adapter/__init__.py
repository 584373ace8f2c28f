"""bank_adapter: the terminal protocol between banks and bizreg.

It knows nothing of the database or the web framework; it works on plain values (method,
URL, header fields, body bytes) so the application can call it from anywhere.

| module              | holds                                                            |
|---------------------|------------------------------------------------------------------|
| `content_digest`    | RFC 9530 Content-Digest: create and verify                       |
| `http_signatures`   | RFC 9421 request signatures: sign, verify, signature base        |
| `nonces`            | replay protection: `NonceStore` protocol, in-memory store        |
| `attestations`      | identity attestations: compact JWS (EdDSA / ES256) verification  |
| `webhooks`          | signed status-change webhooks, retry backoff schedule            |
| `client`            | the reference client banks can copy                              |
| `keys`              | Ed25519 / P-256 key types and loading                            |
| `json_depth`        | `json.loads` with nesting bounded (untrusted JSON, no recursion) |
| `errors`            | every refusal, each with a stable `code` (tree in its docstring) |
"""

from bank_adapter.attestations import (
    ATTESTATION_AUDIENCE,
    MAX_ATTESTATION_LIFETIME,
    Attestation,
    AttestationEvidence,
    AttestedPerson,
    JoseAlgorithm,
    attestation_kid,
    sign_attestation,
    verify_attestation,
)
from bank_adapter.client import BizregApiError, BizregClient
from bank_adapter.content_digest import (
    SUPPORTED_DIGEST_ALGORITHMS,
    DigestAlgorithm,
    create_content_digest,
    verify_content_digest,
)
from bank_adapter.errors import (
    AttestationAlgorithmRefused,
    AttestationAudienceMismatch,
    AttestationError,
    AttestationExpired,
    AttestationIssuerMismatch,
    AttestationKeyRevoked,
    AttestationKeyUnknown,
    AttestationKidRequired,
    AttestationLifetimeTooLong,
    AttestationMalformed,
    AttestationNotYetValid,
    AttestationReplayed,
    AttestationSignatureInvalid,
    AttestationWrongApplication,
    BankAdapterError,
    BiometricDataPresent,
    ClientSuspended,
    ComponentNotCovered,
    ContentDigestError,
    ContentDigestMalformed,
    ContentDigestMissing,
    DigestMismatch,
    DocumentChipNotRead,
    FaceMatchBelowThreshold,
    LivenessCheckFailed,
    ReplayedNonce,
    RequestSignatureError,
    SignatureInvalid,
    SignatureMissing,
    StaleSignature,
    UnknownKey,
    UnsupportedDigestAlgorithm,
)
from bank_adapter.http_signatures import (
    DEFAULT_MAX_SKEW,
    DEFAULT_REQUIRED_COMPONENTS,
    HeaderFields,
    VerifiedSignature,
    build_signature_base,
    sign_request,
    verify_request,
)
from bank_adapter.keys import (
    PrivateKey,
    PublicKey,
    SignatureAlgorithm,
    load_private_key,
    load_public_key,
    public_key_pem,
    signature_algorithm_for,
    write_private_key,
)
from bank_adapter.nonces import InMemoryNonceStore, NonceStore
from bank_adapter.webhooks import (
    STATUS_CHANGED,
    JitterMode,
    StatusChangeEvent,
    WebhookRequest,
    build_webhook_request,
    retry_delay,
)

__all__ = [
    "ATTESTATION_AUDIENCE",
    "DEFAULT_MAX_SKEW",
    "DEFAULT_REQUIRED_COMPONENTS",
    "MAX_ATTESTATION_LIFETIME",
    "STATUS_CHANGED",
    "SUPPORTED_DIGEST_ALGORITHMS",
    "Attestation",
    "AttestationAlgorithmRefused",
    "AttestationAudienceMismatch",
    "AttestationError",
    "AttestationEvidence",
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
    "AttestedPerson",
    "BankAdapterError",
    "BiometricDataPresent",
    "BizregApiError",
    "BizregClient",
    "ClientSuspended",
    "ComponentNotCovered",
    "ContentDigestError",
    "ContentDigestMalformed",
    "ContentDigestMissing",
    "DigestAlgorithm",
    "DigestMismatch",
    "DocumentChipNotRead",
    "FaceMatchBelowThreshold",
    "HeaderFields",
    "InMemoryNonceStore",
    "JitterMode",
    "JoseAlgorithm",
    "LivenessCheckFailed",
    "NonceStore",
    "PrivateKey",
    "PublicKey",
    "ReplayedNonce",
    "RequestSignatureError",
    "SignatureAlgorithm",
    "SignatureInvalid",
    "SignatureMissing",
    "StaleSignature",
    "StatusChangeEvent",
    "UnknownKey",
    "UnsupportedDigestAlgorithm",
    "VerifiedSignature",
    "WebhookRequest",
    "attestation_kid",
    "build_signature_base",
    "build_webhook_request",
    "create_content_digest",
    "load_private_key",
    "load_public_key",
    "public_key_pem",
    "retry_delay",
    "sign_attestation",
    "sign_request",
    "signature_algorithm_for",
    "verify_attestation",
    "verify_content_digest",
    "verify_request",
    "write_private_key",
]
