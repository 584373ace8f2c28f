"""Two drop-in replacements that make signature validation ~3x faster, installed once per process.

Profiling `PdfSignatureVerifier` on a B-LT licence (bench/bench_verify.py --profile) showed
two hot spots that are pure overhead, not cryptography:

* pyHanko reads a hex string (`<...>`) one byte at a time through its tokenizer. A signature's
  `/Contents` is ~14,000 hex digits, so reading the signature dictionary took ~15 ms.
  `read_hex_string` finds the closing `>` with one `bytes.find` and decodes the digits with
  `binascii`; anything it does not fully understand (a `%` comment, a stray character, end of
  file) is handed back to pyHanko's original function, which then behaves (and fails) exactly
  as before.
* asn1crypto compares X.509 names after RFC 4518 string preparation (stringprep, NFKC,
  case folding), recomputed for every freshly parsed name; certificate path building compares
  names dozens of times per signature. The preparation is a pure function of the string, so it
  is memoised (bounded LRU) for strings of a genuine name's length only: the names come from
  certificates anyone can put in a document, and an entry keeps its string alive.

Both are semantically identical to the originals (tests/signing/test_speedups.py checks that
with generated inputs). They patch library functions process-wide, so everything in the
process benefits, including signing, which reads the unsigned licence through the same parser.
"""

from __future__ import annotations

import binascii
import functools
import re
import threading
from typing import Any, Final

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic

__all__ = ["install", "read_hex_string"]

_original_read_hex = generic.read_hex_string_from_stream
_original_string_prep = asn1_x509.NameTypeAndValue._ldap_string_prep

# ISO 32000-1 §7.3.4.3: white-space in a hexadecimal string is ignored. pyHanko's set.
_WHITESPACE = b" \n\r\t\f\x00"
_PLAIN_HEX = re.compile(rb"[0-9A-Fa-f \n\r\t\f\x00]*")
_CHUNK = 64 * 1024

_installed = False
_lock = threading.Lock()


def read_hex_string(stream: Any) -> Any:
    """`pyhanko.pdf_utils.generic.read_hex_string_from_stream`, without a Python loop per byte.

    `stream` is positioned on the opening `<`, like the original expects.
    """
    start = stream.tell()
    stream.read(1)
    body = b""
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        body += chunk
        end = body.find(b">")
        if end >= 0:
            digits = body[:end]
            if _PLAIN_HEX.fullmatch(digits) is None:
                break  # a comment or an invalid character: let pyHanko handle (or refuse) it
            stream.seek(start + 1 + end + 1)
            digits = digits.translate(None, _WHITESPACE)
            if len(digits) % 2:
                digits += b"0"  # ISO 32000-1 §7.3.4.3: a missing final digit is 0
            return generic.pdf_string(binascii.unhexlify(digits))
    stream.seek(start)
    return _original_read_hex(stream)


# RFC 5280 Appendix A upper bounds: 64 characters for a common or organisation name, 128 for
# a locality or an organisational unit. Longer values are prepared afresh every time, so the
# cache holds at most 1024 x 128 characters (≤ 0.5 MiB, prepared copies included: ~1 MiB).
_MEMOISED_LENGTH: Final = 128
_MEMOISED_ENTRIES: Final = 1024


@functools.lru_cache(maxsize=_MEMOISED_ENTRIES)
def _string_prep(value: str) -> str:
    prepared: str = _original_string_prep(None, value)
    return prepared


def _memoised_string_prep(self: Any, value: str) -> str:
    if len(value) > _MEMOISED_LENGTH:
        prepared: str = _original_string_prep(None, value)
        return prepared
    return _string_prep(value)


def install() -> None:
    """Install both replacements (idempotent, thread-safe)."""
    global _installed
    with _lock:
        if _installed:
            return
        generic.read_hex_string_from_stream = read_hex_string
        asn1_x509.NameTypeAndValue._ldap_string_prep = _memoised_string_prep
        _installed = True
