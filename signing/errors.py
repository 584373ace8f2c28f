"""Errors raised by the signing library. They know nothing of HTTP or of registrations.

    SigningError
    ├── PkiError
    │   ├── PkiNotFound              no hierarchy in the directory
    │   ├── WrongPassphrase          an encrypted key file could not be decrypted
    │   ├── UnknownCertificate       no certificate of ours has that serial number
    │   └── CrlUnavailable           a CRL fell due, could not be re-issued, and has lapsed
    ├── KeyStoreError                a key store could not produce a signature
    └── SignerNotUsable              the signer's certificate does not validate (revoked, expired,
                                     wrong key usage, CRL out of date) — we refuse to sign

Timestamp *requests* never raise: the TSA answers them with an RFC 3161 failure status.
"""

from __future__ import annotations

__all__ = [
    "CrlUnavailable",
    "KeyStoreError",
    "PkiError",
    "PkiNotFound",
    "SignerNotUsable",
    "SigningError",
    "UnknownCertificate",
    "WrongPassphrase",
]


class SigningError(Exception):
    """Base class of every error raised by the signing library."""


class PkiError(SigningError):
    """The certificate hierarchy on disk cannot be used as asked."""


class CrlUnavailable(PkiError):
    """A CRL is past its nextUpdate and re-issuing it failed (e.g. a read-only directory):
    there is no current CRL to serve. A fault of ours, never a verdict on a document."""


class PkiNotFound(PkiError):
    """The directory holds no hierarchy (run `init_pki` first)."""


class WrongPassphrase(PkiError):
    """An encrypted private key could not be decrypted with the passphrase given."""


class UnknownCertificate(PkiError):
    """No certificate issued by this hierarchy has the serial number given."""


class KeyStoreError(SigningError):
    """A key store (file or PKCS#11 token) could not produce a signature."""


class SignerNotUsable(SigningError):
    """The signer's certificate does not validate now, so a signature would not either."""
