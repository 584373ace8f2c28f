"""A key store backed by a PKCS#11 token (an HSM, a smart card, SoftHSM2 in development).

The private key is generated inside the token as sensitive and non-extractable
(PKCS#11 v2.40 §4.9: CKA_SENSITIVE=true, CKA_EXTRACTABLE=false), so neither its value nor a
wrapped copy can leave the token; we only ask the token to sign digests.

We hash in software and use the raw mechanisms (CKM_RSA_PKCS over a DigestInfo, CKM_ECDSA over
the digest): SoftHSM 2.6 offers no hashing ECDSA mechanism, the same code then works on every
token, and only 32-64 bytes cross to the device.

Tokens allow one login per application (C_Login → CKR_USER_ALREADY_LOGGED_IN on a second one),
so all key stores on one token share one session, and a lock serialises use of it: PKCS#11
sessions must not be used by two threads at once (PKCS#11 v2.40 §5.1.1).
"""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pkcs11
from asn1crypto import algos
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.exceptions import PKCS11Error
from pkcs11.util.ec import (
    encode_ec_public_key,
    encode_ecdsa_signature,
    encode_named_curve_parameters,
)

from signing.errors import KeyStoreError
from signing.keys import KeyAlgorithm, PublicKey, key_algorithm_of
from signing.keystore import pyca_hash

__all__ = [
    "Pkcs11Ed25519Key",
    "Pkcs11KeyStore",
    "Pkcs11Token",
    "close_token_session",
    "find_softhsm_library",
    "generate_pkcs11_ed25519",
    "generate_pkcs11_key",
]

_SOFTHSM_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)


def find_softhsm_library() -> str | None:
    """Path of the SoftHSM2 PKCS#11 module, or None (SOFTHSM2_LIB overrides the search)."""
    override = os.environ.get("SOFTHSM2_LIB")
    if override:
        return override
    return next((path for path in _SOFTHSM_CANDIDATES if Path(path).exists()), None)


@dataclass(frozen=True)
class Pkcs11Token:
    """Which token to use: the module (.so) path, the token label and the user PIN."""

    library: str
    label: str
    pin: str


class _SharedSession:
    def __init__(self, session: pkcs11.Session) -> None:
        self.session = session
        self.lock = threading.Lock()


_sessions: dict[tuple[str, str], _SharedSession] = {}
_sessions_lock = threading.Lock()


def _shared_session(token: Pkcs11Token) -> _SharedSession:
    key = (token.library, token.label)
    with _sessions_lock:
        shared = _sessions.get(key)
        if shared is None:
            try:
                lib = pkcs11.lib(token.library)
                session = lib.get_token(token_label=token.label).open(rw=True, user_pin=token.pin)
            except PKCS11Error as exc:
                raise KeyStoreError(
                    f"cannot open PKCS#11 token {token.label!r}: {type(exc).__name__}"
                ) from exc
            shared = _SharedSession(session)
            _sessions[key] = shared
        return shared


def close_token_session(token: Pkcs11Token) -> None:
    """Log out and close the shared session on `token` (every key store on it stops working)."""
    with _sessions_lock:
        shared = _sessions.pop((token.library, token.label), None)
    if shared is not None:
        with shared.lock:
            shared.session.close()


def _public_key_of(public: pkcs11.PublicKey) -> PublicKey:
    if public.key_type == KeyType.RSA:
        return rsa.RSAPublicNumbers(
            e=int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"),
            n=int.from_bytes(public[Attribute.MODULUS], "big"),
        ).public_key()
    loaded = serialization.load_der_public_key(encode_ec_public_key(public))
    if not isinstance(loaded, ec.EllipticCurvePublicKey):
        raise KeyStoreError("the token returned a public key of an unexpected type")
    return loaded


class Pkcs11KeyStore:
    """A signing key inside a PKCS#11 token, found by its label. Thread-safe (see module doc)."""

    def __init__(self, token: Pkcs11Token, key_label: str) -> None:
        self.token = token
        self.key_label = key_label
        self._shared = _shared_session(token)
        with self._shared.lock:
            try:
                session = self._shared.session
                private = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=key_label)
                public = session.get_key(object_class=ObjectClass.PUBLIC_KEY, label=key_label)
                if not isinstance(private, pkcs11.SignMixin) or not isinstance(
                    public, pkcs11.PublicKey
                ):
                    raise KeyStoreError(f"{key_label!r} is not a key pair")
                self._private: pkcs11.SignMixin = private
                self._public_key = _public_key_of(public)
            except PKCS11Error as exc:
                raise KeyStoreError(
                    f"no usable key pair labelled {key_label!r} on token {token.label!r}: "
                    f"{type(exc).__name__}"
                ) from exc
        self._algorithm = key_algorithm_of(self._public_key)

    @property
    def algorithm(self) -> KeyAlgorithm:
        return self._algorithm

    @property
    def public_key(self) -> PublicKey:
        return self._public_key

    @property
    def private_key_object(self) -> pkcs11.SignMixin:
        """The token object itself (for inspection: its value cannot be read)."""
        return self._private

    def sign(self, data: bytes, hash_algorithm: str = "sha256") -> bytes:
        digest = hashes.Hash(pyca_hash(hash_algorithm))
        digest.update(data)
        return self.sign_digest(digest.finalize(), hash_algorithm)

    def sign_digest(self, digest: bytes, hash_algorithm: str = "sha256") -> bytes:
        if len(digest) != pyca_hash(hash_algorithm).digest_size:
            raise ValueError(f"a {hash_algorithm} digest has {len(digest)} bytes?")
        try:
            with self._shared.lock:
                if self._algorithm == "rsa-2048":
                    # RFC 8017 §9.2: EMSA-PKCS1-v1_5 signs the DER DigestInfo; CKM_RSA_PKCS adds
                    # only the padding.
                    digest_info = algos.DigestInfo(
                        {
                            "digest_algorithm": {"algorithm": hash_algorithm.lower()},
                            "digest": digest,
                        }
                    ).dump()
                    signature: bytes = self._private.sign(digest_info, mechanism=Mechanism.RSA_PKCS)
                    return signature
                raw: bytes = self._private.sign(digest, mechanism=Mechanism.ECDSA)
        except PKCS11Error as exc:
            raise KeyStoreError(f"the token refused to sign: {type(exc).__name__}") from exc
        # CKM_ECDSA returns r || s; X.509 and CMS carry DER ECDSA-Sig-Value (RFC 3279 §2.2.3).
        encoded: bytes = encode_ecdsa_signature(raw)
        return encoded

    def __repr__(self) -> str:
        return f"Pkcs11KeyStore({self.token.label!r}, {self.key_label!r}, {self._algorithm})"


