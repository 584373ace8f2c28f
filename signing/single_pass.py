"""Single-pass PAdES signing: one incremental update appended by hand, no PDF library.

`LicenceSigner`'s general path hands the rendered licence to pyHanko, which parses the whole
file, builds an object graph, writes it back out and only then signs. Our documents have one
known shape (`signing.pdf_scan` checks it and refuses anything else), so the update can be
written directly:

    catalog'   the original catalog dictionary, byte for byte, plus /AcroForm and /DSS
    page'      the original page dictionary with the widget added to /Annots
    AcroForm   << /Fields [widget] /SigFlags 3 >>            (SigFlags: signatures exist,
                                                               append only; ISO 32000-1 §12.7.2)
    widget     the signature field merged with its widget annotation (§12.7.4.5, §12.5.6.19)
    seal       the appearance form XObject (`signing.seal.appearance_content`) and its font
    DSS        /Certs and /CRLs streams (EN 319 142-1 §5.4.2; no VRI, as on the pyHanko path)
    sig        /Type /Sig /SubFilter /ETSI.CAdES.detached, /M, /Reason, /Location,
               /ByteRange, /Contents placeholder (written last, at the end of the objects)
    xref, trailer (/Prev to the original table), startxref, %%EOF

The byte ranges are everything but the /Contents hexadecimal string; they are hashed once
(the original file, then the update around the placeholder), the CMS SignedData is built by
`KeyStoreSigner` with the signature timestamp, and its hex is written into the placeholder.
For B-LTA a second update of the same kind adds a document timestamp (/Type /DocTimeStamp,
/SubFilter /ETSI.RFC3161) whose field joins the AcroForm.

Every byte is a function of the document, the settings and the signing time: nothing random
is written outside /Contents (the second /ID element is derived, not drawn), so for a fixed
clock the same document gives the same file, up to the signature value and the timestamp
tokens inside /Contents (and those too with a deterministic key and TSA).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from signing.cms_signer import KeyStoreSigner, TokenSource
from signing.errors import SigningError
from signing.pdf_scan import PdfDict, Ref, ScannedPdf, UnrecognisedPdf
from signing.seal import SealStampStyle, appearance_content

__all__ = [
    "DocumentTimestamp",
    "SealAppearance",
    "SignatureRequest",
    "ValidationData",
    "sign_scanned",
]

_BYTE_RANGE_WIDTH: Final = 4 * 11 + 4  # "[0 a b c]" with three ten-digit numbers, padded
_PLACEHOLDER_BYTE_RANGE: Final = b"[0 0 0 0]".ljust(_BYTE_RANGE_WIDTH)
_WIDGET_FLAGS: Final = 132  # Print (4) + Locked (128): ISO 32000-1 §12.5.3


@dataclass(frozen=True, slots=True)
class ValidationData:
    """What goes into the DSS: DER certificates, CRLs and OCSP responses."""

    certificates: tuple[bytes, ...]
    crls: tuple[bytes, ...] = ()
    ocsps: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class SealAppearance:
    """The visible seal: which page, the rectangle (integers, as on the pyHanko path), and
    the style that draws it."""

    page: int
    box: tuple[int, int, int, int]
    style: SealStampStyle


@dataclass(frozen=True, slots=True)
class DocumentTimestamp:
    """B-LTA: the document timestamp's field name and its reserved /Contents hex digits."""

    field_name: str
    bytes_reserved: int


@dataclass(frozen=True, slots=True)
class SignatureRequest:
    field_name: str
    moment: dt.datetime
    bytes_reserved: int  # hex digits of /Contents, as pyHanko counts them
    seal: SealAppearance | None = None
    reason: str | None = None
    location: str | None = None
    contact_info: str | None = None
    validation: ValidationData | None = None  # None: no DSS (B-B, B-T)
    document_timestamp: DocumentTimestamp | None = None


def pdf_text(text: str) -> bytes:
    """A text string (ISO 32000-1 §7.9.2.2): PDFDocEncoding-safe ASCII as a literal string,
    anything else UTF-16BE with a byte order mark, written in hexadecimal."""
    if text.isascii() and text.isprintable():
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return b"(" + escaped.encode("ascii") + b")"
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def pdf_date(moment: dt.datetime) -> bytes:
    """A date string (ISO 32000-1 §7.9.4) in UTC."""
    utc = moment.astimezone(dt.UTC)
    return b"(D:" + utc.strftime("%Y%m%d%H%M%S").encode("ascii") + b"+00'00')"


