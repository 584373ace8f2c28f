"""X.509 certificate profiles of the licence PKI (RFC 5280), one builder per role.

    root CA ──┬── issuing CA ──┬── licence-signing certificate(s)   (RFC 9336 documentSigning)
              │                └── timestamping certificate         (RFC 3161 §2.3)
              └── root CRL (covers the issuing CA)   issuing CRL (covers the end entities)

    after a root rollover:  new root ── OldWithNew ── (old root)          cross-certificates
                            old root ── issuing CA (the new one, again)

Every certificate below the root names where its issuer's certificate and CRL are published
(AIA caIssuers, RFC 5280 §4.2.2.1; CRL distribution point, §4.2.1.13) so that anyone holding only
the root can build and check the chain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from signing.keys import PrivateKey, PublicKey

__all__ = [
    "DOCUMENT_SIGNING_EKU",
    "CaName",
    "PkiUrls",
    "cross_certificate",
    "issuing_ca_certificate",
    "licence_signing_certificate",
    "root_ca_certificate",
    "timestamping_certificate",
]

# RFC 9336 §3: id-kp-documentSigning, "for use in signing documents" — the purpose of a
# certificate that signs licences, as opposed to e-mail (emailProtection) or code.
DOCUMENT_SIGNING_EKU = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")

# X.520 upper bounds (ub-common-name, ub-organization-name): 64 characters.
_UB_NAME = 64

# Tolerate clocks of relying parties that run slightly behind ours.
_BACKDATE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class PkiUrls:
    """Where the hierarchy publishes certificates and CRLs, derived from one public base URL."""

    public_base_url: str

    def _url(self, path: str) -> str:
        return f"{self.public_base_url.rstrip('/')}/pki/{path}"

    @property
    def root_certificate(self) -> str:
        return self._url("root.pem")

    @property
    def issuing_certificate(self) -> str:
        return self._url("issuing.pem")

    @property
    def issuing_crl(self) -> str:
        """CRL of the issuing CA (covers signing and timestamping certificates)."""
        return self._url("crl")

    @property
    def root_crl(self) -> str:
        """CRL of the root CA (covers the issuing CA)."""
        return self._url("root-crl")

    # An issuing CA by serial number: the addresses its certificates name, which stay its own
    # after a rollover (`issuing.pem` and `crl` then belong to its successor).
    def ca_certificate(self, ca: x509.Certificate) -> str:
        return self._url(f"ca/{ca.serial_number:x}.pem")

    def ca_crl(self, ca: x509.Certificate) -> str:
        return self._url(f"ca/{ca.serial_number:x}.crl")

    @property
    def all_crls(self) -> str:
        """Every current CRL of the hierarchy (root, issuing CA, retired issuing CAs), PEM."""
        return self._url("crls.pem")


@dataclass(frozen=True)
class CaName:
    """Subject attributes shared by every certificate of the hierarchy."""

    organization: str
    country: str = "CN"

    def __post_init__(self) -> None:
        if not 1 <= len(self.organization) <= _UB_NAME:
            raise ValueError(f"an organization name has 1 to {_UB_NAME} characters (X.520)")

    def common_name(self, role: str) -> str:
        """`"{organization} {role}"`, or just the role where that would exceed X.520's 64."""
        full = f"{self.organization} {role}"
        return full if len(full) <= _UB_NAME else role

    def name(self, common_name: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, self.country),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organization),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]
        )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: PublicKey,
    now: dt.datetime,
    lifetime: dt.timedelta,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        # RFC 5280 §4.1.2.2: positive, unique, at most 20 octets; random makes it unguessable.
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + lifetime)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _issued_by(
    builder: x509.CertificateBuilder,
    issuer_cert: x509.Certificate,
    issuer_url: str,
    crl_url: str,
) -> x509.CertificateBuilder:
    issuer_ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski),
            critical=False,
        )
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(issuer_url),
                    )
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
    )


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _sign(builder: x509.CertificateBuilder, issuer_key: PrivateKey) -> x509.Certificate:
    return builder.sign(issuer_key, hashes.SHA256())


def root_ca_certificate(
    key: PrivateKey,
    names: CaName,
    *,
    now: dt.datetime,
    lifetime: dt.timedelta,
    generation: int = 1,
) -> x509.Certificate:
    """Self-signed trust anchor. pathLen 1: it certifies one level of CA (the issuing CA).

    A root rollover's successor is "Root CA G2", G3...: a name of its own, as for issuing CAs
    (its CRL speaks for what it issued, not for its predecessor's). Its pathLen is 2, for the
    one extra hop of the cross-certificate by which it vouches for its predecessor (OpenSSL
    holds a trust anchor to its pathLen)."""
    role = "Root CA" if generation == 1 else f"Root CA G{generation}"
    subject = names.name(names.common_name(role))
    builder = (
        _builder(subject, subject, key.public_key(), now, lifetime)
        .add_extension(
            x509.BasicConstraints(ca=True, path_length=1 if generation == 1 else 2),
            critical=True,
        )
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
    )
    return _sign(builder, key)


