"""Mainland resident ID card (GB 11643-1999): the standard's example, the contract examples,
precise errors, and the error-detection guarantee of ISO 7064 MOD 11-2 (and only that)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric

from registration.domain.identifiers import (
    ChecksumMismatch,
    CnIdCard,
    IdentifierError,
    InvalidBirthDate,
    InvalidFormat,
    InvalidLength,
    InvalidRegion,
    parse_cn_id_card,
)
from tests.domain.identifiers.support import DIGITS, TODAY, substitute


def _id_number(region: str, birth: str, sequence: str) -> str:
    first17 = region + birth + sequence
    return first17 + stdnum_ric.calc_check_digit(first17 + "0")


def test_gb_11643_example_validates() -> None:
    card = parse_cn_id_card("11010519491231002X", today=TODAY)
    assert card == CnIdCard(
        number="11010519491231002X",
        region_code="110105",
        birth_date=date(1949, 12, 31),
        sequence="002",
        sex="F",
        check_character="X",
    )


@pytest.mark.parametrize(
    ("number", "birth", "sex"),
    [
        ("441900198503170115", date(1985, 3, 17), "M"),
        ("44030119900702022X", date(1990, 7, 2), "F"),
        ("44030119900702022x", date(1990, 7, 2), "F"),
    ],
)
def test_contract_id_cards_validate(number: str, birth: date, sex: str) -> None:
    card = parse_cn_id_card(number, today=TODAY)
    assert card.number == number.upper()
    assert card.birth_date == birth
    assert card.sex == sex


def test_dongguan_code_is_valid_for_people_born_before_the_city() -> None:
    # 441900 dates from 1988; the code is the residence when the number was assigned
    # (GB 11643 §5.1), so a 1985 birth with 441900 is lawful — stdnum's validate refuses it.
    assert not stdnum_ric.is_valid("441900198503170115")
    assert parse_cn_id_card("441900198503170115", today=TODAY).region_code == "441900"


def test_residence_permit_regions_are_accepted() -> None:
    for region in ("810000", "820000", "830000"):
        number = _id_number(region, "19800101", "001")
        assert parse_cn_id_card(number, today=TODAY).region_code == region


@pytest.mark.parametrize(
    ("number", "error", "field"),
    [
        ("441900850317011", InvalidLength, "number"),  # first-generation 15 digits
        ("4419001985031701", InvalidLength, "number"),
        ("44190019850317011A", InvalidFormat, "number"),
        ("4419001985A317011X", InvalidFormat, "number"),
        (_id_number("441900", "19850231", "011"), InvalidBirthDate, "birth_date"),
        (_id_number("441900", "20251130", "011"), InvalidBirthDate, "birth_date"),  # future
        (_id_number("441900", "18991231", "011"), InvalidBirthDate, "birth_date"),
        (_id_number("999999", "19850317", "011"), InvalidRegion, "region_code"),
        (_id_number("441999", "19850317", "011"), InvalidRegion, "region_code"),
        ("441900198503170116", ChecksumMismatch, "number"),
    ],
)
def test_id_card_errors(number: str, error: type[IdentifierError], field: str) -> None:
    with pytest.raises(error) as caught:
        parse_cn_id_card(number, today=TODAY)
    assert caught.value.field == field


def test_birth_date_today_is_accepted() -> None:
    number = _id_number("441900", TODAY.strftime("%Y%m%d"), "012")
    assert parse_cn_id_card(number, today=TODAY).sex == "F"


@given(st.integers(0, 17), st.data())
def test_every_single_substitution_in_an_id_number_is_caught(
    index: int, data: st.DataObject
) -> None:
    # ISO 7064 MOD 11-2: every weight 2^(17-i) mod 11 is non-zero and 11 is prime, so a single
    # substituted character always changes the check character.
    number = "441900198503170115"
    alphabet = DIGITS + "X" if index == 17 else DIGITS
    replacement = data.draw(st.sampled_from(alphabet).filter(lambda c: c != number[index]))
    mutated = substitute(number, index, replacement)
    assert stdnum_ric.calc_check_digit(mutated) != mutated[17]
    with pytest.raises(IdentifierError):
        parse_cn_id_card(mutated, today=TODAY)
