"""The rendered licence, read back with independent tools (poppler, qpdf, zxing, pikepdf)."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from templates import (
    SEAL_BOX,
    LanguageVariant,
    LicenceContent,
    read_licence_data,
    verification_url,
)
from templates import formatting as fmt
from templates.licence import PAGE_SIZE
from templates.specimens import SPECIMEN_BASE_URL
from tests.templates.conftest import Rendered, pdftotext, squeeze, words
from tests.tooling import require_tool

ALL = ["yinzhengtong", "hong_kong", "paris", "longest"]


def printed_values(c: LicenceContent) -> dict[str, str]:
    """Every printed field, as a reader would find it on the page."""
    capital = c.registered_capital
    values = {
        "uscc": c.uscc,
        "version": f"Version {c.version}",
        "name.zh": c.name.zh,
        "name.en": c.name.en,
        "company_type.zh": c.company_type.zh,
        "company_type.en": c.company_type.en,
        "legal_representative": c.legal_representative.name,
        "capital.zh": fmt.capital_zh(capital),
        "capital.en": fmt.capital_en(capital),
        "date_of_establishment.zh": fmt.date_zh(c.date_of_establishment),
        "date_of_establishment.en": fmt.date_en(c.date_of_establishment),
        "business_term.zh": fmt.term_zh(c.business_term_years),
        "business_term.en": fmt.term_en(c.business_term_years),
        "domicile": c.domicile,
        "authority.zh": c.registration_authority.zh,
        "authority.en": c.registration_authority.en,
        "issue_date.zh": fmt.date_zh(c.issue_date),
        "issue_date.en": fmt.date_en(c.issue_date),
        "verification_url": verification_url(c, SPECIMEN_BASE_URL),
    }
    values |= {f"business_scope[{i}]": item for i, item in enumerate(c.business_scope)}
    if c.legal_representative.latin:
        values["legal_representative.latin"] = c.legal_representative.latin
    if c.variant is LanguageVariant.ZH_EN_FR:
        assert c.company_type.fr
        assert c.registration_authority.fr
        values |= {
            "company_type.fr": c.company_type.fr,
            "capital.fr": fmt.capital_fr(capital),
            "date_of_establishment.fr": fmt.date_fr(c.date_of_establishment),
            "business_term.fr": fmt.term_fr(c.business_term_years),
            "authority.fr": c.registration_authority.fr,
            "issue_date.fr": fmt.date_fr(c.issue_date),
        }
        if c.name.fr:
            values["name.fr"] = c.name.fr
    return values


@pytest.mark.parametrize("key", ALL)
def test_every_field_reads_back_with_pdftotext(rendered: dict[str, Rendered], key: str) -> None:
    r = rendered[key]
    # -raw keeps content-stream order, where each value is contiguous; the default mode
    # reorders side-by-side columns line by line.
    text = squeeze(pdftotext(r.path, "-raw").replace("\u00a0", " "))
    missing = {
        field: value
        for field, value in printed_values(r.content).items()
        if squeeze(value.replace("\u00a0", " ")) not in text
    }
    assert not missing


@pytest.mark.parametrize("key", ["yinzhengtong", "paris"])
def test_titles_and_labels_are_printed(rendered: dict[str, Rendered], key: str) -> None:
    text = squeeze(pdftotext(rendered[key].path, "-raw"))
    for label in ("营业执照", "BUSINESSLICENCE", "统一社会信用代码", "经营范围", "登记机关"):
        assert label in text
    assert ("LICENCECOMMERCIALE" in text) == (key == "paris")
    assert ("Objetsocial" in text) == (key == "paris")


def test_traditional_chinese_and_french_accents_extract(rendered: dict[str, Rendered]) -> None:
    hong_kong = pdftotext(rendered["hong_kong"].path, "-raw")
    assert "東莞市港灣諮詢有限公司" in hong_kong
    assert "陳大文" in hong_kong
    paris = pdftotext(rendered["paris"].path, "-raw")
    for phrase in (
        "Société à responsabilité limitée (à capitaux étrangers, non exclusivement)",
        "1er novembre 2025",
        "Durée d'exploitation",
        "Représentant légal",
        "Vente de denrées alimentaires",
    ):
        assert phrase in paris
    # Wrapped onto two lines beside the seal: compared without the line break.
    assert squeeze("Administration de la régulation des marchés de Dongguan") in squeeze(paris)


@pytest.mark.parametrize("key", ALL)
def test_one_a4_page(rendered: dict[str, Rendered], key: str) -> None:
    with pikepdf.open(io.BytesIO(rendered[key].pdf)) as pdf:
        assert len(pdf.pages) == 1
        box = [float(v) for v in pdf.pages[0].MediaBox]
    assert box == pytest.approx([0, 0, *PAGE_SIZE])


@pytest.mark.parametrize("key", ALL)
def test_fonts_are_embedded_subsets_with_unicode_maps(
    rendered: dict[str, Rendered], key: str
) -> None:
    tool = require_tool("pdffonts", "poppler-utils")
    out = subprocess.run(
        [tool, str(rendered[key].path)], check=True, capture_output=True, text=True
    ).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    for row in rows:
        # name type encoding emb sub uni object-id: the flags are the 4th-6th from the end.
        emb, sub, uni = row.split()[-5:-2]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row
        assert "WenQuanYiMicroHei" in row


@pytest.mark.parametrize("key", ["yinzhengtong", "hong_kong", "paris"])
def test_qr_code_decodes_to_the_verification_url(
    rendered: dict[str, Rendered], key: str, tmp_path: Path
) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    tool = require_tool("pdftoppm", "poppler-utils")
    r = rendered[key]
    subprocess.run(
        [tool, "-r", "150", "-gray", "-png", "-singlefile", str(r.path), str(tmp_path / "p")],
        check=True,
    )
    results = zxingcpp.read_barcodes(Image.open(tmp_path / "p.png"))
    texts = [result.text for result in results if result.format == zxingcpp.BarcodeFormat.QRCode]
    expected = f"{SPECIMEN_BASE_URL}/verify/{r.content.uscc}?v={r.content.version}"
    assert texts == [expected]


@pytest.mark.parametrize("key", ALL)
def test_seal_box_is_left_empty(rendered: dict[str, Rendered], key: str, tmp_path: Path) -> None:
    tool = require_tool("pdftoppm", "poppler-utils")
    dpi = 72
    subprocess.run(
        [
            tool,
            "-r",
            str(dpi),
            "-gray",
            "-png",
            "-singlefile",
            str(rendered[key].path),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    image = Image.open(tmp_path / "p.png").convert("L")
    height = image.height
    page, x1, y1, x2, y2 = SEAL_BOX
    assert page == 0
    crop = image.crop((round(x1), height - round(y2), round(x2), height - round(y1)))
    assert crop.getextrema() == (255, 255)


@pytest.mark.parametrize("key", ALL)
def test_text_stays_inside_the_frame_and_out_of_the_seal_box(
    rendered: dict[str, Rendered], key: str
) -> None:
    width, height = PAGE_SIZE
    found = words(rendered[key].path, height)
    assert found
    x1, y1, x2, y2 = SEAL_BOX.box
    for word in found:
        # The inner border runs 26 pt from the page edge.
        assert 30 <= word.x1 < word.x2 <= width - 30, word
        assert 30 <= word.y1 < word.y2 <= height - 30, word
        overlaps = word.x1 < x2 and word.x2 > x1 and word.y1 < y2 and word.y2 > y1
        assert not overlaps, word


@pytest.mark.parametrize("key", ALL)
def test_qpdf_finds_no_structural_problem(rendered: dict[str, Rendered], key: str) -> None:
    tool = require_tool("qpdf", "qpdf")
    result = subprocess.run(
        [tool, "--check", str(rendered[key].path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


def test_archival_metadata(rendered: dict[str, Rendered]) -> None:
    r = rendered["paris"]
    with pikepdf.open(io.BytesIO(r.pdf)) as pdf:
        assert pdf.pdf_version == "1.7"
        root = pdf.Root
        xmp = root.Metadata.read_bytes().decode("utf-8")
        assert "/Filter" not in root.Metadata  # ISO 19005-3 §6.6.2.1: readable XMP
        assert "<pdfaid:part>3</pdfaid:part>" in xmp
        assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
        info = pdf.docinfo
        title = str(info.Title)
        assert r.content.uscc in title
        assert r.content.name.zh in title
        assert f">{title}<" in xmp
        assert f">{info.Subject}<" in xmp
        assert str(info.CreationDate) == "D:20251129000000+08'00'"
        assert "<xmp:CreateDate>2025-11-29T00:00:00+08:00</xmp:CreateDate>" in xmp
        assert str(root.Lang) == "zh-CN"
        (intent,) = root.OutputIntents
        assert intent.S == pikepdf.Name.GTS_PDFA1
        profile = intent.DestOutputProfile
        assert int(profile.N) == 3
        assert profile.read_bytes()[36:40] == b"acsp"  # an ICC profile
        (filespec,) = root.AF
        assert filespec.AFRelationship == pikepdf.Name.Data
        assert str(filespec.UF) == "licence.json"
        embedded = filespec.EF.F
        assert embedded.Subtype == pikepdf.Name("/application/json")
        assert str(embedded.Params.ModDate) == "D:20251129000000+08'00'"
        names = root.Names.EmbeddedFiles.Names
        assert str(names[0]) == "licence.json"
        assert names[1].objgen == filespec.objgen
        assert "/ID" in pdf.trailer


@pytest.mark.parametrize("key", ALL)
def test_pdfa_3b_validator_approves(rendered: dict[str, Rendered], key: str) -> None:
    # pikepdf's allowlist validator (veraPDF rules): it approves only what it knows conforms.
    pdfa = pytest.importorskip("pikepdf.pdfa")
    report = pdfa.validate_written(io.BytesIO(rendered[key].pdf), "3b")
    assert report.passed, report.findings


def test_qr_link_is_clickable(rendered: dict[str, Rendered]) -> None:
    r = rendered["yinzhengtong"]
    with pikepdf.open(io.BytesIO(r.pdf)) as pdf:
        annotations = list(pdf.pages[0].Annots)
        uris = [str(a.A.URI) for a in annotations]
        flags = [int(a.F) for a in annotations]
    assert uris == [verification_url(r.content, SPECIMEN_BASE_URL)]
    assert flags == [4]  # printable, as PDF/A requires


def test_embedded_json_is_pretty_printed_utf8(rendered: dict[str, Rendered]) -> None:
    with pikepdf.open(io.BytesIO(rendered["hong_kong"].pdf)) as pdf:
        raw = pdf.Root.AF[0].EF.F.read_bytes()
    assert "東莞市港灣諮詢有限公司".encode() in raw  # not \\u-escaped
    assert json.loads(raw) == read_licence_data(rendered["hong_kong"].pdf)
    assert re.match(rb'\{\n  "format": "bizreg-licence/1"', raw)
