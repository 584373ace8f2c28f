"""`PdfSignatureVerifier`: the steps of a verification, in the order of EN 319 102-1 §5.2.

The verifier holds what outlives one document (trust anchors, key usage constraints, the
current CRL source, the shared caches); each step of `_verify` is a function of the module
for its concern. `verify` never raises for bad input: a refusal becomes its finding, and a
decoding limit or any parser failure on hostile input a FORMAT_FAILURE one."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from cryptography import x509
from pyhanko.pdf_utils.misc import PdfDecodeLimitError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from signing import _speedups
from signing.certificate_profiles import DOCUMENT_SIGNING_EKU
from signing.verification.attachments import _signed_attachments
from signing.verification.cache import _ParseCache
from signing.verification.chain import (
    _asn1,
    _crypto_cert,
    _path_certificates,
    _trust_findings,
    _validation_context,
    _validation_error_finding,
)
from signing.verification.cms import (
    _claimed_signing_time,
    _container_findings,
    _signature_timestamp_token,
)
from signing.verification.dss import _Data, _Dss, _validation_data
from signing.verification.limits import MAX_DOCUMENT_BYTES
from signing.verification.report import (
    _UNSURE,
    CertificateSummary,
    Finding,
    RevocationStatus,
    SignatureVerification,
    SubIndication,
    TimestampSummary,
    _finding,
    _format_failure,
    _Refused,
    _verdict,
)
from signing.verification.revisions import (
    STRICT_DIFF_POLICY,
    _coverage,
    _data_after_last_revision,
    _integrity_findings,
    _updates_without_validation_data,
)
from signing.verification.revocation import _chain_revocation
from signing.verification.structure import (
    _approval_signature,
    _open_document,
    _signature_dictionary_findings,
)
from signing.verification.timestamps import (
    _document_timestamps,
    _expired_timestamp_findings,
    _signature_timestamp_time,
    _timestamp_findings,
    _timestamp_summary,
)

__all__ = ["CrlSource", "PdfSignatureVerifier"]

# The package's name, as before it was split: logging configured for it still applies.
logger = logging.getLogger("signing.verification")


CrlSource: TypeAlias = Sequence[bytes] | Callable[[], Sequence[bytes]]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _try_later(code: str, detail: str) -> Finding:
    """A fault of the verifying system: INDETERMINATE/TRY_LATER, never TOTAL_FAILED."""
    return Finding(code, _UNSURE, SubIndication.TRY_LATER, detail)


class _InternalFault(Exception):
    """The verifier's own resources failed (current CRLs, files): the verdict is deferred."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.finding = _try_later(code, detail)


