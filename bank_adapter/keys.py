"""Client key types and the two signature algorithms of the terminal protocol.

Terminals hold either an Ed25519 key or an ECDSA P-256 key (DESIGN §6). The key, never the
message, decides the algorithm: RFC 9421 §3.2 step 6 and §7.3.6 warn that letting a
signature's own `alg` pick the verification algorithm invites downgrade attacks (the classic:
an HMAC "signature" keyed with the public key).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, TypeAlias

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

__all__ = [
    "PrivateKey",
    "PublicKey",
    "SignatureAlgorithm",
    "load_private_key",
    "load_public_key",
    "public_key_pem",
    "signature_algorithm_for",
    "write_private_key",
]

SignatureAlgorithm: TypeAlias = Literal["ed25519", "ecdsa-p256-sha256"]
"""RFC 9421 §6.2.2 algorithm names (HTTP Signature Algorithms registry)."""

PublicKey: TypeAlias = Ed25519PublicKey | ec.EllipticCurvePublicKey
PrivateKey: TypeAlias = Ed25519PrivateKey | ec.EllipticCurvePrivateKey

_P256_COORDINATE_BYTES = 32


def signature_algorithm_for(key: PublicKey | PrivateKey) -> SignatureAlgorithm:
    """The RFC 9421 algorithm a key can be used with; `ValueError` for any other key."""
    if isinstance(key, Ed25519PublicKey | Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) and isinstance(
        key.curve, ec.SECP256R1
    ):
        return "ecdsa-p256-sha256"
    raise ValueError(f"unsupported key type {type(key).__name__}: use Ed25519 or ECDSA P-256")


def load_public_key(pem: bytes | str) -> PublicKey:
    """Load a PEM SubjectPublicKeyInfo, accepting only Ed25519 and P-256 keys."""
    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey | ec.EllipticCurvePublicKey):
        raise ValueError(f"unsupported key type {type(key).__name__}: use Ed25519 or ECDSA P-256")
    signature_algorithm_for(key)
    return key


def load_private_key(pem: bytes | str, password: bytes | None = None) -> PrivateKey:
    """Load a PEM (PKCS#8 or SEC1) private key, accepting only Ed25519 and P-256 keys."""
    key = serialization.load_pem_private_key(
        pem.encode() if isinstance(pem, str) else pem, password=password
    )
    if not isinstance(key, Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError(f"unsupported key type {type(key).__name__}: use Ed25519 or ECDSA P-256")
    signature_algorithm_for(key)
    return key


def sign_raw(key: PrivateKey, data: bytes) -> bytes:
    """Sign `data` and return the signature bytes as RFC 9421 (and RFC 7518) encode them."""
    if isinstance(key, Ed25519PrivateKey):
        return key.sign(data)  # RFC 9421 §3.3.6: the 64-byte Ed25519 signature as is.
    if signature_algorithm_for(key) != "ecdsa-p256-sha256":  # pragma: no cover - guarded
        raise ValueError("unsupported key")
    # RFC 6979 deterministic ECDSA: no dependence on the RNG at signing time, and the
    # conformance vectors can carry exact P-256 signatures. Verifiers cannot tell the
    # difference; other implementations may randomise.
    # RFC 9421 §3.3.4: r and s as 32-byte big-endian integers, concatenated (not DER).
    ecdsa = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
    r, s = decode_dss_signature(key.sign(data, ecdsa))
    return r.to_bytes(_P256_COORDINATE_BYTES, "big") + s.to_bytes(_P256_COORDINATE_BYTES, "big")


def verify_raw(key: PublicKey, signature: bytes, data: bytes) -> bool:
    """Whether `signature` (RFC 9421 §3.3.4 / §3.3.6 encoding) is valid for `data` under `key`."""
    try:
        if isinstance(key, Ed25519PublicKey):
            key.verify(signature, data)
            return True
        if signature_algorithm_for(key) != "ecdsa-p256-sha256":  # pragma: no cover - guarded
            return False
        # A DER signature (about 70 bytes) is refused by length, so a client that forgot
        # the §3.3.4 conversion gets a clear failure instead of a lucky parse.
        if len(signature) != 2 * _P256_COORDINATE_BYTES:
            return False
        r = int.from_bytes(signature[:_P256_COORDINATE_BYTES], "big")
        s = int.from_bytes(signature[_P256_COORDINATE_BYTES:], "big")
        key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def public_key_pem(key: PublicKey | PrivateKey) -> str:
    """The public key as SubjectPublicKeyInfo PEM: what a bank registers with bizreg."""
    public = (
        key.public_key() if isinstance(key, Ed25519PrivateKey | ec.EllipticCurvePrivateKey) else key
    )
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def write_private_key(path: Path, key: PrivateKey, *, replace: bool = False) -> None:
    """Write `key` as unencrypted PKCS#8 PEM, created with mode 600 so that it is never
    readable by others, not even between creation and a later chmod. Without `replace` an
    existing file is an error (`FileExistsError`): a key is not overwritten by accident."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL)
    with os.fdopen(os.open(path, flags, 0o600), "wb") as handle:
        handle.write(pem)
