"""Certificate revocation lists (RFC 5280 §5) of the licence PKI."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from signing.keys import PrivateKey

__all__ = ["RevocationReason", "RevokedEntry", "build_crl"]


class RevocationReason(enum.StrEnum):
    """CRLReason (RFC 5280 §5.3.1), the subset that makes sense for our certificates."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key_compromise"
    CA_COMPROMISE = "ca_compromise"
    AFFILIATION_CHANGED = "affiliation_changed"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessation_of_operation"

    @property
    def flag(self) -> x509.ReasonFlags:
        return x509.ReasonFlags[self.value]


@dataclass(frozen=True)
class RevokedEntry:
    """One revoked certificate, as listed on its issuer's CRL."""

    serial_number: int
    revoked_at: dt.datetime
    reason: RevocationReason
    # RFC 5280 §5.3.2: since when the key is known or suspected compromised (key compromise).
    invalidity_date: dt.datetime | None = None


def build_crl(
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    entries: Iterable[RevokedEntry],
    *,
    number: int,
    this_update: dt.datetime,
    next_update: dt.datetime,
) -> x509.CertificateRevocationList:
    """A complete CRL (no delta, no partitioning) signed by `issuer_key`.

    The CRL number (RFC 5280 §5.2.3) and the authority key identifier (§5.2.1) are both MUST
    for conforming CAs; the reason code is omitted for `unspecified` as §5.3.1 recommends.
    """
    issuer_ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer_cert.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski),
            critical=False,
        )
    )
    for entry in entries:
        revoked = (
            x509.RevokedCertificateBuilder()
            .serial_number(entry.serial_number)
            .revocation_date(entry.revoked_at)
        )
        if entry.reason is not RevocationReason.UNSPECIFIED:
            revoked = revoked.add_extension(x509.CRLReason(entry.reason.flag), critical=False)
        if entry.invalidity_date is not None:
            revoked = revoked.add_extension(
                x509.InvalidityDate(entry.invalidity_date.replace(tzinfo=None)), critical=False
            )
        builder = builder.add_revoked_certificate(revoked.build())
    return builder.sign(issuer_key, hashes.SHA256())
