"""Revocation of every certificate in a chain, judged against the timestamp (EN 319 102-1 §5.6.2).

pyHanko validates the chain at the timestamp's time, when a later revocation does not show yet.
Here every CRL we have (embedded and current) counts: a revocation after the timestamp is
tolerated only for reasons that say nothing about the key (RFC 5280 §5.3.1); without an
invalidityDate (§5.3.2) a compromise may predate its revocation, so the timestamp is no proof
of existence before it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Final

from cryptography import x509

from signing.verification.cache import _Crl
from signing.verification.report import (
    _FAILED,
    _UNSURE,
    Finding,
    RevocationStatus,
    SubIndication,
    _finding,
)

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


def _chain_revocation(
    chain: Sequence[x509.Certificate],
    crls: Sequence[_Crl],
    poe: dt.datetime | None,
    claimed: dt.datetime | None,
    have_current: bool,
    issued_by: Callable[[_Crl, x509.Certificate], bool],
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
    source = "current" if have_current else "embedded"
    leaf_status: RevocationStatus | None = None
    for index in range(1, len(chain)):
        issuer, cert = chain[index - 1], chain[index]
        is_leaf = index == len(chain) - 1
        newest, entry = _crl_entry(cert, issuer, crls, issued_by)
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
        compromised = _invalidity_date(entry)
        finding = _revocation_finding(subject, is_leaf, revoked_at, reason, after, claimed)
        if compromised is not None and poe is not None:
            # RFC 5280 §5.3.2: the key is trusted up to its invalidity date, not beyond.
            if poe < compromised:
                finding = None  # the timestamp proves the signature predates the compromise
            elif is_leaf:
                finding = _finding(
                    f"{subject}_key_compromised",
                    _FAILED,
                    SubIndication.REVOKED,
                    f"the {subject}'s key is compromised since {compromised.isoformat()}, "
                    f"before the timestamp ({poe.isoformat()})",
                )
        if finding is not None:
            findings.append(finding)
    return leaf_status, findings


def _crl_entry(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    crls: Sequence[_Crl],
    issued_by: Callable[[_Crl, x509.Certificate], bool],
) -> tuple[dt.datetime | None, x509.RevokedCertificate | None]:
    """The newest thisUpdate of the CRLs `issuer` signed, and `cert`'s earliest revocation on
    any of them (CRLs may disagree; the earliest date is the one that counts against a POE)."""
    newest: dt.datetime | None = None
    entry: x509.RevokedCertificate | None = None
    for crl in crls:
        if not issued_by(crl, issuer):
            continue
        this_update = crl.crl.last_update_utc
        newest = this_update if newest is None else max(newest, this_update)
        revoked = crl.crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if revoked is not None and (
            entry is None or revoked.revocation_date_utc < entry.revocation_date_utc
        ):
            entry = revoked
    return newest, entry


def _invalidity_date(entry: x509.RevokedCertificate) -> dt.datetime | None:
    try:
        return entry.extensions.get_extension_for_class(
            x509.InvalidityDate
        ).value.invalidity_date_utc
    except x509.ExtensionNotFound:
        return None


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
