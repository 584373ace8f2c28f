"""What the signature covers, and what may follow the signed revision (EN 319 142-1 §5.4).

After signing, a PAdES document may only gain validation data (DSS) and document timestamps.
pyHanko's own bottom line is more lenient (any /Info or XMP change, form filling, bytes after
%%EOF), so this module holds a stricter difference policy (`STRICT_DIFF_POLICY`, public) and
the checks pyHanko does not make: each update must add validation data or a timestamp, and
nothing may follow the last revision's %%EOF. Also the integrity findings (HASH_FAILURE,
SIG_CRYPTO_FAILURE) that pyHanko's status reports, and the `Coverage` summary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from lxml import etree
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.decode_limits import (
    DecodePurpose,
)
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader
from pyhanko.sign.diff_analysis import (
    CatalogModificationRule,
    DiffResult,
    DocInfoRule,
    DSSCompareRule,
    FormUpdatingRule,
    MetadataUpdateRule,
    ModificationLevel,
    ObjectStreamRule,
    SigFieldCreationRule,
    SigFieldModificationRule,
    StandardDiffPolicy,
    SuspiciousModification,
    XrefStreamRule,
)
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import (
    PdfSignatureStatus,
    SignatureCoverageLevel,
)

from signing.verification.dss import _dss_entries
from signing.verification.report import (
    _FAILED,
    Coverage,
    Finding,
    SubIndication,
    _finding,
    _format_failure,
)

__all__ = ["STRICT_DIFF_POLICY"]

_EOL: Final = (b"", b"\n", b"\r\n", b"\r")


# What a timestamping tool may rewrite when it appends a DSS or a document timestamp: pyHanko
# rewrites /Info and the XMP packet in every incremental update, changing these only.
_VOLATILE_INFO_KEYS: Final = frozenset({"/ModDate", "/Producer"})
_VOLATILE_XMP_PROPERTIES: Final = frozenset(
    {
        "{http://ns.adobe.com/xap/1.0/}ModifyDate",
        "{http://ns.adobe.com/xap/1.0/}MetadataDate",
        "{http://ns.adobe.com/pdf/1.3/}Producer",
    }
)
_RDF: Final = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"


class _DatesOnlyInfoRule(DocInfoRule):
    """/Info may be rewritten, but only its modification date and producer may change: the
    title is what a viewer shows (our licences set /DisplayDocTitle), and the rest describes
    the licence."""

    def apply(self, old: HistoricalResolver, new: HistoricalResolver) -> Iterator[Any]:
        if _stable_info(old) != _stable_info(new):
            raise SuspiciousModification("/Info changed after signing")
        yield from super().apply(old, new)


class _DatesOnlyMetadataRule(MetadataUpdateRule):
    """The XMP packet may be re-serialised, but it must say the same (dates and producer
    aside). pyHanko's own rule only checks that it is well-formed XML."""

    def apply(self, old: HistoricalResolver, new: HistoricalResolver) -> Iterator[Any]:
        if _xmp_properties(old) != _xmp_properties(new):
            raise SuspiciousModification("XMP metadata changed after signing")
        yield from super().apply(old, new)


def _stable_info(resolver: HistoricalResolver) -> dict[str, Any]:
    # Resolve through the historical resolver: the trailer's reference would otherwise resolve
    # in the newest revision.
    info_ref = resolver.trailer_view.get_value_as_reference("/Info", optional=True)
    if info_ref is None:
        return {}
    info = resolver(info_ref)
    if not isinstance(info, generic.DictionaryObject):
        raise SuspiciousModification("/Info is not a dictionary")
    return {str(k): v for k, v in info.items() if k not in _VOLATILE_INFO_KEYS}


def _xmp_properties(resolver: HistoricalResolver) -> frozenset[tuple[str, str]]:
    metadata_ref = resolver.root.get_value_as_reference("/Metadata", optional=True)
    if metadata_ref is None:
        return frozenset()
    stream = resolver(metadata_ref)
    if not isinstance(stream, generic.StreamObject):
        raise SuspiciousModification("/Metadata is not a stream")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(stream.read_data(DecodePurpose.XMP_METADATA), parser=parser)
    except etree.XMLSyntaxError as exc:
        raise SuspiciousModification("XMP metadata is not well-formed XML") from exc
    properties: set[tuple[str, str]] = set()
    for description in root.iter(f"{_RDF}Description"):
        for name, value in description.attrib.items():
            properties.add((str(name), str(value).strip()))
        for child in description:
            if len(child) == 0 and not child.attrib:
                # RDF/XML §2.5: a literal property written as an element is the same statement
                # as the property attribute pyHanko's re-serialisation turns it into.
                properties.add((str(child.tag), (child.text or "").strip()))
            else:
                properties.add((str(child.tag), _canonical_xml(child)))
    return frozenset(
        p for p in properties if p[0] not in _VOLATILE_XMP_PROPERTIES and p[0] != f"{_RDF}about"
    )


def _canonical_xml(element: Any) -> str:
    """An element's content independent of where its namespaces were declared."""
    children = "".join(_canonical_xml(child) for child in element)
    attributes = sorted((str(k), str(v)) for k, v in element.attrib.items())
    text = (element.text or "").strip()
    return f"<{element.tag} {attributes}>{text}{children}</>"


