"""Archival finishing of the rendered page, and reading its data back.

reportlab writes no XMP, no output intent and no associated files, so the page goes through
pikepdf once: it adds what PDF/A-3b (ISO 19005-3) asks of a licence that carries its own data.

- XMP metadata matching the document information dictionary (ISO 19005-3 §6.6.2.3), with the
  pdfaid identification (§6.6.4);
- an sRGB output intent for the device colours used (§6.2.4.2);
- `licence.json` as an associated file: a file specification with /AFRelationship /Data, a
  MIME /Subtype and /Params /ModDate, listed in the catalog's /AF array and /EmbeddedFiles
  name tree (§6.8, ISO 32000-2 §14.13);
- a deterministic trailer /ID and dates taken from the content, so the same content always
  gives the same bytes (golden tests, and re-rendering an issued licence to compare).

- the structure tree of a tagged PDF (ISO 32000-1 §14.8): the layout lists the elements in
  reading order, the page marks each text run, the QR code and the seal area with an MCID.

No real PDF/A validator installs from the registries this project uses (checked for issue
18: veraPDF is Java and is on none of PyPI, npm or Debian; the PyPI packages that mention
it only drive a veraPDF installed separately), so the tests validate every specimen with
pikepdf's allowlist validator for PDF/A-3b (`pikepdf.pdfa`, built from the veraPDF rules),
which approves a file only if every construct in it is known to conform.
"""

from __future__ import annotations

import hashlib
import io
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream, String

from templates.content import ATTACHMENT_NAME
from templates.errors import LicenceDataError

__all__ = [
    "ATTACHMENT_MEDIA_TYPE",
    "ATTACHMENT_NAME",
    "MAX_ATTACHMENT_BYTES",
    "DocumentMetadata",
    "StructNode",
    "finish_pdf",
    "read_licence_data",
]

ATTACHMENT_MEDIA_TYPE: Final = "application/json"
# A verifier reads attachments from PDFs uploaded by anyone: a deflate bomb must not exhaust
# memory. The largest legal licence's JSON is under 10 KB.
MAX_ATTACHMENT_BYTES: Final = 256 * 1024

_ICC_PROFILE_FLATE: Final = zlib.compress(Path(__file__).with_name("sRGB.icc").read_bytes())
_OUTPUT_CONDITION: Final = "sRGB IEC61966-2.1"


@dataclass(frozen=True, slots=True)
class DocumentMetadata:
    title: str
    subject: str
    author: str
    keywords: str
    languages: tuple[str, ...]
    date: date  # the document's creation date: the licence's issue date, midnight in China


@dataclass(frozen=True, slots=True)
class StructNode:
    """One element of the page's structure tree (ISO 32000-1 §14.7), listed in reading order.

    `parent` is the index of the parent node in the same list (None only for the root);
    the content a node owns is given separately, as the node of each MCID.
    """

    tag: str
    parent: int | None
    lang: str | None = None
    alt: str | None = None


def _pdf_date(d: date) -> str:
    # China Standard Time has had no daylight saving since 1991: +08:00 all year.
    return f"D:{d:%Y%m%d}000000+08'00'"


def _xmp_date(d: date) -> str:
    return f"{d:%Y-%m-%d}T00:00:00+08:00"


_PRODUCER: Final = "bizreg templates (reportlab, pikepdf)"
_CREATOR: Final = "bizreg"


def _xmp(meta: DocumentMetadata) -> bytes:
    when = _xmp_date(meta.date)
    languages = "".join(f"<rdf:li>{escape(lang)}</rdf:li>" for lang in meta.languages)
    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about=""
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
 xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(meta.title)}</rdf:li></rdf:Alt></dc:title>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(meta.subject)}</rdf:li></rdf:Alt>
</dc:description>
<dc:creator><rdf:Seq><rdf:li>{escape(meta.author)}</rdf:li></rdf:Seq></dc:creator>
<dc:language><rdf:Bag>{languages}</rdf:Bag></dc:language>
<pdf:Keywords>{escape(meta.keywords)}</pdf:Keywords>
<pdf:Producer>{_PRODUCER}</pdf:Producer>
<xmp:CreatorTool>{_CREATOR}</xmp:CreatorTool>
<xmp:CreateDate>{when}</xmp:CreateDate>
<xmp:ModifyDate>{when}</xmp:ModifyDate>
<xmp:MetadataDate>{when}</xmp:MetadataDate>
<pdfaid:part>3</pdfaid:part>
<pdfaid:conformance>B</pdfaid:conformance>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return packet.encode("utf-8")


def _flate_stream(pdf: pikepdf.Pdf, data: bytes) -> pikepdf.Stream:
    stream = Stream(pdf, b"")
    stream.write(zlib.compress(data), filter=Name.FlateDecode)
    return stream


