"""Verifying PAdES signatures on PDFs from anyone: `PdfSignatureVerifier` → `SignatureVerification`.

The verdict follows ETSI EN 319 102-1 (signature validation) as EU DSS reports it: an indication
`TOTAL_PASSED` / `INDETERMINATE` / `TOTAL_FAILED` with a sub-indication, and the findings that
led to it. Knows nothing of licences: `verification` (top-level package) reads the licence
data from `SignatureVerification.attachments` and adds the registry's view.

What is checked, in the order of EN 319 102-1 §5.2 (the first failure decides; any
TOTAL_FAILED finding outranks any INDETERMINATE one):

1. format (§5.2.2, EN 319 142-1 §5.1/§6.2.1) — a PDF of sane size, not encrypted, readable
   within decode limits, with a signature whose /SubFilter is ETSI.CAdES.detached and whose
   /ByteRange covers the file from byte 0 except exactly the /Contents hex string;
2. the signed data and what came after it — pyHanko's `intact` / `valid` stay true when an
   incremental update replacing the content is appended after signing, and its bottom line
   passes bytes after %%EOF and /Info-only updates. So we decide from the coverage (whole
   file, or whole signed revision), a stricter difference analysis (only DSS and document
   timestamp updates, EN 319 142-1 §5.4; no /Info, XMP, form or annotation changes), and our
   own check that nothing follows the last revision's %%EOF;
3. identification of the signing certificate (§5.2.3) and cryptographic verification (§5.2.7):
   HASH_FAILURE when the /ByteRange digest differs from the signed message digest,
   SIG_CRYPTO_FAILURE when the signature value does not verify;
4. the chain to a trust anchor (§5.2.6), validated at the time the signature timestamp proves
   (§5.5/§5.6.2 past-signature validation) with the revocation data in the DSS plus any current
   CRLs given — which is why B-LT licences verify fully offline for as long as the TSA
   certificate is valid (B-LTA extends that);
5. revocation, checked against every CRL we have (embedded and current): a revocation after the
   timestamp is tolerated only for non-compromise reasons (RFC 5280 §5.3.1; without an
   invalidityDate, §5.3.2, a compromise may predate its revocation, so the timestamp is no POE);
6. the signature timestamp (EN 319 142-1 B-T, required by our policy) and document timestamps.
"""

from __future__ import annotations

import asyncio
import binascii
import datetime as dt
import enum
import hashlib
import io
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Final, TypeAlias

from asn1crypto import cms, core
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from lxml import etree
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.decode_limits import (
    DEFAULT_PURPOSE_LIMITS,
    DecodeLimits,
    DecodePurpose,
    DocumentDecodeBudget,
    StreamDecodeLimits,
)
from pyhanko.pdf_utils.misc import PdfDecodeLimitError
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader
from pyhanko.sign.diff_analysis import (
    CatalogModificationRule,
    DiffResult,
    DocInfoRule,
    DSSCompareRule,
    FormUpdatingRule,
    MetadataUpdateRule,
    ModificationLevel,
    ObjectStreamRule,
    SigFieldCreationRule,
    SigFieldModificationRule,
    StandardDiffPolicy,
    SuspiciousModification,
    XrefStreamRule,
)
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import (
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import (
    DocumentTimestampStatus,
    PdfSignatureStatus,
    SignatureCoverageLevel,
)
from pyhanko_certvalidator import ValidationContext

from signing import _speedups
from signing.certificate_profiles import DOCUMENT_SIGNING_EKU

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "CertificateSummary",
    "Coverage",
    "Finding",
    "Indication",
    "PdfSignatureVerifier",
    "RevocationStatus",
    "SignatureVerification",
    "SubIndication",
    "TimestampSummary",
    "json_ready",
]

logger = logging.getLogger(__name__)

# A licence is 80-96 KB (the longest content at B-LTA: 95.7 KB), and every archive renewal
# (DSS + document timestamp) adds ~12 KB. Anything beyond this is not a licence; refusing it
# early bounds parsing time (pyHanko tokenises ~7 µs per token: a 512 KiB array of integers
# takes ~2 s) and memory.
MAX_DOCUMENT_BYTES: Final = 512 * 1024
# A licence has one revision for its content, one for the signature (with its DSS), one per
# document timestamp: 32 allows decades of renewals, and bounds the difference analysis, whose
# cost grows with the number of revisions (2,000 empty ones took a minute).
_MAX_REVISIONS: Final = 32
MiB: Final = 1024 * 1024

# Bounds on what one document may ask the path builder and the revocation checker to chew on.
# A licence's DSS holds 3-5 certificates of ~1 KB and 2-3 CRLs of a few hundred bytes: the
# caps leave room for decades of revocations, and keep an anonymous upload from making the
# verifier parse (and, before, cache) megabytes of fake certificates.
_MAX_CERTIFICATES: Final = 32
_MAX_CRLS: Final = 16
_MAX_CERTIFICATE_BYTES: Final = 16 * 1024
_MAX_CRL_BYTES: Final = MiB
_MAX_VALIDATION_DATA_BYTES: Final = 2 * MiB  # all DSS certificates and CRLs together

# Decompression bombs: pyHanko (0.38) bounds what its stream decoders may produce. A licence's
# largest stream (the subset CJK font) inflates to well under 1 MiB. DSS certificates and CRLs
# are cut off while inflating, at the caps above.
_DECODE_LIMITS: Final = DecodeLimits(
    per_stream=StreamDecodeLimits(max_ratio=1100, ratio_floor=MiB, max_output_size=16 * MiB),
    per_purpose={
        **DEFAULT_PURPOSE_LIMITS,
        DecodePurpose.CERTIFICATE: StreamDecodeLimits(
            max_ratio=None, max_output_size=_MAX_CERTIFICATE_BYTES
        ),
        DecodePurpose.CRL: StreamDecodeLimits(max_ratio=None, max_output_size=_MAX_CRL_BYTES),
    },
    document_budget=DocumentDecodeBudget(base_allowance=32 * MiB, max_ratio=16),
)
# What the process-wide caches may hold, as DER bytes (parsed objects are a few times larger).
# Only certificates small enough for a DSS are cached; only CRLs signed by a trusted CA.
_CERTIFICATE_CACHE_BYTES: Final = MiB
_CRL_CACHE_BYTES: Final = 8 * MiB
_MAX_SIGNATURE_FIELDS: Final = 8
_MAX_ATTACHMENTS: Final = 8
_MAX_ATTACHMENT_BYTES: Final = 256 * 1024

_PADES_SUBFILTER: Final = "/ETSI.CAdES.detached"
_HEX_STRING: Final = re.compile(rb"<[0-9A-Fa-f]*>")
# RFC 5652 §11.4 / RFC 3161 §2.4.2 (via RFC 5126 §5.11.4): id-aa-signatureTimeStampToken, the
# one unsigned attribute a PAdES B-T signature carries (EN 319 142-1 §5.3).
_SIGNATURE_TIMESTAMP_OID: Final = "1.2.840.113549.1.9.16.2.14"
_EOL: Final = (b"", b"\n", b"\r\n", b"\r")