class _Update:
    """One incremental update being written: objects numbered from the document's /Size,
    their offsets counted from the start of the file."""

    def __init__(self, base_length: int, next_number: int) -> None:
        self.base = base_length
        self.parts: list[bytes] = []
        self.length = 0
        self.offsets: dict[int, int] = {}
        self.next_number = next_number
        self.xref_offset = 0

    def reserve(self) -> int:
        number = self.next_number
        self.next_number += 1
        return number

    def write(self, data: bytes) -> None:
        self.parts.append(data)
        self.length += len(data)

    def put(self, number: int, body: bytes) -> None:
        self.offsets[number] = self.base + self.length
        self.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def finish(self, trailer: bytes) -> bytes:
        xref_offset = self.xref_offset = self.base + self.length
        lines = [b"xref\n"]
        numbers = sorted(self.offsets)
        run: list[int] = []
        for number in numbers:
            if run and number != run[-1] + 1:
                lines.append(self._subsection(run))
                run = []
            run.append(number)
        if run:
            lines.append(self._subsection(run))
        self.write(b"".join(lines))
        self.write(b"trailer\n" + trailer + b"\nstartxref\n%d\n%%%%EOF\n" % xref_offset)
        return b"".join(self.parts)

    def _subsection(self, run: Sequence[int]) -> bytes:
        entries = b"".join(b"%010d 00000 n \n" % self.offsets[n] for n in run)
        return b"%d %d\n" % (run[0], len(run)) + entries


def _with_entries(raw: bytes, extra: bytes) -> bytes:
    """A dictionary's bytes with `extra` entries added before its closing >>."""
    assert raw.endswith(b">>")
    return raw[:-2].rstrip() + b"\n" + extra + b"\n>>"


def _with_annotation(scanned_raw: bytes, page: PdfDict, widget: int) -> bytes:
    """The page dictionary `page` (its bytes `scanned_raw`) with `widget` added to /Annots."""
    annots = page.entries.get("Annots")
    if annots is None:
        return _with_entries(scanned_raw, b"/Annots [ %d 0 R ]" % widget)
    value, start, end = annots
    assert isinstance(value, list)
    refs = b" ".join(
        b"%d %d R" % (ref.number, ref.generation) for ref in value if isinstance(ref, Ref)
    )
    start -= page.start
    end -= page.start
    return scanned_raw[:start] + b"[ " + refs + b" %d 0 R ]" % widget + scanned_raw[end:]


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


def _refs(numbers: Sequence[int]) -> bytes:
    return b"[ " + b" ".join(b"%d 0 R" % n for n in numbers) + b" ]"


def _second_id(scanned: ScannedPdf, request: SignatureRequest, revision: int) -> bytes:
    seed = hashlib.sha256()
    seed.update(scanned.document_id or b"")
    seed.update(request.moment.astimezone(dt.UTC).isoformat().encode("ascii"))
    seed.update(request.field_name.encode("utf-8"))
    seed.update(b"%d %d" % (revision, len(scanned.data)))
    return seed.digest()[:16]


def _trailer(
    scanned: ScannedPdf, size: int, prev: int, request: SignatureRequest, revision: int
) -> bytes:
    first = scanned.document_id if scanned.document_id is not None else b""
    second = _second_id(scanned, request, revision)
    if not first:
        first = second
    info = b" /Info %d 0 R" % scanned.info if scanned.info is not None else b""
    return b"<< /Size %d /Root %d 0 R%s /ID [ <%s> <%s> ] /Prev %d >>" % (
        size,
        scanned.root,
        info,
        first.hex().encode("ascii"),
        second.hex().encode("ascii"),
        prev,
    )


def _signature_dictionary(kind: bytes, bytes_reserved: int) -> tuple[bytes, bytes]:
    """The signature dictionary's text before /ByteRange's value and after it up to the
    /Contents placeholder, whose hex digits follow."""
    head = kind + b" /ByteRange "
    tail = b" /Contents <"
    return head, tail + b"0" * bytes_reserved + b"> >>"


class _Placeholder:
    """Where /ByteRange and /Contents are, in file offsets, once the update is written."""

    def __init__(self, byte_range_at: int, contents_at: int, reserved: int) -> None:
        self.byte_range_at = byte_range_at  # offset of the '[' of the ByteRange array
        self.contents_at = contents_at  # offset of the '<' of /Contents
        self.reserved = reserved

    @property
    def contents_end(self) -> int:
        return self.contents_at + self.reserved + 2


def _put_signature(update: _Update, number: int, kind: bytes, reserved: int) -> _Placeholder:
    head, tail = _signature_dictionary(kind, reserved)
    start = update.base + update.length + len(b"%d 0 obj\n" % number)
    byte_range_at = start + len(head)
    contents_at = byte_range_at + _BYTE_RANGE_WIDTH + len(b" /Contents ")
    update.put(number, head + _PLACEHOLDER_BYTE_RANGE + tail)
    return _Placeholder(byte_range_at, contents_at, reserved)