# EN 319 142-1 §5.4: after signing, a PAdES document may only gain validation data (DSS) and
# document timestamps. pyHanko's default policy also accepts any /Info or XMP change and form
# filling; here the metadata may only change its dates (see above) and forms not at all.
STRICT_DIFF_POLICY: Final = StandardDiffPolicy(
    global_rules=[
        CatalogModificationRule(  # type: ignore[no-untyped-call]
            ignored_keys=frozenset({"/AcroForm", "/DSS", "/Extensions", "/Metadata"})
        ),
        _DatesOnlyInfoRule().as_qualified(ModificationLevel.LTA_UPDATES),
        XrefStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        ObjectStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        DSSCompareRule().as_qualified(ModificationLevel.LTA_UPDATES),
        _DatesOnlyMetadataRule().as_qualified(  # type: ignore[no-untyped-call]
            ModificationLevel.LTA_UPDATES
        ),
    ],
    form_rule=FormUpdatingRule(
        field_rules=[
            SigFieldCreationRule(),  # type: ignore[no-untyped-call]
            SigFieldModificationRule(),
        ]
    ),
)


def _integrity_findings(status: PdfSignatureStatus) -> list[Finding]:
    findings: list[Finding] = []
    if not status.intact:
        findings.append(
            _finding(
                "digest_mismatch",
                _FAILED,
                SubIndication.HASH_FAILURE,
                "the signed bytes have changed: their digest differs from the signed one",
            )
        )
    elif not status.valid:
        findings.append(
            _finding(
                "signature_invalid",
                _FAILED,
                SubIndication.SIG_CRYPTO_FAILURE,
                "the signature value does not verify with the signing certificate's key",
            )
        )
    coverage = status.coverage
    if coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        findings.append(
            _format_failure(
                "byte_range_invalid",
                "the signature does not cover a whole revision of the document",
            )
        )
    elif coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        level = _modification_level(status)
        if level is None or level > ModificationLevel.LTA_UPDATES:
            findings.append(
                _format_failure(
                    "modified_after_signing",
                    "the document was changed after signing by an incremental update that "
                    f"adds more than validation data ({_level_name(level)})",
                )
            )
    return findings


def _modification_level(status: Any) -> ModificationLevel | None:
    diff = status.diff_result
    if isinstance(diff, DiffResult):
        return diff.modification_level
    return None if diff is not None else ModificationLevel.NONE


def _level_name(level: ModificationLevel | None) -> str:
    return {
        None: "other",
        ModificationLevel.NONE: "none",
        ModificationLevel.LTA_UPDATES: "validation_data",
        ModificationLevel.FORM_FILLING: "form_filling",
        ModificationLevel.ANNOTATIONS: "annotations",
        ModificationLevel.OTHER: "other",
    }[level]


def _updates_without_validation_data(
    reader: PdfFileReader, signature: EmbeddedPdfSignature
) -> list[Finding]:
    """EN 319 142-1 §5.4: each revision after the signed one must bring validation data (new
    DSS entries) or a document timestamp. The difference analysis only rules out harmful
    changes; an update that changes nothing at all still appends bytes after signing."""
    total = reader.xrefs.total_revisions
    if signature.signed_revision >= total - 1:
        return []
    timestamped = {ts.signed_revision for ts in reader.embedded_timestamp_signatures}
    previous = _dss_entries(reader.get_historical_resolver(signature.signed_revision))
    for revision in range(signature.signed_revision + 1, total):
        entries = _dss_entries(reader.get_historical_resolver(revision))
        if revision not in timestamped and not entries - previous:
            return [
                _format_failure(
                    "update_after_signing",
                    f"revision {revision}, appended after signing, adds neither validation "
                    "data nor a document timestamp",
                )
            ]
        previous = entries
    return []


def _data_after_last_revision(pdf: bytes, reader: PdfFileReader) -> bool:
    """True if bytes follow the end of the last revision pyHanko knows (ISO 32000-1 §7.5.6).

    Catches both plain trailing bytes and a fake trailer with its own %%EOF that points back
    to an earlier cross-reference section (the reader then sees no new revision at all).
    """
    last_eof = pdf.rfind(b"%%EOF")
    if pdf[last_eof + 5 :] not in _EOL:
        return True
    xrefs = reader.xrefs
    last = xrefs.total_revisions - 1
    xref_end = xrefs.get_xref_container_info(last).end_location
    return pdf.find(b"%%EOF", xref_end) != last_eof


def _coverage(
    pdf: bytes,
    reader: PdfFileReader,
    embedded: EmbeddedPdfSignature,
    status: PdfSignatureStatus,
    document_timestamps: int,
    data_after_eof: bool,
) -> Coverage:
    start2, length2 = embedded.byte_range[2], embedded.byte_range[3]
    signed_end = start2 + length2
    level = _modification_level(status)
    return Coverage(
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        signed_bytes=signed_end,
        file_bytes=len(pdf),
        revisions_after_signing=reader.xrefs.total_revisions - 1 - embedded.signed_revision,
        document_timestamps=document_timestamps,
        modification_level=_level_name(level),
        data_after_eof=data_after_eof,
    )
