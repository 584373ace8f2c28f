"""Minimal DER encoding (ITU-T X.690) for assembling fixed-shape structures from parts.

asn1crypto re-serialises every nested value of a structure it builds — for a timestamp token
that embeds two certificates, 15 ms of pure Python per token. Structures whose shape never
changes are therefore assembled here from pre-encoded parts; asn1crypto still encodes the
variable primitives, and every output is parsed back by asn1crypto/OpenSSL in the tests.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["OCTET_STRING", "SEQUENCE", "SET", "attribute", "context", "set_of", "tlv"]

OCTET_STRING = 0x04
SEQUENCE = 0x30
SET = 0x31


def context(number: int) -> int:
    """Tag byte of a constructed context-specific tag [number] (number < 31)."""
    return 0xA0 | number


def _length(size: int) -> bytes:
    # X.690 §8.1.3: short form below 128, else long form with the minimum number of octets.
    if size < 0x80:
        return bytes([size])
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def tlv(tag: int, content: bytes) -> bytes:
    """One DER value: tag, definite length, content."""
    return bytes([tag]) + _length(len(content)) + content


def set_of(encodings: Iterable[bytes], tag: int = SET) -> bytes:
    """A SET OF in DER order: X.690 §11.6 sorts the element encodings as octet strings, the
    shorter padded with trailing zero octets."""
    items: list[bytes] = list(encodings)
    width = max((len(item) for item in items), default=0)

    def padded(item: bytes) -> bytes:
        return item.ljust(width, b"\0")

    ordered: list[bytes] = sorted(items, key=padded)
    return tlv(tag, b"".join(ordered))


def attribute(oid: bytes, value: bytes) -> bytes:
    """A CMS Attribute (RFC 5652 §5.3) with one value: SEQUENCE { `oid`, SET { `value` } };
    both arguments already DER-encoded."""
    return tlv(SEQUENCE, oid + tlv(SET, value))