def _finish_signature(
    base: bytes, update: bytearray, placeholder: _Placeholder, contents: bytes
) -> bytes:
    """The signed file: `contents` (the DER signature) written into the placeholder."""
    offset = len(base)
    digits = contents.hex().upper().encode("ascii")
    if len(digits) > placeholder.reserved:
        raise SigningError(
            f"the signature ({len(digits)} hex digits) does not fit the {placeholder.reserved} "
            "reserved: the size estimate is stale"
        )
    start = placeholder.contents_at + 1 - offset
    update[start : start + len(digits)] = digits
    return base + bytes(update)


def _byte_range(base_length: int, update: bytearray, placeholder: _Placeholder) -> bytes:
    total = base_length + len(update)
    value = b"[0 %d %d %d]" % (
        placeholder.contents_at,
        placeholder.contents_end,
        total - placeholder.contents_end,
    )
    if len(value) > _BYTE_RANGE_WIDTH:
        raise SigningError("the document is too large for the /ByteRange placeholder")
    local = placeholder.byte_range_at - base_length
    update[local : local + _BYTE_RANGE_WIDTH] = value.ljust(_BYTE_RANGE_WIDTH)
    return value


def _digest(base: bytes, update: bytearray, placeholder: _Placeholder) -> bytes:
    """SHA-256 of the byte ranges: the whole file but the /Contents string, hashed once."""
    local_start = placeholder.contents_at - len(base)
    local_end = placeholder.contents_end - len(base)
    digest = hashlib.sha256(base)
    view = memoryview(update)
    digest.update(view[:local_start])
    digest.update(view[local_end:])
    return digest.digest()


def _widget(
    field_name: str,
    page_number: int,
    rect: tuple[int, int, int, int],
    appearance: int,
    signature: int,
) -> bytes:
    return (
        b"<< /FT /Sig /T %s /Type /Annot /Subtype /Widget /F %d /Rect [ %d %d %d %d ]"
        b" /P %d 0 R /AP << /N %d 0 R >> /V %d 0 R >>"
        % (pdf_text(field_name), _WIDGET_FLAGS, *rect, page_number, appearance, signature)
    )


def _empty_appearance() -> bytes:
    return _stream(b"/Type /XObject /Subtype /Form /BBox [ 0 0 0 0 ]", b"")