def _add_structure(pdf: pikepdf.Pdf, nodes: Sequence[StructNode], owners: Sequence[int]) -> None:
    """The structure tree: what a screen reader reads, in which order and language.

    `owners[mcid]` is the node whose content the page marked with that MCID. The page's
    first link annotation (the QR code's) joins the tree as a Link element around the QR
    figure, as PDF/UA (ISO 14289-1 §7.18.5) asks of links.
    """
    page = pdf.pages[0].obj
    tree_root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    marked: list[list[int]] = [[] for _ in nodes]
    for mcid, owner in enumerate(owners):
        marked[owner].append(mcid)
    elements: list[pikepdf.Object] = []
    children: list[list[pikepdf.Object]] = [[] for _ in nodes]
    # One constructor call per element, with every key it can have already known: the
    # pikepdf calls, not PDF writing, are what a tagged licence costs.
    for node, content in zip(nodes, marked, strict=True):
        keys: dict[str, Any] = {
            "/Type": Name.StructElem,
            "/S": Name("/" + node.tag),
            "/P": tree_root if node.parent is None else elements[node.parent],
        }
        if node.lang is not None:
            keys["/Lang"] = String(node.lang)
        if node.alt is not None:
            keys["/Alt"] = String(node.alt)
        if content:
            keys["/Pg"] = page
            keys["/K"] = content[0] if len(content) == 1 else Array(content)
        element = pdf.make_indirect(Dictionary(keys))
        elements.append(element)
        if node.parent is not None:
            children[node.parent].append(element)
    for container, element_kids in zip(elements, children, strict=True):
        if element_kids:
            container.K = element_kids[0] if len(element_kids) == 1 else Array(element_kids)
    parent_tree = [0, Array([elements[owner] for owner in owners])]
    link = next((a for a in page.get("/Annots", ()) if a.get("/Subtype") == Name.Link), None)
    if link is not None:
        figure = next(i for i, node in enumerate(nodes) if node.tag == "Figure")
        holder = elements[nodes[figure].parent or 0]
        link_element = pdf.make_indirect(
            Dictionary(
                Type=Name.StructElem,
                S=Name.Link,
                P=holder,
                Pg=page,
                Alt=String(nodes[figure].alt or ""),
            )
        )
        link_element.K = Array([elements[figure], Dictionary(Type=Name.OBJR, Obj=link, Pg=page)])
        elements[figure].P = link_element
        holder_kids = holder.K if isinstance(holder.K, Array) else Array([holder.K])
        holder.K = Array([link_element if k == elements[figure] else k for k in holder_kids])
        link.StructParent = 1
        link.Contents = String(nodes[figure].alt or "")
        parent_tree += [1, link_element]
    tree_root.K = elements[0]
    tree_root.ParentTree = Dictionary(Nums=Array(parent_tree))
    tree_root.ParentTreeNextKey = len(parent_tree) // 2
    page.StructParents = 0
    # Annotations in structure order for keyboard users (PDF/UA-1 §7.18.3).
    page.Tabs = Name.S
    pdf.Root.StructTreeRoot = tree_root
    pdf.Root.MarkInfo = Dictionary(Marked=True)


