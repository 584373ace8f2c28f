"""Values as each language writes them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from templates import Money
from templates import formatting as fmt


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("500000.00", "伍拾万元整"),
        ("2000000", "贰佰万元整"),
        ("10", "壹拾元整"),  # 壹拾, not 拾: amounts are written so nothing can be prefixed
        ("15", "壹拾伍元整"),
        ("105000", "壹拾万零伍仟元整"),
        ("100500", "壹拾万零伍佰元整"),
        ("1000050", "壹佰万零伍拾元整"),
        ("100000000", "壹亿元整"),
        ("100010000", "壹亿零壹万元整"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("107000.53", "壹拾万零柒仟元伍角叁分"),
        ("20.01", "贰拾元零壹分"),
        ("1.10", "壹元壹角"),
        ("0.50", "伍角"),
        ("0.05", "伍分"),
        ("1000000000000", "壹万亿元整"),
    ],
)
def test_financial_numerals(amount: str, expected: str) -> None:
    assert fmt.financial_numerals(Decimal(amount)) == expected


def test_capital_in_three_languages() -> None:
    cny = Money(Decimal("500000.00"), "CNY")
    assert fmt.capital_zh(cny) == "人民币伍拾万元整"
    assert fmt.capital_en(cny) == "CNY 500,000.00"
    eur = Money(Decimal("2000000.5"), "EUR")
    assert fmt.capital_fr(eur) == "2\u00a0000\u00a0000,50\u00a0EUR"
    assert fmt.capital_zh(Money(Decimal("1000000"), "HKD")) == "港币壹佰万元整"
    assert fmt.capital_en(Money(Decimal("1000000"), "JPY")) == "JPY 1,000,000"
    assert fmt.capital_zh(Money(Decimal("7"), "XAU")) == "XAU柒元整"  # unknown: ISO code


def test_dates() -> None:
    assert fmt.date_zh(date(2025, 11, 1)) == "2025年11月1日"
    assert fmt.date_en(date(2025, 11, 1)) == "1 November 2025"
    assert fmt.date_fr(date(2025, 11, 1)) == "1er novembre 2025"
    assert fmt.date_fr(date(2025, 8, 2)) == "2 août 2025"


@pytest.mark.parametrize(
    ("years", "zh", "en", "fr"),
    [
        (None, "长期", "Long-term", "Durée illimitée"),
        (1, "1年", "1 year", "1 an"),
        (20, "20年", "20 years", "20 ans"),
    ],
)
def test_business_term(years: int | None, zh: str, en: str, fr: str) -> None:
    assert (fmt.term_zh(years), fmt.term_en(years), fmt.term_fr(years)) == (zh, en, fr)
