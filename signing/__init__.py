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
with a token need.
"""

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
