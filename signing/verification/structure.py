"""The document's format (EN 319 102-1 §5.2.2): the file, its approval signature, /ByteRange.

Checks that need no cryptography and refuse what no genuine licence can be: an oversized,
encrypted or truncated file, too many revisions or signature fields, a signature that is not
PAdES (EN 319 142-1 §6.2.1), a /ByteRange that does not exclude exactly the /Contents hex string
(ISO 32000-1 §12.8.1), and a signature value not written the one way a signer writes it (the
container is outside its own signature, so any other spelling would be a different file that
still verifies)."""

from __future__ import annotations

import binascii
import io
import re
from typing import Final

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from signing.verification.limits import _DECODE_LIMITS, _MAX_REVISIONS, _MAX_SIGNATURE_FIELDS
from signing.verification.report import Finding, _format_failure, _Refused

__all__ = []

_PADES_SUBFILTER: Final = "/ETSI.CAdES.detached"
_HEX_STRING: Final = re.compile(rb"<[0-9A-Fa-f]*>")


def _open_document(pdf: bytes, max_bytes: int) -> PdfFileReader:
    """The PDF opened for reading, or refused before any costly parsing when it cannot be a
    licence (size, header, %%EOF) and right after the cross-reference tables are read."""
    if len(pdf) > max_bytes:
        raise _Refused(
            _format_failure("too_large", f"{len(pdf)} bytes; a licence is at most {max_bytes}")
        )
    if not pdf.startswith(b"%PDF-"):
        raise _Refused(_format_failure("not_a_pdf", "the file does not start with %PDF-"))
    if b"%%EOF" not in pdf[-4096:] or _ends_inside_an_update(pdf):
        raise _Refused(
            _format_failure("truncated", "the file does not end with %%EOF: it is truncated")
        )
    reader = PdfFileReader(io.BytesIO(pdf), strict=True, decode_limits=_DECODE_LIMITS)
    if reader.encrypted:
        raise _Refused(_format_failure("encrypted", "the PDF is encrypted; licences never are"))
    if reader.xrefs.total_revisions > _MAX_REVISIONS:
        raise _Refused(
            _format_failure(
                "too_many_revisions",
                f"{reader.xrefs.total_revisions} revisions; a licence has at most {_MAX_REVISIONS}",
            )
        )
    return reader


_OBJECT_HEADER: Final = re.compile(rb"(?:^|[\r\n])\d+ \d+ obj\b")


def _ends_inside_an_update(pdf: bytes) -> bool:
    """Whether the bytes after the last %%EOF are an incremental update cut short: an object
    opened and never closed, or a cross-reference section without its %%EOF. (Other bytes
    there are data after the end of the file, which the coverage check reports.)"""
    tail = pdf[pdf.rfind(b"%%EOF") + 5 :]
    if len(tail) < 8:
        return False
    opened = len(_OBJECT_HEADER.findall(tail))
    return opened > tail.count(b"endobj") or b"\nxref" in tail or b"trailer" in tail


def _approval_signature(reader: PdfFileReader) -> tuple[str, EmbeddedPdfSignature]:
    """The earliest approval (/Sig) signature, parsed. Later ones are modifications."""
    candidates: list[tuple[int, str, EmbeddedPdfSignature]] = []
    for count, (name, value, sig_field) in enumerate(
        enumerate_sig_fields(reader, filled_status=True)
    ):
        if count >= _MAX_SIGNATURE_FIELDS:
            raise _Refused(_format_failure("too_many_signatures", "too many signature fields"))
        sig_object = value.get_object()
        if not isinstance(sig_object, generic.DictionaryObject):
            raise _Refused(
                _format_failure("signature_unreadable", f"field {name} has no signature")
            )
        if sig_object.get("/Type", "/Sig") == "/DocTimeStamp":
            continue
        try:
            embedded = EmbeddedPdfSignature(reader, sig_field, name)
        except Exception as exc:
            raise _Refused(
                _format_failure(
                    "signature_unreadable",
                    f"the signature value (/Contents) of {name} is not a CMS signature: "
                    f"{type(exc).__name__}",
                )
            ) from exc
        candidates.append((embedded.signed_revision, name, embedded))
    if not candidates:
        raise _Refused(
            _format_failure("no_signature", "the document carries no approval signature")
        )
    _, name, embedded = min(candidates, key=lambda c: c[0])
    return name, embedded


