"""Timestamps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from asn1crypto import cms
from pyhanko.sign.diff_analysis import (
    ModificationLevel,
)
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import (
    SignatureCoverageLevel,
)

from signing.verification.chain import _crypto_cert, _trust_findings
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
from signing.verification.revisions import _modification_level

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
