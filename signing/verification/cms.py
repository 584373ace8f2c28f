"""The CMS signature container."""

from __future__ import annotations

import datetime as dt
from typing import Final

from asn1crypto import cms, core
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

__all__ = []

# RFC 5652 §11.4 / RFC 3161 §2.4.2 (via RFC 5126 §5.11.4): id-aa-signatureTimeStampToken, the
# one unsigned attribute a PAdES B-T signature carries (EN 319 142-1 §5.3).
_SIGNATURE_TIMESTAMP_OID: Final = "1.2.840.113549.1.9.16.2.14"


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


def _claimed_signing_time(embedded: EmbeddedPdfSignature) -> dt.datetime | None:
    try:
        claimed: dt.datetime | None = embedded.self_reported_timestamp
    except Exception:
        return None
    return claimed
