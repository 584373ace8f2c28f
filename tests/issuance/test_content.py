"""What each channel's licence says: the catalogue's translations, the derived type."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from registration.domain.application import ApplicationPayload, check_consistency
from registration.issuance.content import licence_content, printability_errors
from templates import LocalizedText
from tests.conftest import example

AUTHORITY = LocalizedText("东莞市市场监督管理局", "Dongguan AMR", "AMR de Dongguan")
DAY = date(2025, 11, 29)


def content_of(data: dict[str, Any]) -> Any:
    payload = ApplicationPayload.model_validate(data)
    return licence_content(
        payload, uscc="91441900MA5FQ3KN54", version=1, established=DAY, issued=DAY,
        authority=AUTHORITY,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("channel", "zh", "scope_en", "scope_fr"),
    [
        (
            "yinzhengtong",
            "有限责任公司（自然人独资）",
            ("Sale of daily necessities", "Software development"),
            None,
        ),
        (
            "hong_kong",
            "有限责任公司（台港澳自然人独资）",
            (
                "Information consulting services (excluding licensed information consulting)",
                "Software development",
            ),
            None,
        ),
        (
            "paris",
            "有限责任公司（外商投资、非独资）",
            (
                "Food sales",
                "Technical services, development, consulting, exchange, transfer and promotion",
            ),
            (
                "Vente de denrées alimentaires",
                "Services, développement, conseil, échanges, transfert et promotion techniques",
            ),
        ),
    ],
)
def test_each_channel_prints_every_field_in_its_languages(
    channel: str, zh: str, scope_en: tuple[str, ...], scope_fr: tuple[str, ...] | None
) -> None:
    content = content_of(example(channel))
    assert content.company_type.zh == zh
    assert content.business_scope_en == scope_en
    assert content.business_scope_fr == scope_fr
    assert (content.company_type.fr is not None) == (channel == "paris")


def test_a_legal_person_shareholder_changes_the_wording() -> None:
    data = example("yinzhengtong")
    data["shareholders"][0] = {
        "entity": {
            "name": "东莞市某某投资有限公司",
            "country": "CHN",
            "registration": {"scheme": "cn_uscc", "number": "91441900MA5FQ3KN54"},
            "foreign_invested": True,
        },
        "contribution": data["shareholders"][0]["contribution"],
        "share_percent": "100",
    }
    assert content_of(data).company_type.zh == "有限责任公司（外商投资企业法人独资）"
    del data["shareholders"][0]["entity"]["foreign_invested"]
    assert content_of(data).company_type.zh == "有限责任公司（法人独资）"


def test_a_foreign_shareholder_in_a_domestic_company_is_refused() -> None:
    data = copy.deepcopy(example("yinzhengtong"))
    data["persons"][0]["nationality"] = "FRA"
    errors = check_consistency(ApplicationPayload.model_validate(data))
    assert "company_type_mismatch" in {error.code for error in errors}


def test_printability_tolerates_what_submission_reports_elsewhere() -> None:
    data = example("paris")
    data["company"]["business_scope"] = ["不在目录中的经营项目"]
    data["company"]["type"] = "no_such_type"
    payload = ApplicationPayload.model_validate(data)
    assert printability_errors(payload, DAY) == []
