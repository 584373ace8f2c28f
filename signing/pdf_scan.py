"""A minimal, strict scan of the PDFs our templates write, for the single-pass signer.

`signing.single_pass` appends a signature to a licence without handing the file to a general
PDF parser. It needs only a few facts: where the cross-reference table says each object is,
the trailer's /Root, /Info, /ID and /Size, the catalog and the pages' dictionaries as written.
This module finds them in the two shapes our documents come in:

  * reportlab's own output (one classic cross-reference table, a trailer with a comment line),
  * the same page after `templates.archive.finish_pdf` (qpdf's writer through pikepdf).

Anything else is refused with `UnrecognisedPdf` rather than guessed at: cross-reference
streams, object streams, earlier incremental updates (/Prev), encryption, an existing
/AcroForm, /DSS or /Perms (a form or a signature already there), a nested page tree, indirect
/Annots, objects not where the table says. The caller then uses the general (pyHanko) path.

The object syntax read here is ISO 32000-1 §7.2-7.3: names, numbers, strings (literal and
hexadecimal), arrays, dictionaries, references, booleans, null and comments. Streams are never
read, only skipped over by their position in the cross-reference table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, TypeAlias

from signing.errors import SigningError

__all__ = ["PdfDict", "Ref", "ScannedPdf", "UnrecognisedPdf", "scan"]


class UnrecognisedPdf(SigningError):
    """The PDF is not one the single-pass signer knows how to extend; the message says why."""


@dataclass(frozen=True, slots=True)
class Ref:
    number: int
    generation: int


class Name(str):
    """A PDF name, without its slash (escapes #xx left as written)."""


@dataclass(frozen=True, slots=True)
class PdfDict:
    """A dictionary as written: its entries, each with the span of its value, and its own
    span [start, end) in the file, so that a rewrite can keep everything else byte for byte."""

    entries: dict[str, tuple[Value, int, int]]
    start: int
    end: int

    def get(self, key: str) -> Value | None:
        entry = self.entries.get(key)
        return None if entry is None else entry[0]


Value: TypeAlias = "PdfDict | list[Value] | Ref | Name | int | float | bytes | bool | None"

_WHITESPACE: Final = b"\x00\t\n\x0c\r "
_DELIMITERS: Final = b"()<>[]{}/%"
_TOKEN_END: Final = frozenset(_WHITESPACE + _DELIMITERS)
_NUMBER: Final = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)")
_REF_TAIL: Final = re.compile(
    rb"[\x00\t\n\x0c\r ]+(\d+)[\x00\t\n\x0c\r ]+R(?=[\x00\t\n\x0c\r ()<>\[\]{}/%]|$)"
)
_MAX_DEPTH: Final = 32


class _Parser:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def skip(self, pos: int) -> int:
        data = self.data
        while pos < len(data):
            byte = data[pos]
            if byte in _WHITESPACE:
                pos += 1
            elif byte == 0x25:  # % comment to end of line
                while pos < len(data) and data[pos] not in b"\r\n":
                    pos += 1
            else:
                break
        return pos

    def value(self, pos: int, depth: int = 0) -> tuple[Value, int]:
        """The object starting at `pos` (after white-space) and the position after it."""
        if depth > _MAX_DEPTH:
            raise UnrecognisedPdf("objects nested too deeply")
        data = self.data
        pos = self.skip(pos)
        if pos >= len(data):
            raise UnrecognisedPdf("unexpected end of file in an object")
        byte = data[pos]
        if data.startswith(b"<<", pos):
            return self.dictionary(pos, depth)
        if byte == 0x5B:  # [
            items: list[Value] = []
            pos += 1
            while True:
                pos = self.skip(pos)
                if pos >= len(data):
                    raise UnrecognisedPdf("unterminated array")
                if data[pos] == 0x5D:
                    return items, pos + 1
                item, pos = self.value(pos, depth + 1)
                items.append(item)
        if byte == 0x2F:  # /
            end = pos + 1
            while end < len(data) and data[end] not in _TOKEN_END:
                end += 1
            return Name(data[pos + 1 : end].decode("latin-1")), end
        if byte == 0x28:  # (
            return self.literal_string(pos)
        if byte == 0x3C:  # <
            end = data.find(b">", pos)
            if end < 0:
                raise UnrecognisedPdf("unterminated hexadecimal string")
            digits = bytes(b for b in data[pos + 1 : end] if b not in _WHITESPACE)
            try:
                return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii")), end + 1
            except ValueError as exc:
                raise UnrecognisedPdf("invalid hexadecimal string") from exc
        number = _NUMBER.match(data, pos)
        if number is not None:
            end = number.end()
            if end < len(data) and data[end] not in _TOKEN_END:
                raise UnrecognisedPdf(f"malformed number at offset {pos}")
            text = number.group()
            if b"." in text:
                return float(text), end
            reference = _REF_TAIL.match(data, end)
            if reference is not None:
                return Ref(int(text), int(reference.group(1))), reference.end()
            return int(text), end
        for keyword, keyword_value in ((b"true", True), (b"false", False), (b"null", None)):
            end = pos + len(keyword)
            if data.startswith(keyword, pos) and (end == len(data) or data[end] in _TOKEN_END):
                return keyword_value, end
        raise UnrecognisedPdf(f"unexpected token at offset {pos}: {data[pos : pos + 12]!r}")

    def dictionary(self, pos: int, depth: int) -> tuple[PdfDict, int]:
        data = self.data
        start = pos
        pos += 2
        entries: dict[str, tuple[Value, int, int]] = {}
        while True:
            pos = self.skip(pos)
            if data.startswith(b">>", pos):
                return PdfDict(entries, start, pos + 2), pos + 2
            key, pos = self.value(pos, depth + 1)
            if not isinstance(key, Name):
                raise UnrecognisedPdf(f"a dictionary key is not a name at offset {pos}")
            value_start = self.skip(pos)
            value, pos = self.value(value_start, depth + 1)
            if key in entries:
                raise UnrecognisedPdf(f"duplicate key /{key} at offset {value_start}")
            entries[key] = (value, value_start, pos)

    def literal_string(self, pos: int) -> tuple[bytes, int]:
        data = self.data
        level = 0
        index = pos
        while index < len(data):
            byte = data[index]
            if byte == 0x5C:  # backslash: the next byte is escaped
                index += 2
                continue
            if byte == 0x28:
                level += 1
            elif byte == 0x29:
                level -= 1
                if level == 0:
                    # The raw body is enough here: no string value is interpreted.
                    return data[pos + 1 : index], index + 1
            index += 1
        raise UnrecognisedPdf("unterminated literal string")