def finish_pdf(
    rendered: bytes,
    meta: DocumentMetadata,
    attachment: bytes,
    structure: Sequence[StructNode] = (),
    owners: Sequence[int] = (),
    *,
    attachment_name: str = ATTACHMENT_NAME,
    attachment_description: str = "Machine-readable licence data (bizreg-licence/1, JSON)",
) -> bytes:
    """Add metadata, output intent, the `licence.json` associated file and, when given, the
    structure tree (a tagged PDF) to `rendered`."""
    pdf = pikepdf.Pdf.open(io.BytesIO(rendered))
    root = pdf.Root
    if structure:
        _add_structure(pdf, structure, owners)
    pdf_date = _pdf_date(meta.date)

    pdf.trailer.Info = pdf.make_indirect(
        Dictionary(
            Title=String(meta.title),
            Subject=String(meta.subject),
            Author=String(meta.author),
            Keywords=String(meta.keywords),
            Creator=String(_CREATOR),
            Producer=String(_PRODUCER),
            CreationDate=String(pdf_date),
            ModDate=String(pdf_date),
        )
    )
    metadata = Stream(pdf, _xmp(meta))
    metadata.Type = Name.Metadata
    metadata.Subtype = Name.XML
    root.Metadata = pdf.make_indirect(metadata)

    profile = Stream(pdf, b"")
    profile.write(_ICC_PROFILE_FLATE, filter=Name.FlateDecode)
    profile.N = 3
    root.OutputIntents = Array(
        [
            Dictionary(
                Type=Name.OutputIntent,
                S=Name.GTS_PDFA1,
                OutputConditionIdentifier=String(_OUTPUT_CONDITION),
                Info=String(_OUTPUT_CONDITION),
                RegistryName=String("http://www.color.org"),
                DestOutputProfile=pdf.make_indirect(profile),
            )
        ]
    )

    embedded = _flate_stream(pdf, attachment)
    embedded.Type = Name.EmbeddedFile
    embedded.Subtype = Name("/" + ATTACHMENT_MEDIA_TYPE)
    embedded.Params = Dictionary(
        Size=len(attachment),
        CreationDate=String(pdf_date),
        ModDate=String(pdf_date),
        # ISO 32000-1 Table 46: the MD5 of the file, to detect damage (not tampering: the
        # signature covers that).
        CheckSum=String(hashlib.md5(attachment, usedforsecurity=False).digest()),
    )
    embedded_ref = pdf.make_indirect(embedded)
    filespec = pdf.make_indirect(
        Dictionary(
            Type=Name.Filespec,
            F=String(attachment_name),
            UF=String(attachment_name),
            Desc=String(attachment_description),
            AFRelationship=Name.Data,
            EF=Dictionary(F=embedded_ref, UF=embedded_ref),
        )
    )
    root.Names = Dictionary(
        EmbeddedFiles=Dictionary(Names=Array([String(attachment_name), filespec]))
    )
    # ISO 19005-3 §6.8: associated files are what separates PDF/A-3 from PDF/A-2; /AF itself
    # is PDF 2.0 syntax that PDF/A-3 adopts, on a PDF 1.7 base.
    root.AF = Array([filespec])
    for page in pdf.pages:
        # reportlab writes an empty page transition dictionary: presentation-mode data that
        # an archival validator cannot vouch for, and that nothing here uses.
        if "/Trans" in page.obj and not page.obj.Trans.keys():
            del page.obj["/Trans"]
    root.Lang = String(meta.languages[0])
    root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    out = io.BytesIO()
    # Streams arrive compressed (reportlab's) or are compressed above; letting qpdf handle
    # compression would make it re-check every stream and multiply the cost of this step.
    pdf.save(
        out,
        min_version="1.7",
        deterministic_id=True,
        fix_metadata_version=False,
        compress_streams=False,
        stream_decode_level=pikepdf.StreamDecodeLevel.none,
    )
    return out.getvalue()


def read_licence_data(pdf_bytes: bytes) -> dict[str, Any]:
    """The `licence.json` associated file of a licence PDF, parsed.

    Reads the newest revision, so it works on signed licences too. It does not check the
    signature: that is the verifier's job, and the signature covers this attachment.
    Raises `LicenceDataError` if the PDF is unreadable or has no valid attachment.
    """
    try:
        pdf = pikepdf.Pdf.open(io.BytesIO(pdf_bytes))
    except pikepdf.PdfError as exc:
        raise LicenceDataError(f"not a readable PDF: {exc}") from exc
    with pdf:
        stream = _find_attachment(pdf)
        raw = _decoded(stream)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LicenceDataError(f"{ATTACHMENT_NAME} is not UTF-8 JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise LicenceDataError(f"{ATTACHMENT_NAME} is not a JSON object")
    return data


def _find_attachment(pdf: pikepdf.Pdf) -> pikepdf.Stream:
    candidates = pdf.Root.get("/AF")
    if not isinstance(candidates, Array):
        raise LicenceDataError("the PDF has no associated files (/AF)")
    for filespec in candidates:
        if not isinstance(filespec, Dictionary):
            continue
        name = filespec.get("/UF", filespec.get("/F"))
        if str(name) != ATTACHMENT_NAME or filespec.get("/AFRelationship") != Name.Data:
            continue
        ef = filespec.get("/EF")
        stream = ef.get("/UF", ef.get("/F")) if isinstance(ef, Dictionary) else None
        if not isinstance(stream, Stream):
            raise LicenceDataError(f"{ATTACHMENT_NAME} has no embedded file stream")
        if stream.get("/Subtype") != Name("/" + ATTACHMENT_MEDIA_TYPE):
            raise LicenceDataError(f"{ATTACHMENT_NAME} is not declared {ATTACHMENT_MEDIA_TYPE}")
        return stream
    raise LicenceDataError(f"no associated file {ATTACHMENT_NAME} with /AFRelationship /Data")


def _decoded(stream: pikepdf.Stream) -> bytes:
    filters = stream.get("/Filter")
    raw = stream.read_raw_bytes()
    if filters is None:
        data = raw
    elif filters == Name.FlateDecode or (
        isinstance(filters, Array) and list(filters) == [Name.FlateDecode]
    ):
        if stream.get("/DecodeParms") is not None:
            raise LicenceDataError(f"{ATTACHMENT_NAME} uses unsupported decode parameters")
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(raw, MAX_ATTACHMENT_BYTES + 1)
        except zlib.error as exc:
            raise LicenceDataError(f"{ATTACHMENT_NAME} is corrupt: {exc}") from exc
    else:
        raise LicenceDataError(f"{ATTACHMENT_NAME} uses an unsupported filter {filters}")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise LicenceDataError(f"{ATTACHMENT_NAME} exceeds {MAX_ATTACHMENT_BYTES} bytes")
    return data