async def sign_scanned(
    scanned: ScannedPdf,
    request: SignatureRequest,
    signer: KeyStoreSigner,
    timestamp: TokenSource | None,
) -> bytes:
    """`scanned`'s document signed: one incremental update (two with a document timestamp).

    `timestamp`: DER timestamp tokens for a digest from the TSA, for the signature timestamp
    (B-T and up) and the document timestamp. Raises `UnrecognisedPdf` if the seal's page
    does not exist.
    """
    pdf = scanned.data
    seal = request.seal
    page_index = seal.page if seal is not None else 0
    try:
        page_number = scanned.pages[page_index]
    except IndexError:
        raise UnrecognisedPdf(f"the document has no page {page_index}") from None
    page = scanned.page_dict(page_index)

    update = _Update(len(pdf), scanned.size)
    acroform = update.reserve()
    widget = update.reserve()
    appearance = update.reserve()
    dss = update.reserve() if request.validation is not None else None

    catalog_extra = b"/AcroForm %d 0 R" % acroform
    if dss is not None:
        catalog_extra += b" /DSS %d 0 R" % dss
    update.put(scanned.root, _with_entries(scanned.raw(scanned.catalog), catalog_extra))
    page_body = _with_annotation(scanned.raw(page), page, widget)
    update.put(page_number, page_body)
    update.put(acroform, b"<< /Fields [ %d 0 R ] /SigFlags 3 >>" % widget)

    # The objects are numbered in the order they are written; the signature dictionary comes
    # last so that little follows its /Contents.
    if seal is not None:
        x1, y1, x2, y2 = seal.box
        width, height = x2 - x1, y2 - y1
        font_first = update.reserve()
        for _ in range(4):
            update.reserve()
        rect = seal.box
    else:
        rect = (0, 0, 0, 0)
    certificate_numbers: list[int] = []
    crl_numbers: list[int] = []
    ocsp_numbers: list[int] = []
    validation = request.validation
    if validation is not None:
        certificate_numbers = [update.reserve() for _ in validation.certificates]
        crl_numbers = [update.reserve() for _ in validation.crls]
        ocsp_numbers = [update.reserve() for _ in validation.ocsps]
    signature = update.reserve()

    update.put(widget, _widget(request.field_name, page_number, rect, appearance, signature))
    if seal is not None:
        time_text = seal.style.format_time(request.moment)
        content = appearance_content(seal.style, float(width), float(height), time_text)
        update.put(
            appearance,
            _stream(
                b"/Type /XObject /Subtype /Form /BBox [ 0 0 %d %d ]"
                b" /Resources << /Font << /SealFont %d 0 R >> >>" % (width, height, font_first + 4),
                content,
            ),
        )
        for offset, body in enumerate(seal.style.font.pdf_objects(font_first)):
            update.put(font_first + offset, body)
    else:
        update.put(appearance, _empty_appearance())
    if validation is not None and dss is not None:
        for number, data in zip(certificate_numbers, validation.certificates, strict=True):
            update.put(number, _stream(b"", data))
        for number, data in zip(crl_numbers, validation.crls, strict=True):
            update.put(number, _stream(b"", data))
        for number, data in zip(ocsp_numbers, validation.ocsps, strict=True):
            update.put(number, _stream(b"", data))
        entries = [b"/Certs " + _refs(certificate_numbers)]
        if crl_numbers:
            entries.append(b"/CRLs " + _refs(crl_numbers))
        if ocsp_numbers:
            entries.append(b"/OCSPs " + _refs(ocsp_numbers))
        update.put(dss, b"<< " + b" ".join(entries) + b" >>")

    details = [b"/Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached"]
    details.append(b"/M " + pdf_date(request.moment))
    if request.reason is not None:
        details.append(b"/Reason " + pdf_text(request.reason))
    if request.location is not None:
        details.append(b"/Location " + pdf_text(request.location))
    if request.contact_info is not None:
        details.append(b"/ContactInfo " + pdf_text(request.contact_info))
    placeholder = _put_signature(
        update, signature, b"<< " + b" ".join(details), request.bytes_reserved
    )
    size = update.next_number
    written = bytearray(
        update.finish(_trailer(scanned, size, scanned.startxref, request, revision=1))
    )
    _byte_range(len(pdf), written, placeholder)
    document_digest = _digest(pdf, written, placeholder)
    cms = await signer.async_sign_der(document_digest, timestamp)
    signed = _finish_signature(pdf, written, placeholder, cms)

    stamp = request.document_timestamp
    if stamp is None:
        return signed
    if timestamp is None:
        raise SigningError("a document timestamp needs a timestamper")
    return await _add_document_timestamp(
        signed,
        scanned,
        request,
        timestamp,
        stamp,
        previous_xref=update.xref_offset,
        size=size,
        acroform=acroform,
        signature_widget=widget,
        page_number=page_number,
        page_body=page_body,
    )


async def _add_document_timestamp(
    signed: bytes,
    scanned: ScannedPdf,
    request: SignatureRequest,
    timestamp: TokenSource,
    stamp: DocumentTimestamp,
    *,
    previous_xref: int,
    size: int,
    acroform: int,
    signature_widget: int,
    page_number: int,
    page_body: bytes,
) -> bytes:
    """EN 319 142-1 §5.4: a document timestamp over the whole signed file, DSS included."""
    update = _Update(len(signed), size)
    widget = update.reserve()
    signature = update.reserve()
    update.put(
        acroform, b"<< /Fields [ %d 0 R %d 0 R ] /SigFlags 3 >>" % (signature_widget, widget)
    )
    # The page as the first update wrote it (its /Annots ends with the signature's widget,
    # see `_with_annotation`), with the timestamp's invisible widget added.
    marker = b"%d 0 R ]" % signature_widget
    at = page_body.rfind(marker)
    if at < 0:
        raise SigningError("internal: the signed page's /Annots was not found")
    page_body = (
        page_body[:at]
        + b"%d 0 R %d 0 R ]" % (signature_widget, widget)
        + page_body[at + len(marker) :]
    )
    update.put(page_number, page_body)
    # No appearance: pyHanko's diff analysis (and so our verifier's) counts a new field with
    # an appearance stream as form filling, not as an LTA update (EN 319 142-1 §5.4).
    update.put(
        widget,
        b"<< /FT /Sig /T %s /Type /Annot /Subtype /Widget /F %d /Rect [ 0 0 0 0 ]"
        b" /P %d 0 R /TU (Timestamp) /V %d 0 R >>"
        % (pdf_text(stamp.field_name), _WIDGET_FLAGS, page_number, signature),
    )
    placeholder = _put_signature(
        update,
        signature,
        b"<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161",
        stamp.bytes_reserved,
    )
    written = bytearray(
        update.finish(_trailer(scanned, update.next_number, previous_xref, request, revision=2))
    )
    _byte_range(len(signed), written, placeholder)
    digest = _digest(signed, written, placeholder)
    return _finish_signature(signed, written, placeholder, await timestamp(digest))
