"""Bounds on what one document may make the verifier do, and why each is what it is.

The verifier takes PDFs from anyone (an upload, a batch of files): every cost it pays must be
bounded before it is paid. The limits here are a licence's own sizes with generous room, so a
genuine licence, even after decades of archive renewals, never meets them. `MAX_DOCUMENT_BYTES`
is public: `verification` and the service use it as their default size limit."""

from __future__ import annotations

from typing import Final

from pyhanko.pdf_utils.decode_limits import (
    DEFAULT_PURPOSE_LIMITS,
    DecodeLimits,
    DecodePurpose,
    DocumentDecodeBudget,
    StreamDecodeLimits,
)

__all__ = ["MAX_DOCUMENT_BYTES", "MiB"]

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
# Each archive renewal (B-LTA) adds the 2-3 CRLs current then: 32 covers decades of them.
_MAX_CRLS: Final = 32
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
# The signature, then one document timestamp per archive renewal (every few years).
_MAX_SIGNATURE_FIELDS: Final = 16
_MAX_ATTACHMENTS: Final = 8
_MAX_ATTACHMENT_BYTES: Final = 256 * 1024