def _signature_dictionary_findings(pdf: bytes, embedded: EmbeddedPdfSignature) -> list[Finding]:
    findings: list[Finding] = []
    subfilter = embedded.sig_object.get("/SubFilter")
    if subfilter != _PADES_SUBFILTER:
        findings.append(
            _format_failure(
                "not_pades",
                f"the signature's /SubFilter is {subfilter}, not {_PADES_SUBFILTER} "
                "(EN 319 142-1 §6.2.1)",
            )
        )
    findings += _byte_range_findings(pdf, embedded, "signature")
    return findings


def _byte_range_findings(pdf: bytes, embedded: EmbeddedPdfSignature, subject: str) -> list[Finding]:
    """ISO 32000-1 §12.8.1: the /ByteRange excludes exactly the /Contents hex string. And the
    signature value must be written the one way a signer writes it: the container is not
    covered by its own signature, so a hex digit changing case or a non-zero byte in the
    padding after the DER would otherwise make a different file that still verifies."""
    code = "byte_range_invalid" if subject == "signature" else f"{subject}_byte_range_invalid"
    _, length1, start2, _ = _byte_range(pdf, embedded, code)
    if not _canonical_contents(pdf[length1 + 1 : start2 - 1], bytes(embedded.pkcs7_content)):
        return [
            _format_failure(
                f"{subject}_not_canonical" if subject != "signature" else "signature_not_canonical",
                "the signature value is not encoded as a signer writes it (the DER container "
                "in upper-case hex followed only by zeros)",
            )
        ]
    return []


def _byte_range(pdf: bytes, embedded: EmbeddedPdfSignature, code: str) -> tuple[int, int, int, int]:
    """The /ByteRange, refused unless it covers the file from byte 0 except exactly one hex
    string."""
    try:
        start1, length1, start2, length2 = (int(v) for v in embedded.byte_range)
    except (TypeError, ValueError):
        raise _Refused(_format_failure(code, "/ByteRange is not four integers")) from None
    well_formed = (
        start1 == 0
        and 0 < length1 < start2
        and length2 >= 0
        and start2 + length2 <= len(pdf)
        and _HEX_STRING.fullmatch(pdf, length1, start2) is not None
    )
    if not well_formed:
        raise _Refused(
            _format_failure(
                code,
                f"/ByteRange {[start1, length1, start2, length2]} does not exclude exactly "
                "the signature value",
            )
        )
    return start1, length1, start2, length2


def _canonical_contents(digits: bytes, container: bytes) -> bool:
    """Whether the /Contents hex `digits` spell `container` (the bytes pyHanko decoded from
    them) the one way a signer writes it, and the DER in it is strict."""
    der_length = _der_length(container)
    return (
        der_length is not None
        and len(digits) % 2 == 0
        and _is_canonical_hex(digits, container[:der_length])
        and _strict_der(container[:der_length])
    )


def _is_canonical_hex(digits: bytes, der: bytes) -> bool:
    """Whether the /Contents digits are exactly what pyHanko writes (`PdfSignedData`: the DER
    hexlified in upper case, the rest of the reserved space "0"): one spelling per container,
    so no digit can change case and no padding digit can change without a verdict changing."""
    written = binascii.hexlify(der).upper()
    return digits.startswith(written) and not digits[len(written) :].strip(b"0")


def _strict_der(data: bytes, depth: int = 0) -> bool:
    """Whether `data` is a sequence of DER elements (X.690 §10.1: definite, minimal lengths)
    whose constructed elements are exactly filled by their children, all the way down. A
    lenient parser accepts a length that reaches into the zero padding after the container, or
    slack inside it; such bytes change the file without changing any verdict."""
    if depth > 40:
        return False
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data) or data[offset] & 0x1F == 0x1F or data[offset] == 0:
            return False  # truncated, a multi-byte tag (none in CMS), or BER end-of-contents
        constructed = bool(data[offset] & 0x20)
        first = data[offset + 1]
        header = 2
        if first < 0x80:
            length = first
        else:
            count = first & 0x7F
            if not 0 < count <= 4 or offset + 2 + count > len(data):
                return False  # indefinite (BER) or absurd length
            length_bytes = data[offset + 2 : offset + 2 + count]
            length = int.from_bytes(length_bytes, "big")
            if length < 0x80 or length_bytes[0] == 0:
                return False  # not the shortest form
            header += count
        end = offset + header + length
        if end > len(data):
            return False
        if constructed and not _strict_der(data[offset + header : end], depth + 1):
            return False
        offset = end
    return True


def _der_length(data: bytes) -> int | None:
    """Length of the DER TLV at the start of `data` (X.690 §8.1.3), or None if malformed."""
    if len(data) < 2 or data[0] != 0x30:
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if not 0 < count <= 4 or len(data) < 2 + count:
        return None
    length = 2 + count + int.from_bytes(data[2 : 2 + count], "big")
    return length if length <= len(data) else None
