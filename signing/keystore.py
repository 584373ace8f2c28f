"""Key stores: where the licence-signing key lives, behind one small protocol.

A key store signs; it never hands out its private key. `FileKeyStore` holds a key decrypted once
from an encrypted PKCS#8 file (pyHanko's `SimpleSigner` re-parses the key on every signature,
37 ms each for RSA); `Pkcs11KeyStore` (in `signing.pkcs11_keystore`) keeps the key inside a
token and only ever asks the token to sign.
"""

from __future__ import annotations

import os
from typing import Literal, Protocol, TypeAlias, runtime_checkable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from signing.keys import (
    KeyAlgorithm,
    PrivateKey,
    PublicKey,
    key_algorithm_of,
    load_encrypted_private_key,
)

__all__ = ["FileKeyStore", "HashAlgorithm", "KeyStore", "max_signature_size", "pyca_hash"]

HashAlgorithm: TypeAlias = Literal["sha256", "sha384", "sha512"]

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def pyca_hash(name: str) -> hashes.HashAlgorithm:
    """The `cryptography` hash object for a CMS digest algorithm name."""
    try:
        return _HASHES[name.lower()]()
    except KeyError:
        raise ValueError(f"unsupported digest algorithm {name!r}") from None


def max_signature_size(algorithm: KeyAlgorithm) -> int:
    """Largest encoded signature a key can produce, to reserve room before signing.

    RSA-2048: always 256 bytes. ECDSA P-256: DER ECDSA-Sig-Value (RFC 3279 §2.2.3), two
    INTEGERs of at most 33 bytes each plus headers: 72 bytes.
    """
    return 256 if algorithm == "rsa-2048" else 72


@runtime_checkable
class KeyStore(Protocol):
    """A private key that can sign, and the facts about it a signer needs.

    Signatures are encoded as X.509 and CMS carry them: PKCS#1 v1.5 (RFC 8017 §8.2) for RSA,
    a DER ECDSA-Sig-Value (RFC 3279 §2.2.3) for ECDSA.
    """

    @property
    def algorithm(self) -> KeyAlgorithm: ...

    @property
    def public_key(self) -> PublicKey: ...

    def sign(self, data: bytes, hash_algorithm: str = "sha256") -> bytes:
        """Hash `data` with `hash_algorithm` and sign the digest."""
        ...

    def sign_digest(self, digest: bytes, hash_algorithm: str = "sha256") -> bytes:
        """Sign a digest computed by the caller with `hash_algorithm`."""
        ...


class FileKeyStore:
    """A key held in memory: decrypted once (from an encrypted PKCS#8 file), used many times.

    Thread-safe: `cryptography` key objects may be used from several threads at once.
    """

    def __init__(self, private_key: PrivateKey) -> None:
        self._key = private_key
        self._algorithm = key_algorithm_of(private_key)
        self._public_key: PublicKey = private_key.public_key()

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], passphrase: str | bytes) -> FileKeyStore:
        secret = passphrase.encode() if isinstance(passphrase, str) else passphrase
        with open(path, "rb") as handle:
            return cls(load_encrypted_private_key(handle.read(), secret))

    @property
    def algorithm(self) -> KeyAlgorithm:
        return self._algorithm

    @property
    def public_key(self) -> PublicKey:
        return self._public_key

    def sign(self, data: bytes, hash_algorithm: str = "sha256") -> bytes:
        return self._sign(data, pyca_hash(hash_algorithm))

    def sign_digest(self, digest: bytes, hash_algorithm: str = "sha256") -> bytes:
        return self._sign(digest, utils.Prehashed(pyca_hash(hash_algorithm)))

    def _sign(self, payload: bytes, algorithm: hashes.HashAlgorithm | utils.Prehashed) -> bytes:
        if isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(payload, padding.PKCS1v15(), algorithm)
        return self._key.sign(payload, ec.ECDSA(algorithm))

    def __repr__(self) -> str:
        return f"FileKeyStore({self._algorithm})"