def generate_pkcs11_key(
    token: Pkcs11Token, key_label: str, algorithm: KeyAlgorithm
) -> Pkcs11KeyStore:
    """Generate a key pair inside the token (sensitive, non-extractable) and return its store."""
    shared = _shared_session(token)
    key_id = secrets.token_bytes(16)  # CKA_ID pairs the public and private halves
    private_template: dict[Attribute, Any] = {
        Attribute.TOKEN: True,
        Attribute.PRIVATE: True,
        Attribute.SENSITIVE: True,
        Attribute.EXTRACTABLE: False,
        Attribute.SIGN: True,
    }
    public_template: dict[Attribute, Any] = {Attribute.TOKEN: True, Attribute.VERIFY: True}
    with shared.lock:
        session = shared.session
        try:
            if algorithm == "rsa-2048":
                session.generate_keypair(
                    KeyType.RSA,
                    2048,
                    id=key_id,
                    label=key_label,
                    store=True,
                    private_template=private_template,
                    public_template=public_template,
                )
            elif algorithm == "ecdsa-p256":
                parameters = session.create_domain_parameters(
                    KeyType.EC,
                    {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                    local=True,
                )
                parameters.generate_keypair(
                    id=key_id,
                    label=key_label,
                    store=True,
                    private_template=private_template,
                    public_template=public_template,
                )
            else:
                raise ValueError(f"unsupported key algorithm {algorithm!r}")
        except PKCS11Error as exc:
            raise KeyStoreError(
                f"the token could not generate the key: {type(exc).__name__}"
            ) from exc
    return Pkcs11KeyStore(token, key_label)


_ED25519_PARAMS = bytes.fromhex("06032b6570")  # DER OID 1.3.101.112 (RFC 8410)


class Pkcs11Ed25519Key:
    """An Ed25519 key inside the token (CKM_EDDSA), e.g. a transparency log's checkpoint key."""

    def __init__(self, token: Pkcs11Token, key_label: str) -> None:
        self._shared = _shared_session(token)
        with self._shared.lock:
            try:
                session = self._shared.session
                private = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=key_label)
                public = session.get_key(object_class=ObjectClass.PUBLIC_KEY, label=key_label)
                point = bytes(public[Attribute.EC_POINT])
            except PKCS11Error as exc:
                raise KeyStoreError(
                    f"no Ed25519 key labelled {key_label!r} on token {token.label!r}: "
                    f"{type(exc).__name__}"
                ) from exc
        if not isinstance(private, pkcs11.SignMixin):
            raise KeyStoreError(f"{key_label!r} cannot sign")
        self._private: pkcs11.SignMixin = private
        # CKA_EC_POINT is the DER OCTET STRING of the 32-byte point (or the bare point).
        self.public_key_raw = point[2:] if len(point) == 34 else point
        if len(self.public_key_raw) != 32:
            raise KeyStoreError(f"{key_label!r} is not an Ed25519 key")

    @property
    def private_key_object(self) -> pkcs11.SignMixin:
        return self._private

    def sign(self, data: bytes) -> bytes:
        with self._shared.lock:
            try:
                return bytes(self._private.sign(data, mechanism=Mechanism.EDDSA))
            except PKCS11Error as exc:
                raise KeyStoreError(f"the token refused to sign: {type(exc).__name__}") from exc


def generate_pkcs11_ed25519(token: Pkcs11Token, key_label: str) -> Pkcs11Ed25519Key:
    """Generate an Ed25519 key pair inside the token (sensitive, non-extractable)."""
    shared = _shared_session(token)
    with shared.lock:
        try:
            parameters = shared.session.create_domain_parameters(
                KeyType.EC_EDWARDS, {Attribute.EC_PARAMS: _ED25519_PARAMS}, local=True
            )
            parameters.generate_keypair(
                mechanism=Mechanism.EC_EDWARDS_KEY_PAIR_GEN,
                id=secrets.token_bytes(16),
                label=key_label,
                store=True,
                private_template={
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.SIGN: True,
                },
                public_template={Attribute.TOKEN: True, Attribute.VERIFY: True},
            )
        except PKCS11Error as exc:
            raise KeyStoreError(
                f"the token could not generate the key: {type(exc).__name__}"
            ) from exc
    return Pkcs11Ed25519Key(token, key_label)
