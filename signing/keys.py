"""Private keys: generation, and encryption at rest as PKCS#8 (RFC 5958) with a passphrase.

`cryptography`'s `BestAvailableEncryption` writes PBES2 with only 2 048 PBKDF2 iterations, which
is cheap to brute-force for a human-chosen passphrase. We write the same standard structure
(PBES2, RFC 8018 §6.2: PBKDF2-HMAC-SHA256 + AES-256-CBC) with 600 000 iterations (the OWASP
2023 figure for PBKDF2-HMAC-SHA256); OpenSSL, `cryptography` and pyHanko read it unchanged.
Decrypting costs ~0.1 s, so key files are decrypted once per process and kept.
"""

from __future__ import annotations

import os
from typing import Literal, TypeAlias, get_args

from asn1crypto import algos, keys, pem
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers import Cipher
from cryptography.hazmat.primitives.ciphers.algorithms import AES
from cryptography.hazmat.primitives.ciphers.modes import CBC
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from signing.errors import WrongPassphrase

__all__ = [
    "KEY_ALGORITHMS",
    "PBKDF2_ITERATIONS",
    "KeyAlgorithm",
    "PrivateKey",
    "PublicKey",
    "encrypt_private_key",
    "generate_private_key",
    "key_algorithm_of",
    "load_encrypted_private_key",
]

KeyAlgorithm: TypeAlias = Literal["ecdsa-p256", "rsa-2048"]
KEY_ALGORITHMS: tuple[KeyAlgorithm, ...] = get_args(KeyAlgorithm)

PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey: TypeAlias = ec.EllipticCurvePublicKey | rsa.RSAPublicKey

PBKDF2_ITERATIONS = 600_000
_SALT_BYTES = 16
_AES_256_KEY_BYTES = 32


def generate_private_key(algorithm: KeyAlgorithm) -> PrivateKey:
    """Generate a fresh key pair of the given algorithm."""
    if algorithm == "ecdsa-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "rsa-2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"unsupported key algorithm {algorithm!r}; use one of {KEY_ALGORITHMS}")


def key_algorithm_of(key: PrivateKey | PublicKey) -> KeyAlgorithm:
    """Name the algorithm of a key, refusing the ones this library does not sign with."""
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP256R1):
            return "ecdsa-p256"
        raise ValueError(f"unsupported curve {key.curve.name}")
    if key.key_size == 2048:
        return "rsa-2048"
    raise ValueError(f"unsupported RSA key size {key.key_size}")


def encrypt_private_key(
    key: PrivateKey, passphrase: bytes, *, iterations: int = PBKDF2_ITERATIONS
) -> bytes:
    """Serialise `key` as a PEM `ENCRYPTED PRIVATE KEY` (PKCS#8 EncryptedPrivateKeyInfo)."""
    if not passphrase:
        raise ValueError("a non-empty passphrase is required to store a private key")
    plain = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt = os.urandom(_SALT_BYTES)
    iv = os.urandom(16)
    aes_key = PBKDF2HMAC(
        algorithm=hashes.SHA256(), length=_AES_256_KEY_BYTES, salt=salt, iterations=iterations
    ).derive(passphrase)
    padder = padding.PKCS7(128).padder()  # RFC 8018 §6.1.1 step 4 padding
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(AES(aes_key), CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    info = keys.EncryptedPrivateKeyInfo(
        {
            "encryption_algorithm": algos.EncryptionAlgorithm(
                {
                    "algorithm": "pbes2",
                    "parameters": algos.Pbes2Params(
                        {
                            "key_derivation_func": algos.KdfAlgorithm(
                                {
                                    "algorithm": "pbkdf2",
                                    "parameters": algos.Pbkdf2Params(
                                        {
                                            "salt": algos.Pbkdf2Salt(name="specified", value=salt),
                                            "iteration_count": iterations,
                                            "prf": algos.HmacAlgorithm({"algorithm": "sha256"}),
                                        }
                                    ),
                                }
                            ),
                            "encryption_scheme": algos.EncryptionAlgorithm(
                                {"algorithm": "aes256_cbc", "parameters": iv}
                            ),
                        }
                    ),
                }
            ),
            "encrypted_data": ciphertext,
        }
    )
    pem_bytes: bytes = pem.armor("ENCRYPTED PRIVATE KEY", info.dump())
    return pem_bytes


def load_encrypted_private_key(pem_bytes: bytes, passphrase: bytes) -> PrivateKey:
    """Decrypt a PEM private key; `WrongPassphrase` if the passphrase does not open it."""
    try:
        key = serialization.load_pem_private_key(pem_bytes, password=passphrase)
    except (ValueError, TypeError) as exc:
        # `cryptography` reports a wrong passphrase and a corrupt file alike (ValueError), and a
        # missing passphrase for an encrypted file as TypeError.
        raise WrongPassphrase("the private key could not be decrypted with this passphrase") from (
            exc
        )
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError(f"unsupported private key type {type(key).__name__}")
    return key
