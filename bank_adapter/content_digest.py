"""RFC 9530 `Content-Digest`: a digest of the exact body bytes, carried in a header field.

The field is a Structured Field Dictionary (RFC 9530 §2, RFC 9651 §3.2) whose keys name the
hashing algorithm and whose values are byte sequences, e.g. ``sha-256=:X48E9q...=:``. The
digest covers the *content* as sent on the wire (RFC 9110 §6.4), so it must be computed over
the raw body bytes, before any JSON parsing or decompression.

We produce and accept only the two algorithms RFC 9530 §5 registers as "Active" and that
every bank can compute: sha-256 and sha-512. Members with any other key (the deprecated
md5, sha, crc32c ...) are ignored, as §2 lets a recipient ignore digests; a field that
carries nothing we can check is refused rather than silently passed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Final, Literal

import http_sf
from http_sf.types import DictionaryType

from bank_adapter.errors import (
    ContentDigestMalformed,
    ContentDigestMissing,
    DigestMismatch,
    UnsupportedDigestAlgorithm,
)

__all__ = [
    "SUPPORTED_DIGEST_ALGORITHMS",
    "DigestAlgorithm",
    "create_content_digest",
    "verify_content_digest",
]

DigestAlgorithm = Literal["sha-256", "sha-512"]

# RFC 9530 §5 algorithm key -> hashlib name, digest size in bytes.
_HASHES: Final[dict[str, tuple[str, int]]] = {"sha-256": ("sha256", 32), "sha-512": ("sha512", 64)}

SUPPORTED_DIGEST_ALGORITHMS: Final[tuple[DigestAlgorithm, ...]] = ("sha-256", "sha-512")


def create_content_digest(body: bytes, algorithms: Iterable[DigestAlgorithm] = ("sha-256",)) -> str:
    """Return the `Content-Digest` field value for `body` (RFC 9530 §2).

    >>> create_content_digest(b'{"hello": "world"}')
    'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'
    """
    members: DictionaryType = {}
    for algorithm in algorithms:
        if algorithm not in _HASHES:
            raise ValueError(f"unsupported digest algorithm {algorithm!r}")
        members[algorithm] = _digest(algorithm, body)
    if not members:
        raise ValueError("at least one digest algorithm is required")
    return http_sf.ser(members)


def verify_content_digest(field_value: str | None, body: bytes) -> tuple[DigestAlgorithm, ...]:
    """Check `body` against a `Content-Digest` field value; return the algorithms checked.

    Every sha-256 / sha-512 member must match: a sender that lists two digests vouches for
    both, and checking only the one we like would let a wrong one through (RFC 9530 §6.7).

    Raises `ContentDigestMissing` (no field), `ContentDigestMalformed` (not a Dictionary of
    byte sequences of the right length), `UnsupportedDigestAlgorithm` (no sha-256/sha-512
    member) or `DigestMismatch` (the body differs from what was digested).
    """
    if field_value is None or not field_value.strip():
        raise ContentDigestMissing()
    try:
        parsed = http_sf.parse(field_value.encode("ascii"), tltype="dictionary")
    except (UnicodeEncodeError, ValueError) as exc:
        raise ContentDigestMalformed(f"Content-Digest is not a Structured Field: {exc}") from exc
    if not isinstance(parsed, dict):  # pragma: no cover - tltype="dictionary" guarantees it
        raise ContentDigestMalformed()

    checked: list[DigestAlgorithm] = []
    for algorithm in SUPPORTED_DIGEST_ALGORITHMS:
        member = parsed.get(algorithm)
        if member is None:
            continue
        value = member[0] if isinstance(member, tuple) else member
        if not isinstance(value, bytes):
            raise ContentDigestMalformed(f"Content-Digest {algorithm} is not a byte sequence")
        if len(value) != _HASHES[algorithm][1]:
            raise ContentDigestMalformed(f"Content-Digest {algorithm} has the wrong length")
        # Constant time is not needed for a public digest, but costs nothing.
        if not hmac.compare_digest(value, _digest(algorithm, body)):
            raise DigestMismatch(f"the body does not match its Content-Digest ({algorithm})")
        checked.append(algorithm)
    if not checked:
        raise UnsupportedDigestAlgorithm(
            "Content-Digest has no sha-256 or sha-512 member (got: "
            + ", ".join(sorted(parsed))
            + ")"
        )
    return tuple(checked)


def _digest(algorithm: str, body: bytes) -> bytes:
    return hashlib.new(_HASHES[algorithm][0], body).digest()
