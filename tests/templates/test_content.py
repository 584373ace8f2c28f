"""LicenceContent refuses what the page cannot print faithfully."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from templates import (
    MAX_DOMICILE_LENGTH,
    MAX_NAME_ZH_LENGTH,
    MAX_SCOPE_ITEM_LENGTH,
    MAX_SCOPE_ITEMS,
    MAX_SCOPE_LENGTH,
    InvalidLicenceContent,
    LicenceContent,
    LocalizedText,
    Money,
    PersonName,
    content_from_data,
    licence_data,
)
from templates.specimens import SPECIMENS

BASE = SPECIMENS["yinzhengtong"]


def changed(**changes: Any) -> LicenceContent:
    return dataclasses.replace(BASE, **changes)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"uscc": "91441900MA5FQ3KN5"}, "uscc"),
        ({"uscc": "91441900MA5FQ3KNI4"}, "uscc"),  # I is not in the GB 32100 alphabet
        ({"uscc": "91441900ma5fq3kn54"}, "uscc"),
        ({"version": 0}, "version"),
        ({"version": True}, "version"),
        ({"name": LocalizedText("东" * (MAX_NAME_ZH_LENGTH + 1), "Long")}, "name.zh"),
        ({"name": LocalizedText(" 东莞市蓝海贸易有限公司", "X")}, "name.zh"),
        ({"name": LocalizedText("东莞市\n蓝海贸易有限公司", "X")}, "name.zh"),
        ({"name": LocalizedText("东莞市蓝海\u200b贸易有限公司", "X")}, "name.zh"),
        ({"name": LocalizedText("东莞市蓝海贸易有限公司", "")}, "name.en"),
        ({"name": LocalizedText("东莞市蓝海贸易有限公司", "Lanhai  Trading")}, "name.en"),
        ({"name": LocalizedText("东莞市蓝海贸易有限公司", "Societe\u0301")}, "name.en"),  # not NFC
        ({"name": LocalizedText("东莞市蓝海贸易有限公司", "X", "Nom")}, "name.fr"),
        ({"domicile": "路" * (MAX_DOMICILE_LENGTH + 1)}, "domicile"),
        ({"business_scope": ()}, "business_scope"),
        ({"business_scope": ["软件开发"]}, "business_scope"),
        ({"business_scope": ("软件开发",) * (MAX_SCOPE_ITEMS + 1)}, "business_scope"),
        ({"business_scope": ("软" * (MAX_SCOPE_ITEM_LENGTH + 1),)}, "business_scope[0]"),
        (
            {"business_scope": ("软" * MAX_SCOPE_ITEM_LENGTH,) * (MAX_SCOPE_LENGTH // 60 + 1)},
            "business_scope",
        ),
        ({"registered_capital": Money(Decimal("0"), "CNY")}, "registered_capital.amount"),
        ({"registered_capital": Money(Decimal("-5"), "CNY")}, "registered_capital.amount"),
        ({"registered_capital": Money(Decimal("NaN"), "CNY")}, "registered_capital.amount"),
        ({"registered_capital": Money(Decimal("1.005"), "CNY")}, "registered_capital.amount"),
        ({"registered_capital": Money(Decimal("1.5"), "JPY")}, "registered_capital.amount"),
        ({"registered_capital": Money(Decimal("1e15"), "CNY")}, "registered_capital.amount"),
        ({"registered_capital": Money(500000.0, "CNY")}, "registered_capital.amount"),  # type: ignore[arg-type]
        ({"registered_capital": Money(Decimal(1), "cny")}, "registered_capital.currency"),
        ({"business_term_years": 0}, "business_term_years"),
        ({"business_term_years": 100}, "business_term_years"),
        ({"issue_date": BASE.date_of_establishment.replace(day=28)}, "issue_date"),
        ({"legal_representative": PersonName("")}, "legal_representative.name"),
        ({"variant": "zh-en"}, "variant"),
    ],
)
def test_invalid_content_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidLicenceContent) as caught:
        changed(**changes)
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)


def test_french_variant_needs_french_labels() -> None:
    paris = SPECIMENS["paris"]
    with pytest.raises(InvalidLicenceContent) as caught:
        dataclasses.replace(paris, company_type=LocalizedText("有限责任公司", "LLC"))
    assert caught.value.field == "company_type.fr"
    # ...but not a French company name: many companies have none.
    dataclasses.replace(paris, name=LocalizedText(paris.name.zh, paris.name.en))


def test_amount_scale_does_not_matter() -> None:
    plain = changed(registered_capital=Money(Decimal("500000"), "CNY"))
    data = licence_data(plain, verification_url="https://x.example/verify/1?v=1")
    assert data["registered_capital"] == {"amount": "500000.00", "currency": "CNY"}
    assert content_from_data(data) == plain


def test_zero_decimal_currency_has_no_minor_units() -> None:
    yen = changed(registered_capital=Money(Decimal("30000000"), "JPY"))
    data = licence_data(yen, verification_url="https://x.example/verify/1?v=1")
    assert data["registered_capital"]["amount"] == "30000000"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("uscc"), "uscc"),
        (lambda d: d.update(format="other/1"), "format"),
        (lambda d: d["registered_capital"].update(amount="lots"), "registered_capital.amount"),
        (lambda d: d.update(issue_date="29/11/2025"), "licence.json"),
        (lambda d: d.update(variant="zh"), "licence.json"),
    ],
)
def test_content_from_bad_data_is_invalid_content(mutate: Any, field: str) -> None:
    data = licence_data(BASE, verification_url="https://x.example/verify/1?v=1")
    mutate(data)
    with pytest.raises(InvalidLicenceContent) as caught:
        content_from_data(data)
    assert caught.value.field == field