@dataclass(frozen=True, slots=True)
class ScannedPdf:
    """What the single-pass signer needs to know about a document."""

    data: bytes
    size: int  # the trailer's /Size: the next free object number
    startxref: int  # where the (only) cross-reference table starts: the update's /Prev
    root: int  # the catalog's object number
    info: int | None
    document_id: bytes | None  # the first element of /ID
    catalog: PdfDict
    pages: tuple[int, ...]  # page object numbers, in order
    offsets: tuple[int, ...]  # offsets[n]: where object n starts (0 for the free entry 0)
    version: bytes  # the header's version, e.g. b"1.7"

    def page_dict(self, index: int) -> PdfDict:
        number = self.pages[index]
        return _object_dict(self, number, "page")

    def raw(self, span: PdfDict) -> bytes:
        return self.data[span.start : span.end]


_XREF_ENTRY: Final = re.compile(rb"(\d{10}) (\d{5}) ([nf])(?: \r| \n|\r\n)")
_SUBSECTION: Final = re.compile(rb"(\d+) (\d+)[ ]?(?:\r\n|\r|\n)")
_HEADER: Final = re.compile(rb"%PDF-(1\.[0-7]|2\.0)[\r\n]")
_ALLOWED_TRAILER_KEYS: Final = frozenset({"Size", "Root", "Info", "ID"})
_REFUSED_CATALOG_KEYS: Final = ("AcroForm", "DSS", "Perms")


