"""The speed-ups installed by the verifier behave exactly like the functions they replace."""

from __future__ import annotations

import io

from asn1crypto import x509 as asn1_x509
from hypothesis import given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic

from signing import _speedups

HEX = "0123456789abcdefABCDEF"
# Hex digits, PDF white-space, and the characters that make pyHanko take its slow path or fail.
hex_string_bodies = st.text(alphabet=HEX + " \n\r\t\f\x00" + "%>xG<", max_size=200).map(
    lambda text: text.encode("latin-1")
)


def _read(function: object, data: bytes) -> tuple[str, object, int]:
    stream = io.BytesIO(b"<" + data)
    try:
        value = function(stream)  # type: ignore[operator]
    except Exception as exc:
        return ("error", type(exc).__name__, stream.tell())
    return ("value", (type(value).__name__, value.original_bytes), stream.tell())


@settings(max_examples=300, deadline=None)
@given(hex_string_bodies, st.binary(max_size=20))
def test_hex_strings_read_the_same(body: bytes, after: bytes) -> None:
    data = body + after
    assert _read(_speedups.read_hex_string, data) == _read(_speedups._original_read_hex, data)


def test_a_signature_sized_hex_string() -> None:
    digits = b"3082" + b"AB" * 7000 + b"0" * 4000
    fast = _read(_speedups.read_hex_string, digits + b"> /ByteRange")
    assert fast == _read(_speedups._original_read_hex, digits + b"> /ByteRange")
    assert fast[2] == len(digits) + 2  # positioned just after the closing >


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_name_preparation_is_the_same(value: str) -> None:
    def prepared(function: object) -> tuple[str, object]:
        try:
            return ("value", function(None, value))  # type: ignore[operator]
        except Exception as exc:
            return ("error", type(exc).__name__)

    assert prepared(_speedups._memoised_string_prep) == prepared(_speedups._original_string_prep)


def test_install_is_idempotent_and_patches_both() -> None:
    _speedups.install()
    _speedups.install()
    assert generic.read_hex_string_from_stream is _speedups.read_hex_string
    assert asn1_x509.NameTypeAndValue._ldap_string_prep is _speedups._memoised_string_prep
