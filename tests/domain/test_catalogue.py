"""The catalogue prints in every language of every licence."""

from __future__ import annotations

import unicodedata

import pytest

from registration.domain import catalogue
from templates import MAX_SCOPE_ITEM_LATIN_LENGTH, MAX_SCOPE_LATIN_LENGTH, MAX_SCOPE_LENGTH
from templates.fonts import check_coverage

SCOPE = catalogue.business_scope()


@pytest.mark.parametrize("expression", sorted(SCOPE))
@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_scope_item_has_every_language(expression: str, language: str) -> None:
    text = getattr(SCOPE[expression], language)
    assert isinstance(text, str)
    assert text.strip() == text
    assert text
    assert "  " not in text
    assert unicodedata.is_normalized("NFC", text)
    assert len(text) <= MAX_SCOPE_ITEM_LATIN_LENGTH
    # Chinese left in a translation would mean a missing translation.
    assert not any("\u4e00" <= char <= "\u9fff" for char in text)
    check_coverage(f"{expression}.{language}", text)


def test_the_whole_catalogue_fits_on_one_licence() -> None:
    assert sum(len(expression) for expression in SCOPE) <= MAX_SCOPE_LENGTH
    for language in ("en", "fr"):
        assert sum(len(getattr(item, language)) for item in SCOPE.values()) <= (
            MAX_SCOPE_LATIN_LENGTH
        )


@pytest.mark.parametrize("code", sorted(catalogue.company_types()))
def test_every_company_type_has_every_language(code: str) -> None:
    company_type = catalogue.company_types()[code]
    assert company_type.zh
    assert company_type.en
    assert company_type.fr