# What a timestamping tool may rewrite when it appends a DSS or a document timestamp: pyHanko
# rewrites /Info and the XMP packet in every incremental update, changing these only.
_VOLATILE_INFO_KEYS: Final = frozenset({"/ModDate", "/Producer"})
_VOLATILE_XMP_PROPERTIES: Final = frozenset(
    {
        "{http://ns.adobe.com/xap/1.0/}ModifyDate",
        "{http://ns.adobe.com/xap/1.0/}MetadataDate",
        "{http://ns.adobe.com/pdf/1.3/}Producer",
    }
)
_RDF: Final = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"


class _DatesOnlyInfoRule(DocInfoRule):
    """/Info may be rewritten, but only its modification date and producer may change: the
    title is what a viewer shows (our licences set /DisplayDocTitle), and the rest describes
    the licence."""

    def apply(self, old: HistoricalResolver, new: HistoricalResolver) -> Iterator[Any]:
        if _stable_info(old) != _stable_info(new):
            raise SuspiciousModification("/Info changed after signing")
        yield from super().apply(old, new)


class _DatesOnlyMetadataRule(MetadataUpdateRule):
    """The XMP packet may be re-serialised, but it must say the same (dates and producer
    aside). pyHanko's own rule only checks that it is well-formed XML."""

    def apply(self, old: HistoricalResolver, new: HistoricalResolver) -> Iterator[Any]:
        if _xmp_properties(old) != _xmp_properties(new):
            raise SuspiciousModification("XMP metadata changed after signing")
        yield from super().apply(old, new)


def _stable_info(resolver: HistoricalResolver) -> dict[str, Any]:
    # Resolve through the historical resolver: the trailer's reference would otherwise resolve
    # in the newest revision.
    info_ref = resolver.trailer_view.get_value_as_reference("/Info", optional=True)
    if info_ref is None:
        return {}
    info = resolver(info_ref)
    if not isinstance(info, generic.DictionaryObject):
        raise SuspiciousModification("/Info is not a dictionary")
    return {str(k): v for k, v in info.items() if k not in _VOLATILE_INFO_KEYS}


def _xmp_properties(resolver: HistoricalResolver) -> frozenset[tuple[str, str]]:
    metadata_ref = resolver.root.get_value_as_reference("/Metadata", optional=True)
    if metadata_ref is None:
        return frozenset()
    stream = resolver(metadata_ref)
    if not isinstance(stream, generic.StreamObject):
        raise SuspiciousModification("/Metadata is not a stream")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(stream.read_data(DecodePurpose.XMP_METADATA), parser=parser)
    except etree.XMLSyntaxError as exc:
        raise SuspiciousModification("XMP metadata is not well-formed XML") from exc
    properties: set[tuple[str, str]] = set()
    for description in root.iter(f"{_RDF}Description"):
        for name, value in description.attrib.items():
            properties.add((str(name), str(value)))
        for child in description:
            properties.add((str(child.tag), _canonical_xml(child)))
    return frozenset(
        p for p in properties if p[0] not in _VOLATILE_XMP_PROPERTIES and p[0] != f"{_RDF}about"
    )


def _canonical_xml(element: Any) -> str:
    """An element's content independent of where its namespaces were declared."""
    children = "".join(_canonical_xml(child) for child in element)
    attributes = sorted((str(k), str(v)) for k, v in element.attrib.items())
    text = (element.text or "").strip()
    return f"<{element.tag} {attributes}>{text}{children}</>"


# EN 319 142-1 §5.4: after signing, a PAdES document may only gain validation data (DSS) and
# document timestamps. pyHanko's default policy also accepts any /Info or XMP change and form
# filling; here the metadata may only change its dates (see above) and forms not at all.
STRICT_DIFF_POLICY: Final = StandardDiffPolicy(
    global_rules=[
        CatalogModificationRule(  # type: ignore[no-untyped-call]
            ignored_keys=frozenset({"/AcroForm", "/DSS", "/Extensions", "/Metadata"})
        ),
        _DatesOnlyInfoRule().as_qualified(ModificationLevel.LTA_UPDATES),
        XrefStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        ObjectStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        DSSCompareRule().as_qualified(ModificationLevel.LTA_UPDATES),
        _DatesOnlyMetadataRule().as_qualified(  # type: ignore[no-untyped-call]
            ModificationLevel.LTA_UPDATES
        ),
    ],
    form_rule=FormUpdatingRule(
        field_rules=[
            SigFieldCreationRule(),  # type: ignore[no-untyped-call]
            SigFieldModificationRule(),
        ]
    ),
)

# RFC 5280 §5.3.1 reasons that say nothing about the key: a signature made (provably, by a
# timestamp) before such a revocation stays valid (EN 319 102-1 §5.6.2.1).
_BENIGN_REVOCATION_REASONS: Final = frozenset(
    {
        x509.ReasonFlags.superseded,
        x509.ReasonFlags.affiliation_changed,
        x509.ReasonFlags.cessation_of_operation,
        x509.ReasonFlags.privilege_withdrawn,
    }
)

CrlSource: TypeAlias = Sequence[bytes] | Callable[[], Sequence[bytes]]


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


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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


# -- parsed revocation data and certificates, shared between documents ---------------------------


@dataclass(frozen=True, slots=True)
class _Crl:
    der_sha256: bytes
    asn1: asn1_crl.CertificateList
    crl: x509.CertificateRevocationList


class _BoundedCache:
    """A small thread-safe LRU keyed by content digest, bounded by its number of entries and by
    their total weight (the DER bytes they were parsed from). Parsed asn1crypto objects memoise
    what they compute (names prepared for comparison, lazily parsed children), so reusing them
    across documents signed under the same CRLs saves most of the chain-validation work."""

    def __init__(self, size: int, max_bytes: int = 0, max_item_bytes: int | None = None) -> None:
        self._size = size
        self._max_bytes = max_bytes
        self._max_item_bytes = max_bytes if max_item_bytes is None else max_item_bytes
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes(self) -> int:
        return self._bytes

    def peek(self, key: Any) -> Any:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            self._items.move_to_end(key)
            return entry[0]

    def put(self, key: Any, item: Any, weight: int = 0) -> None:
        if weight > self._max_item_bytes:
            return  # larger than anything worth keeping: used once, then dropped
        with self._lock:
            previous = self._items.pop(key, None)
            if previous is not None:
                self._bytes -= previous[1]
            self._items[key] = (item, weight)
            self._bytes += weight
            while len(self._items) > self._size or self._bytes > self._max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def get(self, key: Any, make: Callable[[], Any], weight: int = 0) -> Any:
        item = self.peek(key)
        if item is None:
            item = make()
            self.put(key, item, weight)
        return item


