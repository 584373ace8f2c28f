"""The verdict: `SignatureVerification`, its findings and the summaries that support it.

Indications and sub-indications are those of ETSI EN 319 102-1 §5.1.3, as EU DSS reports them.
Every check elsewhere in the package ends in `Finding`s; `_verdict` orders them (the first
TOTAL_FAILED one decides, else the first INDETERMINATE one) and `_Refused` carries the one
finding that stops verification early. `json_ready` is public: `verification.report` uses it
for the licence report."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

__all__ = [
    "CertificateSummary",
    "Coverage",
    "Finding",
    "Indication",
    "RevocationStatus",
    "SignatureVerification",
    "SubIndication",
    "TimestampSummary",
    "json_ready",
]


class Indication(enum.StrEnum):
    """EN 319 102-1 §5.1.3 main status indication."""

    TOTAL_PASSED = "TOTAL_PASSED"
    INDETERMINATE = "INDETERMINATE"
    TOTAL_FAILED = "TOTAL_FAILED"


class SubIndication(enum.StrEnum):
    """EN 319 102-1 §5.1.3 Table 5 sub-indications (the ones this verifier can reach)."""

    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    NOT_YET_VALID = "NOT_YET_VALID"
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    CERTIFICATE_CHAIN_GENERAL_FAILURE = "CERTIFICATE_CHAIN_GENERAL_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    EXPIRED = "EXPIRED"
    TIMESTAMP_ORDER_FAILURE = "TIMESTAMP_ORDER_FAILURE"
    NO_SIGNING_CERTIFICATE_FOUND = "NO_SIGNING_CERTIFICATE_FOUND"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    REVOKED_NO_POE = "REVOKED_NO_POE"
    REVOKED_CA_NO_POE = "REVOKED_CA_NO_POE"
    OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
    REVOCATION_OUT_OF_BOUNDS_NO_POE = "REVOCATION_OUT_OF_BOUNDS_NO_POE"
    OUT_OF_BOUNDS_NOT_REVOKED = "OUT_OF_BOUNDS_NOT_REVOKED"
    CRYPTO_CONSTRAINTS_FAILURE_NO_POE = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
    NO_POE = "NO_POE"
    TRY_LATER = "TRY_LATER"
    GENERIC = "GENERIC"  # INDETERMINATE for a reason no other covers (the verifier gave up)
    SIGNED_DATA_NOT_FOUND = "SIGNED_DATA_NOT_FOUND"
    POLICY_PROCESSING_ERROR = "POLICY_PROCESSING_ERROR"
    SIGNATURE_POLICY_NOT_AVAILABLE = "SIGNATURE_POLICY_NOT_AVAILABLE"


_FAILED = Indication.TOTAL_FAILED
_UNSURE = Indication.INDETERMINATE


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason the signature is not TOTAL_PASSED. `code` is stable (machine-readable);
    `detail` is English prose for logs and developers."""

    code: str
    indication: Indication
    sub_indication: SubIndication
    detail: str


@dataclass(frozen=True, slots=True)
class CertificateSummary:
    subject: str
    issuer: str
    serial_number: str  # hex
    sha256: str
    not_before: dt.datetime
    not_after: dt.datetime

    @classmethod
    def of(cls, cert: x509.Certificate) -> CertificateSummary:
        return cls(
            subject=cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(),
            serial_number=f"{cert.serial_number:x}",
            sha256=cert.fingerprint(_SHA256).hex(),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
        )


@dataclass(frozen=True, slots=True)
class TimestampSummary:
    """A signature timestamp (RFC 3161 token in the CMS) or a document timestamp (/DocTimeStamp)."""

    time: dt.datetime
    intact: bool
    valid: bool
    trusted: bool
    authority: CertificateSummary | None