@dataclass(frozen=True, slots=True)
class _Signed:
    """What the first steps establish about one document, for the later ones to judge."""

    pdf: bytes
    reader: PdfFileReader
    field_name: str
    embedded: EmbeddedPdfSignature
    signature_time: dt.datetime | None  # proven by the signature timestamp
    claimed_time: dt.datetime | None  # claimed by the signer
    data: _Data
    status: PdfSignatureStatus


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
        self._parsed = _ParseCache()

    def cache_usage(self) -> dict[str, tuple[int, int]]:
        """What the process-wide caches hold: name → (entries, DER bytes)."""
        return self._parsed.usage()

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
        except _InternalFault as fault:
            return _verdict([fault.finding], **base)
        except OSError as exc:  # I/O of the verifying system (files, sockets): not a forgery
            detail = f"the verifier could not complete: {type(exc).__name__}: {exc}"
            return _verdict([_try_later("internal_io_error", detail)], **base)
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
        signed, findings = self._read_signature(pdf, extra_crls, checked_at)
        # §5.2.7 cryptographic verification and what the signature covers
        findings += self._signed_data_findings(signed)
        data_after_eof = _data_after_last_revision(pdf, signed.reader)
        if data_after_eof:
            findings.append(
                _format_failure(
                    "data_after_eof",
                    "bytes were appended after the end of the last revision (%%EOF)",
                )
            )
        findings += self._policy_findings(signed.status)
        # §5.2.6 the chain, §5.6.2 revocation judged against the timestamp
        findings += _trust_findings(signed.status, "signer")
        signer = _crypto_cert(signed.status.signing_cert)
        chain = _path_certificates(signed.status.validation_path)
        revocation, revocation_findings = self._revocation(
            signed, chain or [signer], signed.claimed_time
        )
        findings += revocation_findings
        # the timestamps
        timestamp, timestamp_findings = self._signature_timestamp(signed)
        findings += timestamp_findings
        document_timestamps, document_findings = _document_timestamps(
            pdf, signed.reader, signed.embedded, signed.data, self._roots_asn1, self._parsed
        )
        findings += document_findings
        findings += _expired_timestamp_findings(timestamp, document_timestamps, checked_at)
        details = _details(
            signed, signer, chain, revocation, timestamp, document_timestamps, data_after_eof
        )
        return _verdict(findings, **base, **details)

    def _read_signature(
        self, pdf: bytes, extra_crls: Sequence[bytes], checked_at: dt.datetime
    ) -> tuple[_Signed, list[Finding]]:
        """§5.2.2 format checks, then pyHanko's validation of the approval signature at the
        time its timestamp proves (or now, without one). A document that fails here is refused
        outright; what is returned are the format findings that do not stop verification."""
        reader = _open_document(pdf, self.max_bytes)
        field_name, embedded = _approval_signature(reader)
        findings = _signature_dictionary_findings(pdf, embedded)
        signature_time = _signature_timestamp_time(embedded.signer_info)
        claimed_time = _claimed_signing_time(embedded)
        data = _validation_data(
            reader, self.trust_roots, lambda: (*self._current_crls(), *extra_crls), self._parsed
        )
        context = self._context(signature_time or checked_at, data)
        status = self._validate_signature(embedded, context)
        signed = _Signed(
            pdf, reader, field_name, embedded, signature_time, claimed_time, data, status
        )
        return signed, findings

    def _signed_data_findings(self, signed: _Signed) -> list[Finding]:
        """Whether the signed bytes and the signature verify, whether they cover a revision
        that only validation data follows, and whether the unsigned parts of the CMS are as
        the signer wrote them."""
        embedded, data = signed.embedded, signed.data
        findings = _integrity_findings(signed.status)
        findings += _container_findings(embedded.signed_data, data.pool, "signature", self._parsed)
        token = _signature_timestamp_token(embedded.signer_info)
        if token is not None:
            findings += _container_findings(token, data.pool, "signature_timestamp", self._parsed)
        findings += _updates_without_validation_data(signed.reader, embedded)
        return findings

    def _policy_findings(self, status: PdfSignatureStatus) -> list[Finding]:
        """Our signature policy: a signature timestamp (PAdES B-T) unless told otherwise."""
        if status.timestamp_validity is None and self.require_timestamp:
            # Policy constraint first: without it the chain's findings would only be symptoms.
            return [
                _finding(
                    "no_signature_timestamp",
                    _UNSURE,
                    SubIndication.SIG_CONSTRAINTS_FAILURE,
                    "the signature has no timestamp, so nothing proves when it was made "
                    "(PAdES B-B; licences are B-LT)",
                )
            ]
        return []

    def _signature_timestamp(
        self, signed: _Signed
    ) -> tuple[TimestampSummary | None, list[Finding]]:
        """The signature timestamp (PAdES B-T) as pyHanko validated it, and its authority's
        revocation status."""
        status = signed.status.timestamp_validity
        if status is None:
            return None, []
        timestamp = _timestamp_summary(status, signed.signature_time)
        findings = _timestamp_findings(status, "signature_timestamp")
        _, tsa_findings = self._revocation(
            signed, _path_certificates(status.validation_path), None, subject="timestamp"
        )
        findings += tsa_findings
        return timestamp, findings

    def _revocation(
        self,
        signed: _Signed,
        chain: Sequence[x509.Certificate],
        claimed: dt.datetime | None,
        *,
        subject: str = "signer",
    ) -> tuple[RevocationStatus | None, list[Finding]]:
        data = signed.data
        return _chain_revocation(
            chain,
            data.crls,
            signed.signature_time,
            claimed,
            data.have_current,
            self._parsed.issued_by,
            subject=subject,
        )

    def _current_crls(self) -> Sequence[bytes]:
        source = self._crl_source
        if not callable(source):
            return source
        try:
            return source()
        except Exception as exc:  # the CRL source is ours: its failure is not the document's
            raise _InternalFault(
                "crl_unavailable", f"the current CRLs cannot be had: {type(exc).__name__}: {exc}"
            ) from exc

    def _context(self, moment: dt.datetime, data: _Data) -> ValidationContext:
        return _validation_context(self._roots_asn1, moment, data.certs, data.crls)

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


def _details(
    signed: _Signed,
    signer: x509.Certificate,
    chain: Sequence[x509.Certificate],
    revocation: RevocationStatus | None,
    timestamp: TimestampSummary | None,
    document_timestamps: Sequence[TimestampSummary],
    data_after_eof: bool,
) -> dict[str, Any]:
    """Everything a `SignatureVerification` reports besides the verdict."""
    embedded, status = signed.embedded, signed.status
    return {
        "field_name": signed.field_name,
        "level": _level(status.timestamp_validity, signed.data.dss, document_timestamps),
        "intact": status.intact,
        "signature_valid": status.valid,
        "coverage": _coverage(
            signed.pdf,
            signed.reader,
            embedded,
            status,
            len(document_timestamps),
            data_after_eof,
        ),
        "signer": CertificateSummary.of(signer),
        "chain": tuple(CertificateSummary.of(c) for c in reversed(chain)),
        "trust_anchor": CertificateSummary.of(chain[0]) if chain else None,
        "claimed_signing_time": signed.claimed_time,
        "timestamp": timestamp,
        "document_timestamps": tuple(document_timestamps),
        "revocation": revocation,
        "signed_revision_bytes": embedded.byte_range[2] + embedded.byte_range[3],
        "attachments": _signed_attachments(signed.reader, embedded.signed_revision),
    }


def _level(timestamp: Any, dss: _Dss, document_timestamps: Sequence[TimestampSummary]) -> str:
    if timestamp is None:
        return "B-B"
    if not dss.present:
        return "B-T"
    return "B-LTA" if document_timestamps else "B-LT"