def issuing_ca_certificate(
    public_key: PublicKey,
    names: CaName,
    root_cert: x509.Certificate,
    root_key: PrivateKey,
    urls: PkiUrls,
    *,
    now: dt.datetime,
    lifetime: dt.timedelta,
    generation: int = 1,
) -> x509.Certificate:
    """Intermediate CA that issues the end-entity certificates and the CRL covering them.

    Each issuing CA a rollover brings (`generation` 2, 3, ...) has a name of its own ("Issuing CA
    G2"): a CRL's scope is its issuer's name (RFC 5280 §5, §6.3.3 b), and a retired CA keeps
    publishing the CRL of what it issued, so two CAs of one name would each seem to speak for
    the other's certificates (and restart its CRL numbers, §5.2.3)."""
    role = "Issuing CA" if generation == 1 else f"Issuing CA G{generation}"
    builder = (
        _builder(
            names.name(names.common_name(role)),
            root_cert.subject,
            public_key,
            now,
            lifetime,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
    )
    builder = _issued_by(builder, root_cert, urls.ca_certificate(root_cert), urls.ca_crl(root_cert))
    return _sign(builder, root_key)


def cross_certificate(
    subject_cert: x509.Certificate,
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    urls: PkiUrls,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.Certificate:
    """A CA's name, key and constraints certified by another root (root key update, RFC 4210
    §4.4), so that relying parties trusting either root can build a path.

    - OldWithNew: the old root by the new, over the old root's own validity. A relying party
      that trusts only the new root accepts what was signed under the old one.
    - The current issuing CA by the old root, until the old root ends: one that still trusts
      only the old root accepts new licences, which carry it. (A new root by the old one,
      RFC 4210's NewWithOld, would not do: the first root's pathLen 1 leaves no room for it.)
    """
    public_key = subject_cert.public_key()
    constraints = subject_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject_cert.subject)
        .issuer_name(issuer_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            subject_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value,
            critical=False,
        )
        .add_extension(constraints, critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
    )
    builder = _issued_by(
        builder, issuer_cert, urls.ca_certificate(issuer_cert), urls.ca_crl(issuer_cert)
    )
    return _sign(builder, issuer_key)


def licence_signing_certificate(
    public_key: PublicKey,
    common_name: str,
    names: CaName,
    issuing_cert: x509.Certificate,
    issuing_key: PrivateKey,
    urls: PkiUrls,
    *,
    now: dt.datetime,
    lifetime: dt.timedelta,
) -> x509.Certificate:
    """End-entity certificate of the authority's licence seal.

    keyUsage digitalSignature + nonRepudiation (contentCommitment), critical: the signature is
    a commitment of the authority, and ETSI EN 319 412-2 §4.3.2 asks for nonRepudiation on
    certificates for electronic signatures and seals.

    extendedKeyUsage: id-kp-documentSigning (RFC 9336), plus id-kp-emailProtection. NSS — the
    library behind poppler's `pdfsig`, Firefox and Thunderbird — checks PDF signers as e-mail
    signers (certificateUsageEmailSigner) and reports any certificate whose EKU lacks
    emailProtection as unusable, so without it the licence could not be verified with those
    standard tools. RFC 9336 leaves criticality to the CA; we keep the extension non-critical
    so relying parties that do not know documentSigning fall back to keyUsage. No serverAuth,
    clientAuth or anyExtendedKeyUsage: the key cannot pass for a TLS key.
    """
    builder = (
        _builder(names.name(common_name), issuing_cert.subject, public_key, now, lifetime)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([DOCUMENT_SIGNING_EKU, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        )
    )
    builder = _issued_by(
        builder, issuing_cert, urls.ca_certificate(issuing_cert), urls.ca_crl(issuing_cert)
    )
    return _sign(builder, issuing_key)


def timestamping_certificate(
    public_key: PublicKey,
    names: CaName,
    issuing_cert: x509.Certificate,
    issuing_key: PrivateKey,
    urls: PkiUrls,
    *,
    now: dt.datetime,
    lifetime: dt.timedelta,
) -> x509.Certificate:
    """Certificate of the built-in timestamp authority.

    RFC 3161 §2.3: the TSA certificate MUST contain exactly one extended key usage,
    id-kp-timeStamping, and that extension MUST be critical.
    """
    builder = (
        _builder(
            names.name(names.common_name("Timestamp Authority")),
            issuing_cert.subject,
            public_key,
            now,
            lifetime,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    )
    builder = _issued_by(
        builder, issuing_cert, urls.ca_certificate(issuing_cert), urls.ca_crl(issuing_cert)
    )
    return _sign(builder, issuing_key)
