"""The printed enterprise type follows the shareholders' kind and origin (SAMR vocabulary)."""

from __future__ import annotations

import pytest

from registration.domain.enterprise_types import (
    ENTERPRISE_TYPES,
    Form,
    Holder,
    Kind,
    Origin,
    enterprise_type,
    origin_of,
)
from templates import MAX_COMPANY_TYPE_LATIN_LENGTH, MAX_COMPANY_TYPE_ZH_LENGTH
from templates.fonts import check_coverage

LLC = Form.LIMITED_LIABILITY
NATURAL, LEGAL = Kind.NATURAL_PERSON, Kind.LEGAL_PERSON
CN, HMT, ABROAD = Origin.MAINLAND, Origin.HONG_KONG_MACAO_TAIWAN, Origin.FOREIGN
FIE = Holder(LEGAL, CN, foreign_invested=True)


@pytest.mark.parametrize(
    ("form", "holders", "zh"),
    [
        (LLC, [Holder(NATURAL, CN)], "有限责任公司（自然人独资）"),
        (LLC, [Holder(NATURAL, CN), Holder(NATURAL, CN)], "有限责任公司（自然人投资或控股）"),
        (LLC, [Holder(NATURAL, CN), Holder(LEGAL, CN)], "有限责任公司（自然人投资或控股）"),
        (LLC, [Holder(LEGAL, CN)], "有限责任公司（法人独资）"),
        (LLC, [FIE], "有限责任公司（外商投资企业法人独资）"),
        (LLC, [FIE, Holder(LEGAL, CN)], "有限责任公司（外商投资企业投资）"),
        (LLC, [Holder(LEGAL, CN), Holder(LEGAL, CN)], "其他有限责任公司"),
        (LLC, [Holder(NATURAL, HMT)], "有限责任公司（台港澳自然人独资）"),
        (LLC, [Holder(LEGAL, HMT)], "有限责任公司（台港澳法人独资）"),
        (LLC, [Holder(NATURAL, HMT), Holder(NATURAL, CN)], "有限责任公司（港澳台投资、非独资）"),
        (LLC, [Holder(NATURAL, ABROAD)], "有限责任公司（外国自然人独资）"),
        (LLC, [Holder(LEGAL, ABROAD)], "有限责任公司（外国法人独资）"),
        (LLC, [Holder(NATURAL, ABROAD), Holder(LEGAL, ABROAD)], "有限责任公司（外商投资、非独资）"),
        # A foreign investor among Hong Kong ones makes the company foreign-invested.
        (LLC, [Holder(NATURAL, HMT), Holder(LEGAL, ABROAD)], "有限责任公司（外商投资、非独资）"),
        (
            Form.JOINT_STOCK,
            [Holder(NATURAL, CN), Holder(LEGAL, CN)],
            "股份有限公司（非上市、自然人投资或控股）",
        ),
        (Form.JOINT_STOCK, [Holder(LEGAL, CN), Holder(LEGAL, CN)], "股份有限公司（非上市）"),
        (Form.JOINT_STOCK, [Holder(LEGAL, HMT)], "股份有限公司（港澳台投资、未上市）"),
        (Form.JOINT_STOCK, [Holder(LEGAL, ABROAD)], "股份有限公司（外商投资、未上市）"),
    ],
)
def test_wording_follows_the_shareholders(form: Form, holders: list[Holder], zh: str) -> None:
    assert enterprise_type(form, holders).zh == zh


@pytest.mark.parametrize("key", sorted(ENTERPRISE_TYPES))
def test_every_wording_prints_in_three_languages(key: str) -> None:
    wording = ENTERPRISE_TYPES[key]
    assert len(wording.zh) <= MAX_COMPANY_TYPE_ZH_LENGTH
    for text in (wording.en, wording.fr):
        assert text
        assert len(text) <= MAX_COMPANY_TYPE_LATIN_LENGTH
        assert "  " not in text
    for text in (wording.zh, wording.en, wording.fr):
        check_coverage(key, text)
    # Each case reads differently in every language, or two types would print alike.
    others = [w for w in ENTERPRISE_TYPES.values() if w.key != key]
    assert all(wording.en != o.en and wording.fr != o.fr for o in others)


@pytest.mark.parametrize(
    ("country", "origin"),
    [("CHN", CN), ("HKG", HMT), ("MAC", HMT), ("TWN", HMT), ("FRA", ABROAD), ("USA", ABROAD)],
)
def test_origin_of_a_country(country: str, origin: Origin) -> None:
    assert origin_of(country) is origin
