"""Limits: the longest legal content fits; what cannot be printed faithfully is an error."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from templates import (
    MAX_BASE_URL_LENGTH,
    InvalidLicenceContent,
    LicenceLayoutOverflow,
    LocalizedText,
    PersonName,
    UnrenderableCharacter,
    check_printable,
    render_licence,
)
from templates.licence import PAGE_SIZE
from templates.specimens import SPECIMEN_BASE_URL, SPECIMENS
from tests.templates.conftest import Rendered, pdftotext, squeeze, words
from tests.templates.samples import longest_content

# The submission-time check (no drawing, no PDF) must refuse exactly what rendering refuses.
RENDER_OR_CHECK = pytest.mark.parametrize(
    "render", [render_licence, check_printable], ids=["render", "check_printable"]
)


def test_longest_content_keeps_every_character(rendered: dict[str, Rendered]) -> None:
    r = rendered["longest"]
    text = squeeze(pdftotext(r.path, "-raw"))
    c = r.content
    for value in (
        c.name.zh,
        c.name.en,
        c.name.fr,
        c.company_type.en,
        c.company_type.fr,
        c.legal_representative.latin,
        c.domicile,
        c.registration_authority.en,
        c.registration_authority.fr,
        *c.business_scope,
    ):
        assert value is not None
        assert squeeze(value) in text


def test_longest_content_wraps_within_the_value_column(rendered: dict[str, Rendered]) -> None:
    _width, height = PAGE_SIZE
    found = words(rendered["longest"].path, height)
    # The value column ends 4 pt inside the rules at x = 549.
    assert max(word.x2 for word in found) <= 545.5
    # Text at the smallest permitted size is still there, and nothing is smaller.
    sizes = {round(word.y2 - word.y1, 1) for word in found}
    assert min(sizes) >= 6.0


@RENDER_OR_CHECK
def test_text_too_wide_for_the_page_is_an_overflow_error(render: Callable[..., object]) -> None:
    # At the maximum lengths, capital Ws (the widest Latin letter) cannot fit.
    longest = longest_content()
    wide = LocalizedText(longest.name.zh, "W" * len(longest.name.en), "W" * len(longest.name.en))
    wide_type = LocalizedText(
        longest.company_type.zh,
        "W" * len(longest.company_type.en),
        "W" * len(longest.company_type.en),
    )
    content = dataclasses.replace(longest, name=wide, company_type=wide_type)
    with pytest.raises(LicenceLayoutOverflow) as caught:
        render(content, public_base_url=SPECIMEN_BASE_URL)
    assert caught.value.needed > caught.value.available
    assert "fields table" in str(caught.value)


@pytest.mark.parametrize(
    ("changes", "field", "character"),
    [
        ({"legal_representative": PersonName("𠮷野家")}, "legal_representative.name", "𠮷"),
        ({"business_scope": ("软件开发", "餐饮服务😀")}, "business_scope[1]", "😀"),
        ({"domicile": "广东省东莞市\u0d15路1号"}, "domicile", "\u0d15"),
    ],
)
@RENDER_OR_CHECK
def test_character_without_glyph_is_an_error(
    changes: dict[str, object], field: str, character: str, render: Callable[..., object]
) -> None:
    content = dataclasses.replace(SPECIMENS["yinzhengtong"], **changes)  # type: ignore[arg-type]
    with pytest.raises(UnrenderableCharacter) as caught:
        render(content, public_base_url=SPECIMEN_BASE_URL)
    assert caught.value.field == field
    assert caught.value.character == character
    assert f"U+{ord(character):04X}" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://bizreg.example.cn",
        "https://bizreg.example.cn/?x=1",
        "bizreg.example.cn",
        "https://" + "a" * MAX_BASE_URL_LENGTH + ".cn",
    ],
)
@RENDER_OR_CHECK
def test_bad_base_url_is_refused(url: str, render: Callable[..., object]) -> None:
    with pytest.raises(InvalidLicenceContent) as caught:
        render(SPECIMENS["paris"], public_base_url=url)
    assert caught.value.field == "public_base_url"


def test_trailing_slash_in_base_url_is_harmless() -> None:
    content = SPECIMENS["paris"]
    assert render_licence(content, public_base_url=SPECIMEN_BASE_URL + "/") == render_licence(
        content, public_base_url=SPECIMEN_BASE_URL
    )