class PdfSignatureVerifier:
    """Verifies the approval signature of PDFs against fixed trust anchors. Build one and reuse
    it: trust anchors are parsed once, and parsed certificates and CRLs are shared between
    documents. Thread-safe.

    `trust_roots`: the certificates trusted (for licences: the authority's published root).
    `crls`: current CRLs (DER) consulted for every document in addition to what the document
    embeds, or a callable returning them (e.g. `Pki.crls_der` for an online verifier). Nothing
    is ever fetched from the network.
    `signer_eku`: the extended key usage the signing certificate must carry (None: any).
    `require_timestamp`: refuse signatures without a signature timestamp (PAdES B-B); without
    one nothing proves when the signature was made, so revocation cannot be judged.
    """

    def __init__(
        self,
        trust_roots: Sequence[x509.Certificate],
        *,
        crls: CrlSource = (),
        max_bytes: int = MAX_DOCUMENT_BYTES,
        signer_eku: x509.ObjectIdentifier | None = DOCUMENT_SIGNING_EKU,
        require_timestamp: bool = True,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        if not trust_roots:
            raise ValueError("a verifier needs at least one trust root")
        _speedups.install()
        self.trust_roots = tuple(trust_roots)
        self.max_bytes = max_bytes
        self.require_timestamp = require_timestamp
        self._clock = clock or _now
        self._crl_source = crls
        self._roots_asn1 = [_asn1(cert) for cert in self.trust_roots]
        self._key_usage = KeyUsageConstraints(
            key_usage={"non_repudiation"},
            extd_key_usage={signer_eku.dotted_string} if signer_eku is not None else None,
            explicit_extd_key_usage_required=signer_eku is not None,
        )
        # Weightless entries are booleans keyed by two SHA-256 digests: bounded by their count.
        self._crls = _BoundedCache(64, _CRL_CACHE_BYTES, _MAX_CRL_BYTES)
        self._certs = _BoundedCache(256, _CERTIFICATE_CACHE_BYTES, _MAX_CERTIFICATE_BYTES)
        self._crl_checks = _BoundedCache(256)
        self._crypto_certs = _BoundedCache(256, _CERTIFICATE_CACHE_BYTES, _MAX_CERTIFICATE_BYTES)
        self._issued = _BoundedCache(1024)

    def cache_usage(self) -> dict[str, tuple[int, int]]:
        """What the process-wide caches hold: name → (entries, DER bytes)."""
        caches = {
            "crls": self._crls,
            "certificates": self._certs,
            "crypto_certificates": self._crypto_certs,
            "crl_checks": self._crl_checks,
            "issued": self._issued,
        }
        return {name: (len(cache), cache.bytes) for name, cache in caches.items()}

    # -- public ------------------------------------------------------------------------------

    def verify(self, pdf: bytes, *, crls: Sequence[bytes] = ()) -> SignatureVerification:
        """Verify `pdf`'s first approval signature. Never raises for bad input: every problem
        is a finding in the result. `crls`: further current CRLs for this document only."""
        checked_at = self._clock()
        digest = hashlib.sha256(pdf).hexdigest()
        base = {"document_sha256": digest, "document_bytes": len(pdf), "checked_at": checked_at}
        try:
            return self._verify(pdf, crls, checked_at, base)
        except _Refused as refused:
            return _verdict([refused.finding], **base)
        except PdfDecodeLimitError as exc:
            detail = f"a stream decodes to more data than a licence can hold: {exc}"
            return _verdict([_format_failure("decompression_bomb", detail)], **base)
        except RecursionError:
            detail = "objects are nested deeper than any genuine document"
            return _verdict([_format_failure("too_deeply_nested", detail)], **base)
        except MemoryError:
            detail = "the document needs more memory than a licence can"
            return _verdict([_format_failure("too_large", detail)], **base)
        except Exception as exc:  # hostile input can break any parser in any way
            logger.info(
                "unreadable document %s: %s: %s",
                digest[:16],
                type(exc).__name__,
                exc,
                exc_info=logger.isEnabledFor(logging.DEBUG),
            )
            detail = f"the PDF cannot be read: {type(exc).__name__}"
            return _verdict([_format_failure("unreadable_pdf", detail)], **base)

    # -- steps -------------------------------------------------------------------------------

    def _verify(
        self, pdf: bytes, extra_crls: Sequence[bytes], checked_at: dt.datetime, base: Any
    ) -> SignatureVerification:
        reader = self._open(pdf)
        field_name, embedded = self._approval_signature(reader)
        findings = _signature_dictionary_findings(pdf, embedded)
        signature_time = _signature_timestamp_time(embedded.signer_info)
        claimed_time = _claimed_signing_time(embedded)
        data = self._validation_data(reader, extra_crls)
        context = self._context(signature_time or checked_at, data.certs, data.crls)

        status = self._validate_signature(embedded, context)
        # §5.2.7 cryptographic verification and what the signature covers
        findings += _integrity_findings(status)
        findings += self._container_findings(embedded.signed_data, data.pool, "signature")
        token = _signature_timestamp_token(embedded.signer_info)
        if token is not None:
            findings += self._container_findings(token, data.pool, "signature_timestamp")
        findings += _updates_without_validation_data(reader, embedded)
        data_after_eof = _data_after_last_revision(pdf, reader)
        if data_after_eof:
            findings.append(
                _format_failure(
                    "data_after_eof",
                    "bytes were appended after the end of the last revision (%%EOF)",
                )
            )
        timestamp_status = status.timestamp_validity
        if timestamp_status is None and self.require_timestamp:
            # Policy constraint first: without it the chain's findings would only be symptoms.
            findings.append(
                _finding(
                    "no_signature_timestamp",
                    _UNSURE,
                    SubIndication.SIG_CONSTRAINTS_FAILURE,
                    "the signature has no timestamp, so nothing proves when it was made "
                    "(PAdES B-B; licences are B-LT)",
                )
            )
        # §5.2.6 the chain, §5.6.2 revocation judged against the timestamp
        findings += _trust_findings(status, "signer")
        signer = _crypto_cert(status.signing_cert)
        chain = _path_certificates(status.validation_path)
        revocation, revocation_findings = self._revocation(
            chain or [signer], data.crls, signature_time, claimed_time, data.have_current
        )
        findings += revocation_findings
        # the timestamps
        timestamp = None
        if timestamp_status is not None:
            timestamp = _timestamp_summary(timestamp_status, signature_time)
            findings += _timestamp_findings(timestamp_status, "signature_timestamp")
            _, tsa_findings = self._revocation(
                _path_certificates(timestamp_status.validation_path),
                data.crls,
                signature_time,
                None,
                data.have_current,
                subject="timestamp",
            )
            findings += tsa_findings
        document_timestamps, document_findings = self._document_timestamps(
            pdf, reader, embedded, data
        )
        findings += document_findings
        findings += _expired_timestamp_findings(timestamp, document_timestamps, checked_at)

        return _verdict(
            findings,
            **base,
            field_name=field_name,
            level=_level(timestamp_status, data.dss, document_timestamps),
            intact=status.intact,
            signature_valid=status.valid,
            coverage=_coverage(
                pdf, reader, embedded, status, len(document_timestamps), data_after_eof
            ),
            signer=CertificateSummary.of(signer),
            chain=tuple(CertificateSummary.of(c) for c in reversed(chain)),
            trust_anchor=CertificateSummary.of(chain[0]) if chain else None,
            claimed_signing_time=claimed_time,
            timestamp=timestamp,
            document_timestamps=tuple(document_timestamps),
            revocation=revocation,
            signed_revision_bytes=embedded.byte_range[2] + embedded.byte_range[3],
            attachments=_signed_attachments(reader, embedded.signed_revision),
        )

    def _validation_data(self, reader: PdfFileReader, extra_crls: Sequence[bytes]) -> _Data:
        """The certificates and CRLs to validate with: the DSS's, and the current CRLs."""
        dss = _read_dss(reader)
        certs = [self._cert(der) for der in dss.certificates]
        # Current CRLs come from the service or the operator, not from the document: trusted.
        current = [self._crl(der, trusted=True) for der in (*self._current_crls(), *extra_crls)]
        if len(dss.crls) + len(current) > _MAX_CRLS:
            raise _Refused(
                _format_failure(
                    "too_much_validation_data", "more CRLs than a licence's chain needs"
                )
            )
        pool = [*self.trust_roots, *(self._crypto(c) for c in certs)]
        issuers: list[x509.Certificate] | None = None

        def trusted_issuers() -> list[x509.Certificate]:
            nonlocal issuers
            if issuers is None:
                issuers = self._trusted_issuers(pool)
            return issuers

        crls = [*(self._crl(der, issuers=trusted_issuers) for der in dss.crls), *current]
        return _Data(dss, certs, crls, pool, bool(current))

    def _trusted_issuers(self, pool: Sequence[x509.Certificate]) -> list[x509.Certificate]:
        """The trust roots and every certificate of `pool` that chains to one by signatures
        alone (no validity or revocation check: this decides only what may be cached)."""
        trusted = list(self.trust_roots)
        candidates = [c for c in pool if c not in trusted]
        grown = True
        while grown and candidates:
            grown = False
            for cert in list(candidates):
                if self._certified(cert, trusted):
                    trusted.append(cert)
                    candidates.remove(cert)
                    grown = True
        return trusted

    def _open(self, pdf: bytes) -> PdfFileReader:
        if len(pdf) > self.max_bytes:
            raise _Refused(
                _format_failure(
                    "too_large", f"{len(pdf)} bytes; a licence is at most {self.max_bytes}"
                )
            )
        if not pdf.startswith(b"%PDF-"):
            raise _Refused(_format_failure("not_a_pdf", "the file does not start with %PDF-"))
        if b"%%EOF" not in pdf[-4096:]:
            raise _Refused(
                _format_failure("truncated", "the file does not end with %%EOF: it is truncated")
            )
        reader = PdfFileReader(io.BytesIO(pdf), strict=True, decode_limits=_DECODE_LIMITS)
        if reader.encrypted:
            raise _Refused(_format_failure("encrypted", "the PDF is encrypted; licences never are"))
        if reader.xrefs.total_revisions > _MAX_REVISIONS:
            raise _Refused(
                _format_failure(
                    "too_many_revisions",
                    f"{reader.xrefs.total_revisions} revisions; a licence has at most "
                    f"{_MAX_REVISIONS}",
                )
            )
        return reader

    def _approval_signature(self, reader: PdfFileReader) -> tuple[str, EmbeddedPdfSignature]:
        """The earliest approval (/Sig) signature, parsed. Later ones are modifications."""
        candidates: list[tuple[int, str, EmbeddedPdfSignature]] = []
        for count, (name, value, sig_field) in enumerate(
            enumerate_sig_fields(reader, filled_status=True)
        ):
            if count >= _MAX_SIGNATURE_FIELDS:
                raise _Refused(_format_failure("too_many_signatures", "too many signature fields"))
            sig_object = value.get_object()
            if not isinstance(sig_object, generic.DictionaryObject):
                raise _Refused(
                    _format_failure("signature_unreadable", f"field {name} has no signature")
                )
            if sig_object.get("/Type", "/Sig") == "/DocTimeStamp":
                continue
            try:
                embedded = EmbeddedPdfSignature(reader, sig_field, name)
            except Exception as exc:
                raise _Refused(
                    _format_failure(
                        "signature_unreadable",
                        f"the signature value (/Contents) of {name} is not a CMS signature: "
                        f"{type(exc).__name__}",
                    )
                ) from exc
            candidates.append((embedded.signed_revision, name, embedded))
        if not candidates:
            raise _Refused(
                _format_failure("no_signature", "the document carries no approval signature")
            )
        _, name, embedded = min(candidates, key=lambda c: c[0])
        return name, embedded

    def _current_crls(self) -> Sequence[bytes]:
        source = self._crl_source
        return source() if callable(source) else source

    def _crl(
        self,
        der: bytes,
        *,
        trusted: bool = False,
        issuers: Callable[[], Sequence[x509.Certificate]] = list,
    ) -> _Crl:
        """The CRL parsed, from the cache if seen before. Only a CRL signed by a trusted CA
        (`issuers()`) is cached: anyone can put a CRL in a document, only our CAs can sign one."""
        key = hashlib.sha256(der).digest()
        cached: _Crl | None = self._crls.peek(key)
        if cached is not None:
            return cached
        crl = _Crl(key, asn1_crl.CertificateList.load(der), x509.load_der_x509_crl(der))
        if trusted or any(self._issued_by(crl, issuer) for issuer in issuers()):
            self._crls.put(key, crl, len(der))
        return crl

    def _cert(self, der: bytes) -> asn1_x509.Certificate:
        key = hashlib.sha256(der).digest()
        cert: asn1_x509.Certificate = self._certs.get(
            key, lambda: asn1_x509.Certificate.load(der), len(der)
        )
        return cert

    def _context(
        self, moment: dt.datetime, certs: list[asn1_x509.Certificate], crls: list[_Crl]
    ) -> ValidationContext:
        # Point-in-time validation at the signature timestamp's time (EN 319 102-1 §5.6.2):
        # revocation data issued after that moment also counts (retroactive), as it would for
        # any later verifier; certificate holds, the reason that option is off by default,
        # do not exist in this PKI.
        return ValidationContext(
            trust_roots=self._roots_asn1,
            other_certs=certs,
            crls=[c.asn1 for c in crls],
            moment=moment,
            allow_fetching=False,
            revocation_mode="hard-fail",
            retroactive_revinfo=True,
        )

    def _validate_signature(
        self, embedded: EmbeddedPdfSignature, context: ValidationContext
    ) -> PdfSignatureStatus:
        try:
            status: PdfSignatureStatus = asyncio.run(
                async_validate_pdf_signature(
                    embedded,
                    signer_validation_context=context,
                    ts_validation_context=context,
                    diff_policy=STRICT_DIFF_POLICY,
                    key_usage_settings=self._key_usage,
                )
            )
        except SignatureValidationError as exc:
            raise _Refused(_validation_error_finding(exc)) from exc
        except (PdfDecodeLimitError, RecursionError, MemoryError):
            raise
        except Exception as exc:  # a CMS or structure pyHanko cannot process
            raise _Refused(
                _format_failure(
                    "signature_malformed",
                    f"the signature cannot be processed: {type(exc).__name__}: {exc}"[:300],
                )
            ) from exc
        return status

    def _document_timestamps(
        self,
        pdf: bytes,
        reader: PdfFileReader,
        signature: EmbeddedPdfSignature,
        data: _Data,
    ) -> tuple[list[TimestampSummary], list[Finding]]:
        """Validate every document timestamp added after the signature (PAdES B-LTA, EN 319
        142-1 §5.4), each at its own time, oldest first."""
        summaries: list[TimestampSummary] = []
        findings: list[Finding] = []
        for embedded in reader.embedded_timestamp_signatures:
            if embedded.signed_revision <= signature.signed_revision:
                continue
            findings += _byte_range_findings(pdf, embedded, "document_timestamp")
            findings += self._container_findings(
                embedded.signed_data, data.pool, "document_timestamp"
            )
            time = _document_timestamp_time(embedded)
            if time is None:
                findings.append(
                    _format_failure(
                        "document_timestamp_unreadable", "a document timestamp cannot be read"
                    )
                )
                continue
            context = self._context(time, data.certs, data.crls)
            try:
                status: DocumentTimestampStatus = asyncio.run(
                    async_validate_pdf_timestamp(
                        embedded, validation_context=context, diff_policy=STRICT_DIFF_POLICY
                    )
                )
            except SignatureValidationError as exc:
                findings.append(_validation_error_finding(exc, "document_timestamp"))
                continue
            summaries.append(_timestamp_summary(status, time))
            findings += _timestamp_findings(status, "document_timestamp")
        return summaries, findings

    def _crypto(self, cert: asn1_x509.Certificate) -> x509.Certificate:
        der = cert.dump()
        parsed: x509.Certificate = self._crypto_certs.get(
            hashlib.sha256(der).digest(), lambda: x509.load_der_x509_certificate(der), len(der)
        )
        return parsed

    def _certified(self, cert: x509.Certificate, pool: Sequence[x509.Certificate]) -> bool:
        """Whether `cert` carries a valid signature of a certificate in `pool` (itself included,
        for a root)."""
        for issuer in pool:
            if issuer.subject != cert.issuer:
                continue
            key = (cert.fingerprint(_SHA256), issuer.fingerprint(_SHA256))

            def check(issuer: x509.Certificate = issuer) -> bool:
                try:
                    cert.verify_directly_issued_by(issuer)
                except Exception:  # wrong key, bad signature, unsupported algorithm
                    return False
                return True

            if self._issued.get(key, check):
                return True
        return False

    def _container_findings(
        self, signed_data: cms.SignedData, pool: Sequence[x509.Certificate], subject: str
    ) -> list[Finding]:
        """The parts of a CMS SignedData that its signature does not cover must still be as the
        signer wrote them (RFC 5652 §5.1, §5.3): the digest algorithm set names the signer's
        algorithm, the signer identifier names the signing certificate byte for byte, and every
        certificate carried is intact (its issuer's signature verifies). Otherwise bytes of the
        file could change without any verdict changing."""
        problem = _format_failure(
            "signature_container_altered" if subject == "signature" else f"{subject}_altered",
            f"the {subject.replace('_', ' ')} container holds data its signer did not write "
            "(a damaged certificate copy, an altered algorithm list or signer identifier, an "
            "unexpected unsigned attribute)",
        )
        try:
            signer_info = signed_data["signer_infos"][0]
            algorithms = {a.dump() for a in signed_data["digest_algorithms"]}
            if algorithms != {signer_info["digest_algorithm"].dump()}:
                return [problem]
            # §5.1/§5.3: the versions follow from the structure (v1 SignerInfo for an
            # issuerAndSerialNumber; SignedData v3 when the content is not id-data).
            content_type = signed_data["encap_content_info"]["content_type"].native
            expected = 1 if content_type == "data" else 3
            if (
                len(signed_data["signer_infos"]) != 1
                or signed_data["version"].native != f"v{expected}"
                or signer_info["version"].native != "v1"
                or not _expected_unsigned_attributes(signer_info, subject == "signature")
            ):
                return [problem]
            choices = list(signed_data["certificates"] or ())
            if any(choice.name != "certificate" for choice in choices):
                return [problem]
            certs = [self._crypto(choice.chosen) for choice in choices]
            sid = signer_info["sid"]
            if sid.name != "issuer_and_serial_number":
                return [problem]
            issuer_der = sid.chosen["issuer"].dump()
            serial = sid.chosen["serial_number"].native
            named = [
                c
                for choice, c in zip(choices, certs, strict=True)
                if c.serial_number == serial
                and choice.chosen["tbs_certificate"]["issuer"].dump() == issuer_der
            ]
            everything = [*certs, *pool]
            if not named or not all(self._certified(c, everything) for c in certs):
                return [problem]
            for choice in signed_data["crls"] or ():
                crl = x509.load_der_x509_crl(choice.chosen.dump())
                if not any(
                    issuer.subject == crl.issuer and crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
                    for issuer in everything
                ):
                    return [problem]
        except Exception:  # unparseable: the validation above has reported it already
            return [problem]
        return []

    def _revocation(
        self,
        chain: Sequence[x509.Certificate],
        crls: Sequence[_Crl],
        poe: dt.datetime | None,
        claimed: dt.datetime | None,
        have_current: bool,
        *,
        subject: str = "signer",
    ) -> tuple[RevocationStatus | None, list[Finding]]:
        """Look up every certificate of `chain` (leaf last) on every CRL its issuer signed.

        pyHanko validates the chain at the timestamp time, where a later revocation does not
        show; here every revocation counts, and is judged against the timestamp (POE).
        """
        findings: list[Finding] = []
        if len(chain) < 2:
            return None, findings
        leaf_status: RevocationStatus | None = None
        for index in range(1, len(chain)):
            issuer, cert = chain[index - 1], chain[index]
            is_leaf = index == len(chain) - 1
            newest: dt.datetime | None = None
            entry: x509.RevokedCertificate | None = None
            for crl in crls:
                if not self._issued_by(crl, issuer):
                    continue
                this_update = crl.crl.last_update_utc
                newest = this_update if newest is None else max(newest, this_update)
                revoked = crl.crl.get_revoked_certificate_by_serial_number(cert.serial_number)
                if revoked is not None and (
                    entry is None or revoked.revocation_date_utc < entry.revocation_date_utc
                ):
                    entry = revoked
            source = "current" if have_current else "embedded"
            if entry is None:
                if is_leaf:
                    leaf_status = RevocationStatus(
                        "good" if newest is not None else "unknown", source, newest
                    )
                continue
            revoked_at = entry.revocation_date_utc
            reason = _reason(entry)
            after = poe is not None and poe < revoked_at
            if is_leaf:
                leaf_status = RevocationStatus(
                    "revoked",
                    source,
                    newest,
                    revoked_at,
                    reason.name if reason is not None else "unspecified",
                    after,
                )
            finding = _revocation_finding(subject, is_leaf, revoked_at, reason, after, claimed)
            if finding is not None:
                findings.append(finding)
        return leaf_status, findings

    def _issued_by(self, crl: _Crl, issuer: x509.Certificate) -> bool:
        key = (crl.der_sha256, issuer.fingerprint(_SHA256))

        def check() -> bool:
            if crl.crl.issuer != issuer.subject:
                return False
            try:
                return crl.crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
            except Exception:  # an unsupported key type cannot have signed it
                return False

        result: bool = self._crl_checks.get(key, check)
        return result


# -- pure helpers --------------------------------------------------------------------------------


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _crypto_cert(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def _path_certificates(path: Any) -> list[x509.Certificate]:
    """Root first, leaf last; empty when no path was built."""
    if path is None:
        return []
    return [_crypto_cert(c) for c in path.iter_certs(include_root=True)]


def _reason(entry: x509.RevokedCertificate) -> x509.ReasonFlags | None:
    try:
        return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return None


def _revocation_finding(
    subject: str,
    is_leaf: bool,
    revoked_at: dt.datetime,
    reason: x509.ReasonFlags | None,
    after_poe: bool,
    claimed: dt.datetime | None,
) -> Finding | None:
    benign = reason in _BENIGN_REVOCATION_REASONS
    why = reason.name if reason is not None else "unspecified"
    when = revoked_at.isoformat()
    if after_poe and benign:
        return None  # EN 319 102-1 §5.6.2.1: POE before a revocation that does not touch the key
    if not is_leaf:
        return _finding(
            f"{subject}_ca_revoked",
            _UNSURE,
            SubIndication.REVOKED_CA_NO_POE,
            f"a CA certificate above the {subject} was revoked on {when} ({why})",
        )
    if not after_poe and claimed is not None and claimed > revoked_at and subject == "signer":
        # EN 319 102-1 §5.2.6: the signer itself claims to have signed after the revocation.
        # Strictly after: CRL dates have one-second precision, so the same second is a tie.
        return _finding(
            "signer_revoked",
            _FAILED,
            SubIndication.REVOKED,
            f"the signing certificate was revoked on {when} ({why}), before the signature was made",
        )
    if after_poe:
        detail = (
            f"the {subject} certificate was revoked on {when} for {why}; the timestamp proves "
            "the signature predates the revocation but not the compromise"
        )
    else:
        detail = (
            f"the {subject} certificate was revoked on {when} ({why}) and nothing proves the "
            "signature existed before"
        )
    return _finding(f"{subject}_revoked", _UNSURE, SubIndication.REVOKED_NO_POE, detail)


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


def _validation_error_finding(exc: SignatureValidationError, subject: str = "signature") -> Finding:
    indic = exc.ades_subindication
    name = getattr(indic, "name", "GENERIC")
    if name in SubIndication.__members__:
        sub = SubIndication[name]
        failed = type(indic).__name__ == "AdESFailure"
        return Finding(f"{subject}_invalid", _FAILED if failed else _UNSURE, sub, str(exc))
    return _format_failure(f"{subject}_malformed", f"the signature cannot be validated: {exc}")


def _signature_dictionary_findings(pdf: bytes, embedded: EmbeddedPdfSignature) -> list[Finding]:
    findings: list[Finding] = []
    subfilter = embedded.sig_object.get("/SubFilter")
    if subfilter != _PADES_SUBFILTER:
        findings.append(
            _format_failure(
                "not_pades",
                f"the signature's /SubFilter is {subfilter}, not {_PADES_SUBFILTER} "
                "(EN 319 142-1 §6.2.1)",
            )
        )
    findings += _byte_range_findings(pdf, embedded, "signature")
    return findings


def _byte_range_findings(pdf: bytes, embedded: EmbeddedPdfSignature, subject: str) -> list[Finding]:
    """ISO 32000-1 §12.8.1: the /ByteRange excludes exactly the /Contents hex string. And the
    signature value must be written the one way a signer writes it: the container is not
    covered by its own signature, so a hex digit changing case or a non-zero byte in the
    padding after the DER would otherwise make a different file that still verifies."""
    code = "byte_range_invalid" if subject == "signature" else f"{subject}_byte_range_invalid"
    try:
        start1, length1, start2, length2 = (int(v) for v in embedded.byte_range)
    except (TypeError, ValueError):
        raise _Refused(_format_failure(code, "/ByteRange is not four integers")) from None
    well_formed = (
        start1 == 0
        and 0 < length1 < start2
        and length2 >= 0
        and start2 + length2 <= len(pdf)
        and _HEX_STRING.fullmatch(pdf, length1, start2) is not None
    )
    if not well_formed:
        raise _Refused(
            _format_failure(
                code,
                f"/ByteRange {[start1, length1, start2, length2]} does not exclude exactly "
                "the signature value",
            )
        )
    digits = pdf[length1 + 1 : start2 - 1]
    container = bytes(embedded.pkcs7_content)
    der_length = _der_length(container)
    canonical = (
        der_length is not None
        and len(digits) % 2 == 0
        and _is_canonical_hex(digits, container[:der_length])
        and _strict_der(container[:der_length])
    )
    if not canonical:
        return [
            _format_failure(
                f"{subject}_not_canonical" if subject != "signature" else "signature_not_canonical",
                "the signature value is not encoded as a signer writes it (the DER container "
                "in upper-case hex followed only by zeros)",
            )
        ]
    return []


def _is_canonical_hex(digits: bytes, der: bytes) -> bool:
    """Whether the /Contents digits are exactly what pyHanko writes (`PdfSignedData`: the DER
    hexlified in upper case, the rest of the reserved space "0"): one spelling per container,
    so no digit can change case and no padding digit can change without a verdict changing."""
    written = binascii.hexlify(der).upper()
    return digits.startswith(written) and not digits[len(written) :].strip(b"0")


def _strict_der(data: bytes, depth: int = 0) -> bool:
    """Whether `data` is a sequence of DER elements (X.690 §10.1: definite, minimal lengths)
    whose constructed elements are exactly filled by their children, all the way down. A
    lenient parser accepts a length that reaches into the zero padding after the container, or
    slack inside it; such bytes change the file without changing any verdict."""
    if depth > 40:
        return False
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data) or data[offset] & 0x1F == 0x1F or data[offset] == 0:
            return False  # truncated, a multi-byte tag (none in CMS), or BER end-of-contents
        constructed = bool(data[offset] & 0x20)
        first = data[offset + 1]
        header = 2
        if first < 0x80:
            length = first
        else:
            count = first & 0x7F
            if not 0 < count <= 4 or offset + 2 + count > len(data):
                return False  # indefinite (BER) or absurd length
            length_bytes = data[offset + 2 : offset + 2 + count]
            length = int.from_bytes(length_bytes, "big")
            if length < 0x80 or length_bytes[0] == 0:
                return False  # not the shortest form
            header += count
        end = offset + header + length
        if end > len(data):
            return False
        if constructed and not _strict_der(data[offset + header : end], depth + 1):
            return False
        offset = end
    return True


def _der_length(data: bytes) -> int | None:
    """Length of the DER TLV at the start of `data` (X.690 §8.1.3), or None if malformed."""
    if len(data) < 2 or data[0] != 0x30:
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if not 0 < count <= 4 or len(data) < 2 + count:
        return None
    length = 2 + count + int.from_bytes(data[2 : 2 + count], "big")
    return length if length <= len(data) else None


def _integrity_findings(status: PdfSignatureStatus) -> list[Finding]:
    findings: list[Finding] = []
    if not status.intact:
        findings.append(
            _finding(
                "digest_mismatch",
                _FAILED,
                SubIndication.HASH_FAILURE,
                "the signed bytes have changed: their digest differs from the signed one",
            )
        )
    elif not status.valid:
        findings.append(
            _finding(
                "signature_invalid",
                _FAILED,
                SubIndication.SIG_CRYPTO_FAILURE,
                "the signature value does not verify with the signing certificate's key",
            )
        )
    coverage = status.coverage
    if coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        findings.append(
            _format_failure(
                "byte_range_invalid",
                "the signature does not cover a whole revision of the document",
            )
        )
    elif coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        level = _modification_level(status)
        if level is None or level > ModificationLevel.LTA_UPDATES:
            findings.append(
                _format_failure(
                    "modified_after_signing",
                    "the document was changed after signing by an incremental update that "
                    f"adds more than validation data ({_level_name(level)})",
                )
            )
    return findings


def _modification_level(status: Any) -> ModificationLevel | None:
    diff = status.diff_result
    if isinstance(diff, DiffResult):
        return diff.modification_level
    return None if diff is not None else ModificationLevel.NONE


def _level_name(level: ModificationLevel | None) -> str:
    return {
        None: "other",
        ModificationLevel.NONE: "none",
        ModificationLevel.LTA_UPDATES: "validation_data",
        ModificationLevel.FORM_FILLING: "form_filling",
        ModificationLevel.ANNOTATIONS: "annotations",
        ModificationLevel.OTHER: "other",
    }[level]


def _trust_findings(status: Any, subject: str) -> list[Finding]:
    indic = status.trust_problem_indic
    if indic is None and status.validation_path is not None:
        return []
    name = getattr(indic, "name", "NO_CERTIFICATE_CHAIN_FOUND")
    sub = SubIndication.__members__.get(name, SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE)
    failed = type(indic).__name__ == "AdESFailure"
    details = {
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND: "no chain leads to a trusted root",
        SubIndication.CHAIN_CONSTRAINTS_FAILURE: (
            "the certificate may not be used for this (key usage or extended key usage)"
        ),
        SubIndication.TRY_LATER: "no revocation data valid at the signing time is available",
        SubIndication.OUT_OF_BOUNDS_NO_POE: "the certificate was not valid at the signing time",
        SubIndication.REVOKED_NO_POE: "the certificate was revoked at the signing time",
    }
    detail = details.get(sub, f"the certificate chain does not validate ({name})")
    return [Finding(f"{subject}_{sub.value.lower()}", _FAILED if failed else _UNSURE, sub, detail)]


def _timestamp_findings(status: Any, subject: str) -> list[Finding]:
    if not status.intact:
        return [
            _finding(
                f"{subject}_digest_mismatch",
                _FAILED if subject == "document_timestamp" else _UNSURE,
                SubIndication.HASH_FAILURE
                if subject == "document_timestamp"
                else SubIndication.SIG_CONSTRAINTS_FAILURE,
                f"the {subject.replace('_', ' ')} does not match what it timestamps",
            )
        ]
    if not status.valid:
        return [
            _finding(
                f"{subject}_invalid",
                _FAILED if subject == "document_timestamp" else _UNSURE,
                SubIndication.SIG_CRYPTO_FAILURE
                if subject == "document_timestamp"
                else SubIndication.SIG_CONSTRAINTS_FAILURE,
                f"the {subject.replace('_', ' ')}'s own signature does not verify",
            )
        ]
    findings = _trust_findings(status, subject)
    if subject == "document_timestamp":
        coverage = status.coverage
        level = _modification_level(status)
        if coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
            findings.append(
                _format_failure(
                    "document_timestamp_byte_range_invalid",
                    "a document timestamp does not cover a whole revision",
                )
            )
        elif level is None or level > ModificationLevel.LTA_UPDATES:
            findings.append(
                _format_failure(
                    "modified_after_signing",
                    "the document was changed after its last document timestamp",
                )
            )
    return findings


def _expired_timestamp_findings(
    timestamp: TimestampSummary | None,
    document_timestamps: Sequence[TimestampSummary],
    now: dt.datetime,
) -> list[Finding]:
    """EN 319 102-1 §5.4/§5.6.2: the newest timestamp is evidence only while its TSA's
    certificate is valid; after that, a fresher archive timestamp (B-LTA renewal) must vouch
    for it."""
    trusted = [t for t in (timestamp, *document_timestamps) if t is not None and t.trusted]
    newest = trusted[-1] if trusted else None
    if newest is None or newest.authority is None or newest.authority.not_after >= now:
        return []
    return [
        _finding(
            "timestamp_certificate_expired",
            _UNSURE,
            SubIndication.OUT_OF_BOUNDS_NO_POE,
            "the newest timestamp's authority certificate has expired and no later archive "
            "timestamp vouches for it",
        )
    ]


def _timestamp_summary(status: Any, time: dt.datetime | None) -> TimestampSummary:
    authority = CertificateSummary.of(_crypto_cert(status.signing_cert))
    return TimestampSummary(
        time=status.timestamp if time is None else time,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        authority=authority,
    )


def _expected_unsigned_attributes(signer_info: cms.SignerInfo, timestamped: bool) -> bool:
    """RFC 5652 §5.3: unsigned attributes are outside the signature, so anything could be added
    there. A PAdES signature (EN 319 142-1 §5.3, B-T and up; the DSS holds the validation data)
    carries exactly one: one signature timestamp token. A timestamp token's own SignerInfo
    (RFC 3161), and a document timestamp's, carry none."""
    attributes = signer_info["unsigned_attrs"]
    if not timestamped:
        return isinstance(attributes, core.Void)
    if isinstance(attributes, core.Void):
        return True  # B-B: no timestamp, a policy finding of its own
    return (
        len(attributes) == 1
        and attributes[0]["type"].dotted == _SIGNATURE_TIMESTAMP_OID
        and len(attributes[0]["values"]) == 1
    )


def _signature_timestamp_token(signer_info: cms.SignerInfo) -> cms.SignedData | None:
    try:
        for attribute in signer_info["unsigned_attrs"] or ():
            if attribute["type"].native == "signature_time_stamp_token":
                signed_data: cms.SignedData = attribute["values"][0]["content"]
                return signed_data
    except Exception:  # a malformed token: pyHanko's validation reports it
        return None
    return None


def _signature_timestamp_time(signer_info: cms.SignerInfo) -> dt.datetime | None:
    try:
        for attribute in signer_info["unsigned_attrs"] or ():
            if attribute["type"].native == "signature_time_stamp_token":
                token = attribute["values"][0]
                tst_info = token["content"]["encap_content_info"]["content"].parsed
                time: dt.datetime = tst_info["gen_time"].native
                return time
    except Exception:  # a malformed token: pyHanko's validation reports it
        return None
    return None


def _document_timestamp_time(embedded: EmbeddedPdfSignature) -> dt.datetime | None:
    try:
        tst_info = embedded.signed_data["encap_content_info"]["content"].parsed
        time: dt.datetime = tst_info["gen_time"].native
    except Exception:
        return None
    return time


def _claimed_signing_time(embedded: EmbeddedPdfSignature) -> dt.datetime | None:
    try:
        claimed: dt.datetime | None = embedded.self_reported_timestamp
    except Exception:
        return None
    return claimed


@dataclass(frozen=True, slots=True)
class _Dss:
    certificates: tuple[bytes, ...] = ()
    crls: tuple[bytes, ...] = ()
    ocsps: int = 0

    @property
    def present(self) -> bool:
        return bool(self.crls or self.ocsps)


@dataclass(frozen=True, slots=True)
class _Data:
    """Validation data for one document: its DSS, parsed, plus the current CRLs."""

    dss: _Dss
    certs: list[asn1_x509.Certificate]
    crls: list[_Crl]
    pool: list[x509.Certificate]  # trust roots and DSS certificates, for container checks
    have_current: bool


def _read_dss(reader: PdfFileReader) -> _Dss:
    """The Document Security Store (ISO 32000-2 §12.8.4.3) of the newest revision, counted
    before anything is decoded, and each item's size capped while it is decoded (before it is
    parsed)."""
    try:
        dss = reader.root["/DSS"]
    except KeyError:
        return _Dss()  # B-B or B-T
    certs = list(dss.get("/Certs", ()))
    crls = list(dss.get("/CRLs", ()))
    ocsps = list(dss.get("/OCSPs", ()))
    if len(certs) > _MAX_CERTIFICATES or len(crls) > _MAX_CRLS:
        raise _Refused(
            _format_failure(
                "too_much_validation_data",
                "the DSS holds more certificates or CRLs than a licence's chain needs",
            )
        )
    budget = [_MAX_VALIDATION_DATA_BYTES]
    return _Dss(
        tuple(_dss_item(ref, DecodePurpose.CERTIFICATE, budget) for ref in certs),
        tuple(_dss_item(ref, DecodePurpose.CRL, budget) for ref in crls),
        len(ocsps),
    )


def _dss_item(ref: Any, purpose: DecodePurpose, budget: list[int]) -> bytes:
    """One DSS certificate or CRL, refused when larger than any genuine one (the decoder stops
    at the cap, see `_DECODE_LIMITS`; an unfiltered stream is measured) or when the DSS as a
    whole exceeds `_MAX_VALIDATION_DATA_BYTES` (`budget`: what is left of it)."""
    what, cap = (
        ("a certificate", _MAX_CERTIFICATE_BYTES)
        if purpose is DecodePurpose.CERTIFICATE
        else ("a CRL", _MAX_CRL_BYTES)
    )
    too_large = _format_failure(
        "too_much_validation_data",
        f"the DSS holds {what} larger than {cap} bytes, or more than "
        f"{_MAX_VALIDATION_DATA_BYTES} bytes of validation data in all",
    )
    try:
        data: bytes = ref.get_object().read_data(purpose)
    except PdfDecodeLimitError as exc:
        raise _Refused(too_large) from exc
    budget[0] -= len(data)
    if len(data) > cap or budget[0] < 0:
        raise _Refused(too_large)
    return data


def _updates_without_validation_data(
    reader: PdfFileReader, signature: EmbeddedPdfSignature
) -> list[Finding]:
    """EN 319 142-1 §5.4: each revision after the signed one must bring validation data (new
    DSS entries) or a document timestamp. The difference analysis only rules out harmful
    changes; an update that changes nothing at all still appends bytes after signing."""
    total = reader.xrefs.total_revisions
    if signature.signed_revision >= total - 1:
        return []
    timestamped = {ts.signed_revision for ts in reader.embedded_timestamp_signatures}
    previous = _dss_entries(reader.get_historical_resolver(signature.signed_revision))
    for revision in range(signature.signed_revision + 1, total):
        entries = _dss_entries(reader.get_historical_resolver(revision))
        if revision not in timestamped and not entries - previous:
            return [
                _format_failure(
                    "update_after_signing",
                    f"revision {revision}, appended after signing, adds neither validation "
                    "data nor a document timestamp",
                )
            ]
        previous = entries
    return []


def _dss_entries(resolver: HistoricalResolver) -> set[tuple[int, int]]:
    """The objects a revision's DSS lists (certificates, CRLs, OCSP responses), by reference."""
    dss = _dereferenced(resolver.root, "/DSS")
    if not isinstance(dss, generic.DictionaryObject):
        return set()
    entries: set[tuple[int, int]] = set()
    for key in ("/Certs", "/CRLs", "/OCSPs"):
        items = _dereferenced(dss, key)
        if not isinstance(items, generic.ArrayObject):
            continue
        for index in range(len(items)):
            item = items.raw_get(index)
            if isinstance(item, generic.IndirectObject):
                entries.add((item.idnum, item.generation))
    return entries


def _dereferenced(dictionary: generic.DictionaryObject, key: str) -> Any:
    """`dictionary[key]`, resolved (`.get` returns an indirect reference as it is: the DSS is
    one, its arrays may be), or None."""
    try:
        return dictionary[key]
    except KeyError:
        return None


def _data_after_last_revision(pdf: bytes, reader: PdfFileReader) -> bool:
    """True if bytes follow the end of the last revision pyHanko knows (ISO 32000-1 §7.5.6).

    Catches both plain trailing bytes and a fake trailer with its own %%EOF that points back
    to an earlier cross-reference section (the reader then sees no new revision at all).
    """
    last_eof = pdf.rfind(b"%%EOF")
    if pdf[last_eof + 5 :] not in _EOL:
        return True
    xrefs = reader.xrefs
    last = xrefs.total_revisions - 1
    xref_end = xrefs.get_xref_container_info(last).end_location
    return pdf.find(b"%%EOF", xref_end) != last_eof


def _coverage(
    pdf: bytes,
    reader: PdfFileReader,
    embedded: EmbeddedPdfSignature,
    status: PdfSignatureStatus,
    document_timestamps: int,
    data_after_eof: bool,
) -> Coverage:
    start2, length2 = embedded.byte_range[2], embedded.byte_range[3]
    signed_end = start2 + length2
    level = _modification_level(status)
    return Coverage(
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        signed_bytes=signed_end,
        file_bytes=len(pdf),
        revisions_after_signing=reader.xrefs.total_revisions - 1 - embedded.signed_revision,
        document_timestamps=document_timestamps,
        modification_level=_level_name(level),
        data_after_eof=data_after_eof,
    )


def _level(timestamp: Any, dss: _Dss, document_timestamps: Sequence[TimestampSummary]) -> str:
    if timestamp is None:
        return "B-B"
    if not dss.present:
        return "B-T"
    return "B-LTA" if document_timestamps else "B-LT"


def _signed_attachments(reader: PdfFileReader, revision: int) -> tuple[tuple[str, bytes], ...]:
    """Embedded files (ISO 32000-1 §7.11.4) as the signed revision has them: from the
    catalog's /AF array (PDF/A-3 associated files) and the /EmbeddedFiles name tree's top level.
    Later revisions cannot change what this returns."""
    try:
        resolver = reader.get_historical_resolver(revision)
        root = resolver.root
        specs: list[Any] = list(root.get("/AF", ()))[:_MAX_ATTACHMENTS]
        name_dictionary = root.get("/Names")
        names = name_dictionary.get("/EmbeddedFiles") if name_dictionary is not None else None
        if names is not None:
            entries = list(names.get("/Names", ()))[: 2 * _MAX_ATTACHMENTS]
            specs += entries[1::2]
    except Exception:
        return ()
    found: dict[str, bytes] = {}
    for spec in specs[:_MAX_ATTACHMENTS]:
        try:
            spec = spec.get_object()
            name = str(spec.get("/UF", spec.get("/F")))
            stream = spec["/EF"].get("/UF", spec["/EF"].get("/F")).get_object()
            if name in found:
                continue
            data = stream.data
            if len(data) <= _MAX_ATTACHMENT_BYTES:
                found[name] = data
        except Exception as exc:  # a broken file specification is simply not an attachment
            logger.debug("unreadable attachment: %s: %s", type(exc).__name__, exc)
            continue
    return tuple(found.items())
