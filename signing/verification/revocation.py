"""Revocation."""

from __future__ import annotations

import datetime as dt
from typing import Final

from cryptography import x509

from signing.verification.report import _FAILED, _UNSURE, Finding, SubIndication, _finding

__all__ = []

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
