"""The statutory block: authority, date, annual-report notice and verification URL in every
language of the licence, each English or French text on at most two lines."""

from __future__ import annotations

import dataclasses

import pytest

from templates import LicenceContent, LocalizedText, verification_url
from templates.licence import _NOTICE_EN, _NOTICE_FR, _NOTICE_ZH, SEAL_BOX, _laid_out
from templates.specimens import SPECIMEN_BASE_URL, SPECIMENS
from tests.templates.conftest import Rendered, pdftotext, squeeze
from tests.templates.samples import longest_content

# As registration.settings names the Dongguan authority (the name that wrapped onto three).
AUTHORITY = LocalizedText(
    zh="东莞市市场监督管理局",
    en="Dongguan Administration for Market Regulation",
    fr="Administration de la régulation des marchés de Dongguan",
)


def lines_of(content: LicenceContent, text: str, *, below: float) -> int:
    """How many consecutive printed lines, placed below y = `below`, make up `text`."""
    _url, _qr, page = _laid_out(content, SPECIMEN_BASE_URL)
    placed = [line.text for line in page.texts if line.y < below]
    whole = squeeze(text)
    for start in range(len(placed)):
        joined = ""
        for end in range(start, len(placed)):
            joined += squeeze(placed[end])
            if joined == whole:
                return end - start + 1
            if not whole.startswith(joined):
                break
    raise AssertionError(f"{text!r} is not printed whole")


@pytest.mark.parametrize("key", sorted(SPECIMENS))
def test_notice_and_url_in_every_language(rendered: dict[str, Rendered], key: str) -> None:
    text = squeeze(pdftotext(rendered[key].path, "-raw"))
    content = rendered[key].content
    expected = [_NOTICE_ZH, _NOTICE_EN, verification_url(content, SPECIMEN_BASE_URL)]
    expected += [content.registration_authority.zh, content.registration_authority.en]
    if content.variant.has_french:
        expected += [_NOTICE_FR, "Vérification par le code QR"]
    for phrase in expected:
        assert squeeze(phrase) in text
    assert (squeeze(_NOTICE_FR) in text) == content.variant.has_french


@pytest.mark.parametrize("notice", [_NOTICE_EN, _NOTICE_FR], ids=["en", "fr"])
def test_notice_takes_at_most_two_lines(notice: str) -> None:
    assert lines_of(SPECIMENS["paris"], notice, below=SEAL_BOX.y1) <= 2
    assert lines_of(longest_content(), notice, below=SEAL_BOX.y1) <= 2
    assert lines_of(SPECIMENS["paris"], _NOTICE_ZH, below=SEAL_BOX.y1) == 1


@pytest.mark.parametrize("language", ["en", "fr"])
def test_authority_name_takes_at_most_two_lines(language: str) -> None:
    paris = dataclasses.replace(SPECIMENS["paris"], registration_authority=AUTHORITY)
    footer_top = SEAL_BOX.y2
    for content in (paris, longest_content()):
        name = getattr(content.registration_authority, language)
        assert lines_of(content, name, below=footer_top) <= 2
