"""Licence contents at the limits: every field at its maximum length."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import cycle, islice

from templates import (
    MAX_AUTHORITY_LATIN_LENGTH,
    MAX_AUTHORITY_ZH_LENGTH,
    MAX_COMPANY_TYPE_LATIN_LENGTH,
    MAX_COMPANY_TYPE_ZH_LENGTH,
    MAX_DOMICILE_LENGTH,
    MAX_NAME_LATIN_LENGTH,
    MAX_NAME_ZH_LENGTH,
    MAX_PERSON_NAME_LENGTH,
    MAX_SCOPE_ITEM_LATIN_LENGTH,
    MAX_SCOPE_ITEM_LENGTH,
    MAX_SCOPE_ITEMS,
    MAX_SCOPE_LATIN_LENGTH,
    MAX_SCOPE_LENGTH,
    LanguageVariant,
    LicenceContent,
    LocalizedText,
    Money,
    PersonName,
)

_HAN = "東莞市松山湖高新技術產業開發區工業西路信息諮詢软件开发技术服务食品销售进出口贸易"
_LATIN = (
    "Dongguan Société Générale d'Équipements Électroniques International Trading "
    "Development Consulting Holding Company Limited "
)


def han(n: int, offset: int = 0) -> str:
    """`n` ideographs, Simplified and Traditional mixed, varied by `offset`."""
    return "".join(islice(cycle(_HAN), offset, offset + n))


def latin(n: int, offset: int = 0) -> str:
    """`n` characters of French/English words; never ends in a space."""
    text = "".join(islice(cycle(_LATIN), offset, offset + n))
    if text.startswith(" "):
        text = "x" + text[1:]
    if text.endswith(" "):
        text = text[:-1] + "x"
    return text


def scope_items() -> tuple[str, ...]:
    """MAX_SCOPE_ITEMS items summing to MAX_SCOPE_LENGTH characters."""
    long_items = MAX_SCOPE_LENGTH // MAX_SCOPE_ITEM_LENGTH - 1
    rest = MAX_SCOPE_LENGTH - long_items * MAX_SCOPE_ITEM_LENGTH
    short = MAX_SCOPE_ITEMS - long_items
    sizes = [MAX_SCOPE_ITEM_LENGTH] * long_items + [rest // short] * short
    sizes[-1] += rest - sum(sizes[long_items:])
    return tuple(han(size, offset=i * 7) for i, size in enumerate(sizes))


def scope_translations(offset: int) -> tuple[str, ...]:
    """One Latin item per Chinese item, summing to MAX_SCOPE_LATIN_LENGTH characters."""
    per_item = min(MAX_SCOPE_ITEM_LATIN_LENGTH, MAX_SCOPE_LATIN_LENGTH // MAX_SCOPE_ITEMS)
    sizes = [per_item] * MAX_SCOPE_ITEMS
    sizes[-1] += min(MAX_SCOPE_LATIN_LENGTH - sum(sizes), MAX_SCOPE_ITEM_LATIN_LENGTH - per_item)
    return tuple(latin(size, offset=offset + i * 7) for i, size in enumerate(sizes))


def longest_content() -> LicenceContent:
    """The trilingual licence with every text field at its maximum length."""
    return LicenceContent(
        uscc="91441900MA5HUP2D2X",
        version=12345,
        variant=LanguageVariant.ZH_EN_FR,
        name=LocalizedText(
            zh=han(MAX_NAME_ZH_LENGTH),
            en=latin(MAX_NAME_LATIN_LENGTH),
            fr=latin(MAX_NAME_LATIN_LENGTH, offset=11),
        ),
        company_type=LocalizedText(
            zh=han(MAX_COMPANY_TYPE_ZH_LENGTH, offset=3),
            en=latin(MAX_COMPANY_TYPE_LATIN_LENGTH, offset=20),
            fr=latin(MAX_COMPANY_TYPE_LATIN_LENGTH, offset=31),
        ),
        legal_representative=PersonName(
            name=han(MAX_PERSON_NAME_LENGTH, offset=5),
            latin=latin(MAX_PERSON_NAME_LENGTH, offset=40),
        ),
        registered_capital=Money(Decimal("987654321098765.43"), "EUR"),
        date_of_establishment=date(2025, 9, 30),
        business_term_years=99,
        domicile=han(MAX_DOMICILE_LENGTH, offset=9),
        business_scope=scope_items(),
        business_scope_en=scope_translations(offset=2),
        business_scope_fr=scope_translations(offset=5),
        registration_authority=LocalizedText(
            zh=han(MAX_AUTHORITY_ZH_LENGTH, offset=13),
            en=latin(MAX_AUTHORITY_LATIN_LENGTH, offset=50),
            fr=latin(MAX_AUTHORITY_LATIN_LENGTH, offset=60),
        ),
        issue_date=date(2025, 11, 29),
    )
