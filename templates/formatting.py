"""How values read in each language: dates, the business term and money, without floats."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final

from templates.content import Money, minor_units

__all__ = [
    "capital_en",
    "capital_fr",
    "capital_zh",
    "date_en",
    "date_fr",
    "date_zh",
    "financial_numerals",
    "term_en",
    "term_fr",
    "term_zh",
]

_MONTHS_EN: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTHS_FR: Final = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

# Currency names as Chinese banks write them before an amount in financial numerals.
_CURRENCY_ZH: Final = {
    "CNY": "人民币",
    "HKD": "港币",
    "MOP": "澳门元",
    "TWD": "新台币",
    "EUR": "欧元",
    "USD": "美元",
    "GBP": "英镑",
    "JPY": "日元",
    "CHF": "瑞士法郎",
    "SGD": "新加坡元",
    "AUD": "澳大利亚元",
    "CAD": "加拿大元",
    "KRW": "韩元",
}

_NBSP: Final = "\u00a0"
_DIGITS: Final = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS: Final = ("", "拾", "佰", "仟")
_GROUP_UNITS: Final = ("", "万", "亿", "万亿")


def date_zh(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def date_en(d: date) -> str:
    return f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"


def date_fr(d: date) -> str:
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day} {_MONTHS_FR[d.month - 1]} {d.year}"


def term_zh(years: int | None) -> str:
    return "长期" if years is None else f"{years}年"


def term_en(years: int | None) -> str:
    if years is None:
        return "Long-term"
    return "1 year" if years == 1 else f"{years} years"


def term_fr(years: int | None) -> str:
    if years is None:
        return "Durée illimitée"
    return "1 an" if years == 1 else f"{years} ans"


def _grouped(money: Money, thousands: str, decimal_mark: str) -> str:
    places = minor_units(money.currency)
    # format() on a Decimal is exact: no float ever sees the amount.
    text = format(money.amount.quantize(Decimal(1).scaleb(-places)), ",f")
    return text.replace(",", "\x00").replace(".", decimal_mark).replace("\x00", thousands)


def capital_en(money: Money) -> str:
    """ "CNY 500,000.00"."""
    return f"{money.currency} {_grouped(money, ',', '.')}"


def capital_fr(money: Money) -> str:
    """ "500 000,00 EUR" with no-break spaces, as French typography groups digits."""
    return _grouped(money, _NBSP, ",") + _NBSP + money.currency


def capital_zh(money: Money) -> str:
    """ "人民币伍拾万元整": currency, then the amount in financial numerals (大写金额)."""
    prefix = _CURRENCY_ZH.get(money.currency, money.currency)
    return prefix + financial_numerals(money.amount, minor_units(money.currency))


def financial_numerals(amount: Decimal, places: int = 2) -> str:
    """An amount in Chinese financial numerals, following the People's Bank of China rules for
    writing amounts (《正确填写票据和结算凭证的基本规定》): one 零 per run of zeros, 整 after
    元 when there are no 角/分, 零 before 分 when 角 is zero.
    """
    quantized = amount.quantize(Decimal(1).scaleb(-places))
    integer_text, _, fraction_text = format(quantized, "f").partition(".")
    fraction_text = (fraction_text + "00")[:2]
    out: list[str] = []
    zero_pending = False
    width = len(integer_text)
    for index, char in enumerate(integer_text):
        digit = int(char)
        power = width - 1 - index
        group, position = divmod(power, 4)
        if digit == 0:
            zero_pending = bool(out)
        else:
            if zero_pending:
                out.append("零")
                zero_pending = False
            out.append(_DIGITS[digit] + _SMALL_UNITS[position])
        if position == 0 and group > 0:
            group_digits = integer_text[max(0, index - 3) : index + 1]
            if group_digits.strip("0"):
                out.append(_GROUP_UNITS[group])
    jiao, fen = int(fraction_text[0]), int(fraction_text[1])
    if out:
        out.append("元")
    if jiao == 0 and fen == 0:
        return "".join(out) + "整" if out else "零元整"
    if jiao:
        out.append(_DIGITS[jiao] + "角")
    if fen:
        if not jiao and out:
            out.append("零")
        out.append(_DIGITS[fen] + "分")
    return "".join(out)
