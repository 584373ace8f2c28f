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

The modules, by concern (in the style of pyHanko's `sign.validation`):

    verifier.py     PdfSignatureVerifier: the steps above, in that order
    report.py       SignatureVerification, Finding, Indication, …: the verdict; json_ready
    limits.py       MAX_DOCUMENT_BYTES and every other bound on what one document may cost
    structure.py    1: the file, its approval signature, /SubFilter, /ByteRange, /Contents
    revisions.py    2-3: coverage, STRICT_DIFF_POLICY, updates after signing, integrity
    cms.py          2: the CMS container's unsigned parts; the timestamp token, claimed time
    dss.py          4: the DSS (bounded) and the validation data for one document
    chain.py        4: the point-in-time validation context; chain findings
    revocation.py   5: every CRL, judged against the timestamp
    timestamps.py   6: signature and document timestamps
    attachments.py  the embedded files of the signed revision (the licence data)
    cache.py        parsed certificates and CRLs shared between documents

The modules share underscore-prefixed helpers with each other; what this package exports is
the public interface.
"""

# Before anything imports pyhanko.sign: the verifier loads none of the signing half.
from signing.verification.deferred_imports import defer_pyhanko_sign_init

defer_pyhanko_sign_init()

# The `X as X` imports re-export names the former module had outside its __all__.
from signing.verification.limits import MAX_DOCUMENT_BYTES  # noqa: E402
from signing.verification.limits import MiB as MiB  # noqa: E402
from signing.verification.report import (  # noqa: E402
    CertificateSummary,
    Coverage,
    Finding,
    Indication,
    RevocationStatus,
    SignatureVerification,
    SubIndication,
    TimestampSummary,
    json_ready,
)
from signing.verification.revisions import STRICT_DIFF_POLICY as STRICT_DIFF_POLICY  # noqa: E402
from signing.verification.verifier import CrlSource as CrlSource  # noqa: E402
from signing.verification.verifier import PdfSignatureVerifier  # noqa: E402

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