def scan(pdf: bytes) -> ScannedPdf:
    """Scan `pdf`, or raise `UnrecognisedPdf` saying what was not as expected."""
    header = _HEADER.match(pdf)
    if header is None:
        raise UnrecognisedPdf("no PDF header (%PDF-1.x) at the start of the file")
    tail = pdf[-1024:]
    marker = tail.rfind(b"startxref")
    if marker < 0:
        raise UnrecognisedPdf("no startxref in the last 1024 bytes")
    after = re.fullmatch(rb"startxref[\r\n]+(\d+)[\r\n]+%%EOF[\r\n]*", tail[marker:])
    if after is None:
        raise UnrecognisedPdf("the file does not end with startxref, an offset and %%EOF")
    startxref = int(after.group(1))
    if not re.match(rb"xref[ ]?(?:\r\n|\r|\n)", pdf[startxref : startxref + 6]):
        raise UnrecognisedPdf(
            "startxref does not point at a classic cross-reference table "
            "(cross-reference streams are not supported)"
        )
    pos = pdf.index(b"xref", startxref) + 4
    while pdf[pos] in b" \r\n":
        pos += 1
    subsection = _SUBSECTION.match(pdf, pos)
    if subsection is None or subsection.group(1) != b"0":
        raise UnrecognisedPdf("the cross-reference table does not start with a 0 N subsection")
    count = int(subsection.group(2))
    pos = subsection.end()
    offsets: list[int] = []
    for number in range(count):
        entry = _XREF_ENTRY.match(pdf, pos)
        if entry is None:
            raise UnrecognisedPdf(f"malformed cross-reference entry for object {number}")
        pos = entry.end()
        offset, generation, kind = int(entry.group(1)), int(entry.group(2)), entry.group(3)
        if number == 0:
            if kind != b"f":
                raise UnrecognisedPdf("object 0 is not the free-list head")
            offsets.append(0)
            continue
        if kind != b"n" or generation != 0:
            raise UnrecognisedPdf(f"object {number} is free or has a non-zero generation")
        if not pdf.startswith(b"%d 0 obj" % number, offset) or offset >= startxref:
            raise UnrecognisedPdf(f"object {number} is not at offset {offset}")
        offsets.append(offset)
    parser = _Parser(pdf)
    pos = parser.skip(pos)
    if not pdf.startswith(b"trailer", pos):
        raise UnrecognisedPdf("more than one cross-reference subsection, or no trailer")
    trailer, end = parser.value(pos + len(b"trailer"))
    if not isinstance(trailer, PdfDict):
        raise UnrecognisedPdf("the trailer is not a dictionary")
    if not pdf.startswith(b"startxref", parser.skip(end)):
        raise UnrecognisedPdf("unexpected data between the trailer and startxref")
    unexpected = set(trailer.entries) - _ALLOWED_TRAILER_KEYS
    if unexpected:
        # /Prev (an earlier revision), /Encrypt, /XRefStm (a hybrid file) and the like.
        raise UnrecognisedPdf(f"unexpected trailer entries: {sorted(unexpected)}")
    size = trailer.get("Size")
    if size != count:
        raise UnrecognisedPdf(f"/Size {size!r} differs from the table's {count} entries")
    root = trailer.get("Root")
    if not isinstance(root, Ref) or not 0 < root.number < count or root.generation:
        raise UnrecognisedPdf("the trailer's /Root is not a reference to an object in the table")
    info = trailer.get("Info")
    if info is not None and (not isinstance(info, Ref) or not 0 < info.number < count):
        raise UnrecognisedPdf("the trailer's /Info is not a reference to an object in the table")
    identifier = trailer.get("ID")
    document_id: bytes | None = None
    if identifier is not None:
        if not (
            isinstance(identifier, list)
            and len(identifier) == 2
            and all(isinstance(part, bytes) for part in identifier)
        ):
            raise UnrecognisedPdf("the trailer's /ID is not two strings")
        first = identifier[0]
        assert isinstance(first, bytes)
        document_id = first
    scanned = ScannedPdf(
        data=pdf,
        size=count,
        startxref=startxref,
        root=root.number,
        info=info.number if isinstance(info, Ref) else None,
        document_id=document_id,
        catalog=PdfDict({}, 0, 0),
        pages=(),
        offsets=tuple(offsets),
        version=header.group(1),
    )
    catalog = _object_dict(scanned, root.number, "catalog")
    if catalog.get("Type") != "Catalog":
        raise UnrecognisedPdf("/Root is not a /Type /Catalog dictionary")
    for key in _REFUSED_CATALOG_KEYS:
        if key in catalog.entries:
            raise UnrecognisedPdf(f"the catalog already has /{key} (a form or a signature)")
    pages_ref = catalog.get("Pages")
    if not isinstance(pages_ref, Ref) or not 0 < pages_ref.number < count:
        raise UnrecognisedPdf("the catalog's /Pages is not a reference")
    pages = _object_dict(scanned, pages_ref.number, "page tree")
    kids = pages.get("Kids")
    if (
        pages.get("Type") != "Pages"
        or not isinstance(kids, list)
        or not kids
        or pages.get("Count") != len(kids)
        or not all(isinstance(kid, Ref) and 0 < kid.number < count for kid in kids)
    ):
        raise UnrecognisedPdf("the page tree is not one /Pages node listing its pages")
    numbers = tuple(kid.number for kid in kids if isinstance(kid, Ref))
    scanned = ScannedPdf(
        data=pdf,
        size=count,
        startxref=startxref,
        root=root.number,
        info=scanned.info,
        document_id=document_id,
        catalog=catalog,
        pages=numbers,
        offsets=scanned.offsets,
        version=scanned.version,
    )
    for index in range(len(numbers)):
        page = scanned.page_dict(index)
        if page.get("Type") != "Page":
            raise UnrecognisedPdf(f"page {index} is not a /Type /Page (a nested page tree?)")
        annots = page.get("Annots")
        if annots is not None and not (
            isinstance(annots, list) and all(isinstance(a, Ref) for a in annots)
        ):
            raise UnrecognisedPdf(f"page {index}'s /Annots is not a direct array of references")
    return scanned


def _object_dict(scanned: ScannedPdf, number: int, what: str) -> PdfDict:
    offset = scanned.offsets[number]
    parser = _Parser(scanned.data)
    header = b"%d 0 obj" % number
    value, end = parser.value(offset + len(header))
    if not isinstance(value, PdfDict):
        raise UnrecognisedPdf(f"the {what} (object {number}) is not a dictionary")
    if not scanned.data.startswith(b"endobj", parser.skip(end)):
        raise UnrecognisedPdf(f"the {what} (object {number}) is not a plain dictionary object")
    return value