@dataclass(frozen=True, slots=True)
class RevocationStatus:
    """The signing certificate's revocation status, from every CRL available.

    `status`: good (a CRL of its issuer, valid at the timestamp time, does not list it),
    revoked, or unknown (no usable CRL). `source`: "embedded" when only the DSS was consulted,
    "current" when the caller's current CRLs were too. `crl_issued_at`: the newest CRL seen.
    """

    status: str
    source: str
    crl_issued_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    reason: str | None = None
    after_signing: bool | None = None


@dataclass(frozen=True, slots=True)
class Coverage:
    """What the signature covers. `whole_file`: its /ByteRange spans every byte but the
    signature value. Otherwise `revisions_after_signing` incremental updates follow the signed
    revision, of which `document_timestamps` are document timestamps; `modification_level`
    is the worst change they make (none, validation_data, form_filling, annotations, other);
    `data_after_eof` means bytes follow the last %%EOF that belong to no revision."""

    whole_file: bool
    signed_bytes: int
    file_bytes: int
    revisions_after_signing: int
    document_timestamps: int
    modification_level: str
    data_after_eof: bool


@dataclass(frozen=True, slots=True)
class SignatureVerification:
    """The verdict on a PDF's (first) approval signature, and the details that support it."""

    indication: Indication
    sub_indication: SubIndication | None
    findings: tuple[Finding, ...]
    document_sha256: str
    document_bytes: int
    checked_at: dt.datetime
    field_name: str | None = None
    level: str | None = None  # PAdES baseline level reached: B-B, B-T, B-LT, B-LTA
    intact: bool | None = None
    signature_valid: bool | None = None
    coverage: Coverage | None = None
    signer: CertificateSummary | None = None
    chain: tuple[CertificateSummary, ...] = ()
    trust_anchor: CertificateSummary | None = None
    claimed_signing_time: dt.datetime | None = None
    timestamp: TimestampSummary | None = None
    document_timestamps: tuple[TimestampSummary, ...] = ()
    revocation: RevocationStatus | None = None
    # The signed revision is document[:signed_revision_bytes]; its embedded files (name, bytes)
    # are what the signature vouches for, whatever later revisions say.
    signed_revision_bytes: int | None = None
    attachments: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)

    @property
    def passed(self) -> bool:
        return self.indication is Indication.TOTAL_PASSED

    @property
    def first_finding(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    def attachment(self, name: str) -> bytes | None:
        """An embedded file of the signed revision, by name."""
        return next((data for n, data in self.attachments if n == name), None)

    def to_json(self) -> dict[str, Any]:
        data = json_ready(self)
        del data["attachments"]
        data["attachment_names"] = [name for name, _ in self.attachments]
        return data  # type: ignore[no-any-return]


def json_ready(value: Any) -> Any:
    """Dataclasses, enums, datetimes and tuples as JSON-compatible values."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_ready(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [json_ready(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    return value


_SHA256 = hashes.SHA256()


class _Refused(Exception):
    """Stop verifying: the document fails a check no later check could rescue."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.detail)
        self.finding = finding


def _finding(
    code: str, indication: Indication, sub_indication: SubIndication, detail: str
) -> Finding:
    return Finding(code, indication, sub_indication, detail)


def _format_failure(code: str, detail: str) -> Finding:
    return Finding(code, _FAILED, SubIndication.FORMAT_FAILURE, detail)


def _verdict(findings: Iterable[Finding], **details: Any) -> SignatureVerification:
    ordered = tuple(findings)
    decisive = next((f for f in ordered if f.indication is _FAILED), None) or next(
        (f for f in ordered if f.indication is _UNSURE), None
    )
    # The decisive finding first, then the others in the order they were found.
    if decisive is not None:
        ordered = (decisive, *(f for f in ordered if f is not decisive))
    return SignatureVerification(
        indication=decisive.indication if decisive else Indication.TOTAL_PASSED,
        sub_indication=decisive.sub_indication if decisive else None,
        findings=ordered,
        **details,
    )
