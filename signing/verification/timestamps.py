"""Timestamps: the signature timestamp (PAdES B-T) and document timestamps (PAdES B-LTA).

The signature timestamp proves when the signature existed, and so decides the time at which
the chain and its revocation are judged; licences require one. Document timestamps (EN 319
142-1 §5.4) each cover a revision of their own and are validated at their own time. The newest
timestamp is evidence only while its authority's certificate is valid (EN 319 102-1 §5.6.2)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Sequence
from typing import Any

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import (
    ModificationLevel,
)
from pyhanko.sign.validation import async_validate_pdf_timestamp
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import (
    DocumentTimestampStatus,
    SignatureCoverageLevel,
)

from signing.verification.cache import _ParseCache
from signing.verification.chain import (
    _crypto_cert,
    _trust_findings,
    _validation_context,
    _validation_error_finding,
)
from signing.verification.cms import _container_findings
from signing.verification.dss import _Data
from signing.verification.report import (
    _FAILED,
    _UNSURE,
    CertificateSummary,
    Finding,
    SubIndication,
    TimestampSummary,
    _finding,
    _format_failure,
)
from signing.verification.revisions import STRICT_DIFF_POLICY, _modification_level
from signing.verification.structure import _byte_range_findings

__all__ = []


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
    # Each timestamp is evidence only if the next one was made while its authority's
    # certificate was still valid: a renewal after the expiry proves nothing about it.
    for earlier, later in itertools.pairwise(trusted):
        if earlier.authority is not None and earlier.authority.not_after < later.time:
            return [
                _finding(
                    "archive_timestamp_chain_broken",
                    _UNSURE,
                    SubIndication.OUT_OF_BOUNDS_NO_POE,
                    f"the archive timestamp of {later.time:%Y-%m-%d} was added after the "
                    f"previous timestamp's authority certificate expired "
                    f"({earlier.authority.not_after:%Y-%m-%d}): the renewal came too late",
                )
            ]
    newest = trusted[-1] if trusted else None
    if newest is None or newest.authority is None or newest.authority.not_after >= now:
        return []
    return [
        _finding(
            "timestamp_certificate_expired",
            _UNSURE,
            SubIndication.OUT_OF_BOUNDS_NO_POE,
            f"the newest timestamp's authority certificate expired on "
            f"{newest.authority.not_after:%Y-%m-%d} and no later archive timestamp vouches "
            "for it: the licence was not renewed in time (B-LT, or B-LTA left unrenewed)",
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


def _document_timestamps(
    pdf: bytes,
    reader: PdfFileReader,
    signature: EmbeddedPdfSignature,
    data: _Data,
    trust_roots: Sequence[asn1_x509.Certificate],
    parsed: _ParseCache,
) -> tuple[list[TimestampSummary], list[Finding]]:
    """Validate every document timestamp added after the signature (PAdES B-LTA, EN 319
    142-1 §5.4), each at its own time, oldest first."""
    summaries: list[TimestampSummary] = []
    findings: list[Finding] = []
    for embedded in reader.embedded_timestamp_signatures:
        if embedded.signed_revision <= signature.signed_revision:
            continue
        summary, timestamp_findings = _document_timestamp(pdf, embedded, data, trust_roots, parsed)
        if summary is not None:
            summaries.append(summary)
        findings += timestamp_findings
    return summaries, findings


def _document_timestamp(
    pdf: bytes,
    embedded: EmbeddedPdfSignature,
    data: _Data,
    trust_roots: Sequence[asn1_x509.Certificate],
    parsed: _ParseCache,
) -> tuple[TimestampSummary | None, list[Finding]]:
    """One document timestamp: its /ByteRange and container as for the signature, then
    pyHanko's validation at the time it states (None when it cannot be validated at all)."""
    findings = _byte_range_findings(pdf, embedded, "document_timestamp")
    findings += _container_findings(embedded.signed_data, data.pool, "document_timestamp", parsed)
    time = _document_timestamp_time(embedded)
    if time is None:
        findings.append(
            _format_failure("document_timestamp_unreadable", "a document timestamp cannot be read")
        )
        return None, findings
    context = _validation_context(trust_roots, time, data.certs, data.crls)
    try:
        status: DocumentTimestampStatus = asyncio.run(
            async_validate_pdf_timestamp(
                embedded, validation_context=context, diff_policy=STRICT_DIFF_POLICY
            )
        )
    except SignatureValidationError as exc:
        findings.append(_validation_error_finding(exc, "document_timestamp"))
        return None, findings
    summary = _timestamp_summary(status, time)
    findings += _timestamp_findings(status, "document_timestamp")
    return summary, findings
