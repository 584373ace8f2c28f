"""signing: the licence PKI, key stores, an RFC 3161 TSA and PAdES signing. Knows nothing of
registrations.

    pki.py                 init_pki / load_pki → Pki: root, issuing CA, signer, TSA, CRLs
    pki_files.py           the PKI directory on disk: atomic writes, lock, manifest
    certificate_profiles.py  what each certificate says (key usages, EKUs, AIA, CRL DP)
    crl.py                 CRLs and revocation reasons
    keys.py                key generation; PKCS#8 encryption at rest
    keystore.py            KeyStore protocol; FileKeyStore (key decrypted once)
    pkcs11_keystore.py     Pkcs11KeyStore: keys inside a PKCS#11 token (SoftHSM2, HSMs)
    tsa.py                 TimestampAuthority (RFC 3161), InProcessTimeStamper, make_timestamper
    cms_signer.py          KeyStoreSigner: pyHanko Signer assembling PAdES CMS fast
    der.py                 minimal DER assembly for fixed-shape structures (CMS, TSTInfo)
    seal.py                SealFont, SealStampStyle: the visible seal
    pades.py               LicenceSigner: PAdES B-B … B-LTA
    errors.py              SigningError and its subclasses

`signing.pkcs11_keystore` is not imported here: it loads python-pkcs11, which only deployments
with a token need. Nor is anything else until it is used (PEP 562): a verifier that imports
`signing.verification` must not pay for the signer, the seal's font tools and the PKI.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from signing.certificate_profiles import DOCUMENT_SIGNING_EKU, PkiUrls
    from signing.crl import RevocationReason, RevokedEntry
    from signing.errors import (
        CrlUnavailable,
        KeyStoreError,
        PkiError,
        PkiNotFound,
        SignerNotUsable,
        SigningError,
        UnknownCertificate,
        WrongPassphrase,
    )
    from signing.keys import KEY_ALGORITHMS, KeyAlgorithm
    from signing.keystore import FileKeyStore, KeyStore
    from signing.pades import Level, LicenceSigner, SealBox, SealPlacement
    from signing.pki import CrlPolicy, Pki, Validity, init_pki, load_pki
    from signing.seal import SealFont, SealStampStyle
    from signing.tsa import (
        TIMESTAMP_QUERY_CONTENT_TYPE,
        TIMESTAMP_REPLY_CONTENT_TYPE,
        InProcessTimeStamper,
        TimestampAuthority,
        make_timestamper,
    )

# name → the module that defines it, imported on first access.
_LAZY = {
    "CrlPolicy": "signing.pki",
    "CrlUnavailable": "signing.errors",
    "DOCUMENT_SIGNING_EKU": "signing.certificate_profiles",
    "FileKeyStore": "signing.keystore",
    "InProcessTimeStamper": "signing.tsa",
    "KEY_ALGORITHMS": "signing.keys",
    "KeyAlgorithm": "signing.keys",
    "KeyStore": "signing.keystore",
    "KeyStoreError": "signing.errors",
    "Level": "signing.pades",
    "LicenceSigner": "signing.pades",
    "Pki": "signing.pki",
    "PkiError": "signing.errors",
    "PkiNotFound": "signing.errors",
    "PkiUrls": "signing.certificate_profiles",
    "RevocationReason": "signing.crl",
    "RevokedEntry": "signing.crl",
    "SealBox": "signing.pades",
    "SealFont": "signing.seal",
    "SealPlacement": "signing.pades",
    "SealStampStyle": "signing.seal",
    "SignerNotUsable": "signing.errors",
    "SigningError": "signing.errors",
    "TIMESTAMP_QUERY_CONTENT_TYPE": "signing.tsa",
    "TIMESTAMP_REPLY_CONTENT_TYPE": "signing.tsa",
    "TimestampAuthority": "signing.tsa",
    "UnknownCertificate": "signing.errors",
    "Validity": "signing.pki",
    "WrongPassphrase": "signing.errors",
    "init_pki": "signing.pki",
    "load_pki": "signing.pki",
    "make_timestamper": "signing.tsa",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'signing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DOCUMENT_SIGNING_EKU",
    "KEY_ALGORITHMS",
    "TIMESTAMP_QUERY_CONTENT_TYPE",
    "TIMESTAMP_REPLY_CONTENT_TYPE",
    "CrlPolicy",
    "CrlUnavailable",
    "FileKeyStore",
    "InProcessTimeStamper",
    "KeyAlgorithm",
    "KeyStore",
    "KeyStoreError",
    "Level",
    "LicenceSigner",
    "Pki",
    "PkiError",
    "PkiNotFound",
    "PkiUrls",
    "RevocationReason",
    "RevokedEntry",
    "SealBox",
    "SealFont",
    "SealPlacement",
    "SealStampStyle",
    "SignerNotUsable",
    "SigningError",
    "TimestampAuthority",
    "UnknownCertificate",
    "Validity",
    "WrongPassphrase",
    "init_pki",
    "load_pki",
    "make_timestamper",
]
