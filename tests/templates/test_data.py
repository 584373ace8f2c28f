"""The machine-readable licence.json: equal to the input, valid, and readable back."""

from __future__ import annotations

import io
import json
import zlib
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pyhanko.pdf_utils.generic import NameObject, TextStringObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from templates import (
    LICENCE_SCHEMA_FILE,
    LicenceDataError,
    content_from_data,
    licence_data,
    read_licence_data,
    render_licence,
    verification_url,
)
from templates.archive import MAX_ATTACHMENT_BYTES
from templates.specimens import SPECIMEN_BASE_URL, SPECIMENS
from tests.templates.conftest import Rendered

ALL = ["yinzhengtong", "hong_kong", "paris", "longest"]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(Path(LICENCE_SCHEMA_FILE).read_text("utf-8"))
    return loaded


@pytest.mark.parametrize("key", ALL)
def test_attachment_equals_the_input(rendered: dict[str, Rendered], key: str) -> None:
    r = rendered[key]
    data = read_licence_data(r.pdf)
    url = verification_url(r.content, SPECIMEN_BASE_URL)
    assert data == licence_data(r.content, verification_url=url)
    assert content_from_data(data) == r.content


def test_attachment_field_names(rendered: dict[str, Rendered]) -> None:
    data = read_licence_data(rendered["yinzhengtong"].pdf)
    assert data == {
        "format": "bizreg-licence/1",
        "uscc": "91441900MA5FQ3KN54",
        "version": 1,
        "variant": "zh-en",
        "name": {
            "zh": "东莞市蓝海贸易有限公司",
            "en": "Dongguan Lanhai Trading Co., Ltd.",
            "fr": None,
        },
        "company_type": {
            "zh": "有限责任公司（自然人独资）",
            "en": "Limited liability company (wholly owned by a natural person)",
            "fr": None,
        },
        "legal_representative": {"name": "张伟", "latin": None},
        "registered_capital": {"amount": "500000.00", "currency": "CNY"},
        "date_of_establishment": "2025-11-29",
        "business_term_years": 20,
        "domicile": "广东省东莞市南城街道鸿福路88号",
        "business_scope": ["日用百货销售", "软件开发"],
        "business_scope_en": ["Sale of daily necessities", "Software development"],
        "registration_authority": {
            "zh": "东莞市市场监督管理局",
            "en": "Dongguan Administration for Market Regulation",
            "fr": None,
        },
        "issue_date": "2025-11-29",
        "verification_url": "https://bizreg.example.cn/verify/91441900MA5FQ3KN54?v=1",
    }


@pytest.mark.parametrize("key", ALL)
def test_attachment_validates_against_the_committed_schema(
    rendered: dict[str, Rendered], key: str, schema: dict[str, Any]
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(read_licence_data(rendered[key].pdf), schema)


def test_schema_rejects_french_text_in_a_zh_en_licence(
    rendered: dict[str, Rendered], schema: dict[str, Any]
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    data = read_licence_data(rendered["yinzhengtong"].pdf)
    data["name"]["fr"] = "Nom"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_data_survives_an_incremental_update(rendered: dict[str, Rendered]) -> None:
    # Signing appends an incremental update; the reader must see the newest revision.
    original = rendered["paris"].pdf
    writer = IncrementalPdfFileWriter(io.BytesIO(original))
    writer.root[NameObject("/Note")] = TextStringObject("appended")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    updated = out.getvalue()
    assert updated.startswith(original)
    assert read_licence_data(updated) == read_licence_data(original)


def test_not_a_pdf_is_a_data_error() -> None:
    with pytest.raises(LicenceDataError, match="not a readable PDF"):
        read_licence_data(b"hello")


def _without_attachment() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_pdf_without_attachment_is_a_data_error() -> None:
    with pytest.raises(LicenceDataError, match="no associated files"):
        read_licence_data(_without_attachment())


def _with_attachment(
    payload: bytes, *, compress: bool = True, mime: str = "application/json"
) -> bytes:
    pdf = pikepdf.open(
        io.BytesIO(render_licence(SPECIMENS["yinzhengtong"], public_base_url=SPECIMEN_BASE_URL))
    )
    stream = pdf.Root.AF[0].EF.F
    if compress:
        stream.write(zlib.compress(payload, 9), filter=pikepdf.Name.FlateDecode)
    else:
        stream.write(payload)
    stream.Subtype = pikepdf.Name("/" + mime)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_deflate_bomb_is_refused() -> None:
    bomb = b"[" + b" " * (MAX_ATTACHMENT_BYTES * 4) + b"]"
    with pytest.raises(LicenceDataError, match="exceeds"):
        read_licence_data(_with_attachment(bomb))


@pytest.mark.parametrize(
    ("payload", "mime", "message"),
    [
        (b"[1, 2]", "application/json", "not a JSON object"),
        (b"{not json", "application/json", "not UTF-8 JSON"),
        (b"{}", "text/plain", "is not declared application/json"),
    ],
)
def test_malformed_attachment_is_a_data_error(payload: bytes, mime: str, message: str) -> None:
    with pytest.raises(LicenceDataError, match=message):
        read_licence_data(_with_attachment(payload, compress=False, mime=mime))


def test_data_of_a_licence_issued_before_scope_translations_still_reads(
    rendered: dict[str, Rendered], schema: dict[str, Any]
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    data = read_licence_data(rendered["paris"].pdf)
    del data["business_scope_en"], data["business_scope_fr"]
    # Such licences could print up to 1000 ideographs of scope.
    data["business_scope"] = ["软件开发" * 15] * 16
    jsonschema.validate(data, schema)
    content = content_from_data(data)
    assert content.business_scope_en is None
    assert "business_scope_en" not in licence_data(
        content, verification_url=data["verification_url"]
    )


def test_schema_rejects_french_scope_in_a_zh_en_licence(
    rendered: dict[str, Rendered], schema: dict[str, Any]
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    data = read_licence_data(rendered["yinzhengtong"].pdf)
    data["business_scope_fr"] = ["Vente", "Logiciels"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)
