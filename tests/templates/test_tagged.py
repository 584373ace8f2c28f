"""The licence is a tagged PDF: a structure tree in reading order, the language of every text
run, alternative text for the QR code and the seal; read back with pikepdf."""

from __future__ import annotations

import io
from typing import Any

import pikepdf
import pytest

from tests.templates.conftest import Rendered

ALL = ["yinzhengtong", "hong_kong", "paris", "longest"]
LANGUAGES = {"zh-CN", "en", "fr"}


def kids(element: Any) -> list[Any]:
    k = element.get("/K")
    return list(k) if isinstance(k, pikepdf.Array) else ([] if k is None else [k])


def children(element: Any) -> list[Any]:
    return [k for k in kids(element) if isinstance(k, pikepdf.Dictionary) and "/S" in k]


def mcids(element: Any) -> list[int]:
    return [int(k) for k in kids(element) if isinstance(k, int)]


def tags(elements: list[Any]) -> list[str]:
    return [str(e.S)[1:] for e in elements]


def walk(element: Any) -> list[Any]:
    found = [element]
    for child in children(element):
        found += walk(child)
    return found


@pytest.mark.parametrize("key", ALL)
def test_structure_tree_in_reading_order(rendered: dict[str, Rendered], key: str) -> None:
    french = rendered[key].content.variant.has_french
    with pikepdf.open(io.BytesIO(rendered[key].pdf)) as pdf:
        root = pdf.Root
        assert root.MarkInfo.Marked is True
        assert str(root.Lang) == "zh-CN"
        document = root.StructTreeRoot.K
        assert tags([document]) == ["Document"]
        # Title, header (code, QR), fields table, footer (authority, seal, notice).
        title, header, table, footer = children(document)
        assert tags([title, header, table, footer]) == ["H1", "Sect", "Table", "Sect"]
        expected = ["zh-CN", "en", "fr"] if french else ["zh-CN", "en"]
        assert [str(span.Lang) for span in children(title)] == expected
        rows = children(table)
        assert len(rows) == 8
        for row in rows:
            assert tags(children(row)) == ["TH", "TD"]
            label = children(children(row)[0])
            # Every label reads in each language of the licence, Chinese first.
            assert [str(p.Lang) for p in label] == expected
        scope = children(children(rows[-1])[1])
        assert [str(p.Lang) for p in scope] == expected
        # The statutory notice closes the page, one paragraph per language.
        assert [str(p.Lang) for p in children(footer)[-len(expected) :]] == expected


@pytest.mark.parametrize("key", ALL)
def test_every_text_run_has_a_language(rendered: dict[str, Rendered], key: str) -> None:
    with pikepdf.open(io.BytesIO(rendered[key].pdf)) as pdf:
        elements = walk(pdf.Root.StructTreeRoot.K)
        for element in elements:
            if mcids(element) and str(element.S) != "/Figure":
                assert str(element.Lang) in LANGUAGES


@pytest.mark.parametrize("key", ALL)
def test_marked_content_and_parent_tree_agree(rendered: dict[str, Rendered], key: str) -> None:
    with pikepdf.open(io.BytesIO(rendered[key].pdf)) as pdf:
        page = pdf.pages[0]
        marked: list[int] = []
        depth = 0
        for operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) == "BDC":
                props = operands[1]
                if "/MCID" in props:
                    marked.append(int(props.MCID))
                depth += 1
            elif str(operator) == "BMC":
                depth += 1
            elif str(operator) == "EMC":
                depth -= 1
            else:
                # Nothing is painted outside a tagged sequence or an artifact.
                painting = str(operator) in {"Tj", "TJ", "f", "S", "re"}
                assert not painting or depth > 0, operator
        assert marked == list(range(len(marked)))
        assert page.obj.StructParents == 0
        nums = list(pdf.Root.StructTreeRoot.ParentTree.Nums)
        owners = nums[1]
        assert len(owners) == len(marked)
        for mcid, owner in enumerate(owners):
            assert mcid in mcids(owner)
            assert owner.Pg.objgen == page.obj.objgen


@pytest.mark.parametrize("key", ALL)
def test_qr_code_and_seal_have_alternative_text(rendered: dict[str, Rendered], key: str) -> None:
    with pikepdf.open(io.BytesIO(rendered[key].pdf)) as pdf:
        figures = [e for e in walk(pdf.Root.StructTreeRoot.K) if str(e.S) == "/Figure"]
        assert len(figures) == 2
        qr, seal = (str(f.Alt) for f in figures)
        uscc = rendered[key].content.uscc
        assert "QR code" in qr
        assert f"/verify/{uscc}" in qr
        assert "Seal of" in seal
        assert rendered[key].content.registration_authority.en in seal
        link = next(a for a in pdf.pages[0].obj.Annots if a.Subtype == "/Link")
        # The link annotation is in the tree too (PDF/UA), with the same description.
        assert str(link.Contents) == qr
        assert int(link.StructParent) == 1
        assert str(pdf.Root.StructTreeRoot.ParentTree.Nums[3].S) == "/Link"
