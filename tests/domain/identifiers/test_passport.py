"""Passport MRZ, ICAO Doc 9303 TD3: the specimen, the contract examples, comparison with the
payload, precise errors, and the error-detection guarantee of the check digits (and only that)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registration.domain.identifiers import (
    ChecksumMismatch,
    IdentifierError,
    InvalidBirthDate,
    InvalidCheckDigit,
    InvalidDate,
    InvalidFormat,
    InvalidLength,
    MrzFieldMismatch,
    compare_mrz,
    mrz_check_digit,
    parse_mrz,
)
from tests.domain.identifiers.support import DIGITS, ICAO_SPECIMEN, TODAY, load_contract, substitute


def _line2(
    number: str = "L898902C3",
    nationality: str = "UTO",
    birth: str = "740812",
    sex: str = "F",
    expiry: str = "120415",
    personal: str = "ZE184226B",
) -> str:
    """Build a TD3 line 2 with correct check digits (ICAO 9303 Part 4 §4.2.2)."""
    number, personal = number.ljust(9, "<"), personal.ljust(14, "<")
    line = (
        number
        + mrz_check_digit(number)
        + nationality
        + birth
        + mrz_check_digit(birth)
        + sex
        + expiry
        + mrz_check_digit(expiry)
        + personal
        + mrz_check_digit(personal)
    )
    return line + mrz_check_digit(line[0:10] + line[13:20] + line[21:43])


def test_icao_9303_specimen() -> None:
    mrz = parse_mrz(ICAO_SPECIMEN, today=TODAY)
    assert mrz.document_code == "P"
    assert mrz.issuing_state == "UTO"
    assert mrz.primary_identifier == "ERIKSSON"
    assert mrz.secondary_identifier == "ANNA MARIA"
    assert mrz.document_number == "L898902C3"
    assert mrz.nationality == "UTO"
    assert mrz.birth_date == date(1974, 8, 12)
    assert mrz.sex == "F"
    assert mrz.expiry_date == date(2012, 4, 15)
    assert mrz.personal_number == "ZE184226B"
    assert mrz.is_expired(TODAY)
    assert _line2() == ICAO_SPECIMEN[1]


def test_contract_paris_mrzs_validate_and_match_the_payload() -> None:
    application = load_contract("application-paris.json")
    for person in application["persons"]:
        document = person["document"]
        mrz = parse_mrz(document["mrz"], today=TODAY)
        assert mrz.issuing_state == "FRA"
        assert person["name"] == f"{mrz.secondary_identifier.title()} {mrz.primary_identifier}"
        assert not mrz.is_expired(TODAY)
        assert mrz.personal_number is None
        assert (
            compare_mrz(
                mrz,
                document_number=document["number"],
                birth_date=date.fromisoformat(person["birth_date"]),
                nationality=person["nationality"],
                sex=person["sex"],
            )
            == []
        )


def test_compare_mrz_lists_each_disagreement() -> None:
    mrz = parse_mrz(ICAO_SPECIMEN, today=TODAY)
    mismatches = compare_mrz(
        mrz,
        document_number="L898902C4",
        birth_date=date(1974, 8, 13),
        nationality="SWE",
        sex="M",
    )
    assert [m.field for m in mismatches] == ["document_number", "birth_date", "nationality", "sex"]
    assert mismatches[0] == MrzFieldMismatch("document_number", "L898902C3", "L898902C4")
    assert all(m.code == "mrz_mismatch" for m in mismatches)
    assert "L898902C4" in mismatches[0].message


def test_compare_mrz_normalises_the_payload() -> None:
    mrz = parse_mrz(ICAO_SPECIMEN, today=TODAY)
    assert compare_mrz(mrz, document_number="l898902c3", nationality="uto", sex="f") == []


def test_compare_mrz_knows_icao_code_d_for_germany() -> None:
    lines = ("P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<", _line2(nationality="D<<"))
    mrz = parse_mrz(lines, today=TODAY)
    assert mrz.nationality == "D"
    assert compare_mrz(mrz, nationality="DEU") == []


def test_unknown_birth_date_parts_and_unspecified_sex() -> None:
    lines = (ICAO_SPECIMEN[0], _line2(birth="74<<<<", sex="<", personal=""))
    mrz = parse_mrz(lines, today=TODAY)
    assert mrz.birth_date is None
    assert mrz.sex == "X"
    assert mrz.personal_number is None
    assert compare_mrz(mrz, birth_date=date(1974, 1, 2), sex="X") == []
    assert [m.field for m in compare_mrz(mrz, birth_date=date(1975, 1, 2))] == ["birth_date"]


def test_unused_personal_number_may_have_filler_check_digit() -> None:
    line2 = _line2(personal="")
    filler = line2[:42] + "<" + line2[43]  # '<' and '0' weigh the same in the composite
    assert parse_mrz((ICAO_SPECIMEN[0], filler), today=TODAY).personal_number is None


def test_birth_century_is_never_in_the_future() -> None:
    lines = (ICAO_SPECIMEN[0], _line2(birth="251201"))
    assert parse_mrz(lines, today=TODAY).birth_date == date(1925, 12, 1)
    lines = (ICAO_SPECIMEN[0], _line2(birth="100101"))
    assert parse_mrz(lines, today=TODAY).birth_date == date(2010, 1, 1)


@pytest.mark.parametrize(
    ("index", "field", "error"),
    [
        (9, "document_number", InvalidCheckDigit),
        (19, "birth_date", InvalidCheckDigit),
        (27, "expiry_date", InvalidCheckDigit),
        (42, "personal_number", InvalidCheckDigit),
        (43, "composite", ChecksumMismatch),
    ],
)
def test_each_mrz_check_digit_is_verified(
    index: int, field: str, error: type[IdentifierError]
) -> None:
    line2 = ICAO_SPECIMEN[1]
    wrong = str((int(line2[index]) + 1) % 10)
    with pytest.raises(error) as caught:
        parse_mrz((ICAO_SPECIMEN[0], substitute(line2, index, wrong)), today=TODAY)
    assert caught.value.field == field
    assert caught.value.position == index + 1


@pytest.mark.parametrize(
    ("lines", "error", "field"),
    [
        ((ICAO_SPECIMEN[0],), InvalidFormat, "mrz"),
        (ICAO_SPECIMEN[0] + ICAO_SPECIMEN[1], InvalidFormat, "mrz"),
        ((ICAO_SPECIMEN[0][:-1], ICAO_SPECIMEN[1]), InvalidLength, "mrz_line_1"),
        ((ICAO_SPECIMEN[0], ICAO_SPECIMEN[1] + "<"), InvalidLength, "mrz_line_2"),
        ((ICAO_SPECIMEN[0].replace("ANNA", "AN-A"), ICAO_SPECIMEN[1]), InvalidFormat, "mrz_line_1"),
        (("I" + ICAO_SPECIMEN[0][1:], ICAO_SPECIMEN[1]), InvalidFormat, "mrz_line_1"),
        ((ICAO_SPECIMEN[0].replace("ANNA", "ANN4"), ICAO_SPECIMEN[1]), InvalidFormat, "name"),
        ((ICAO_SPECIMEN[0], _line2(birth="741312")), InvalidBirthDate, "birth_date"),
        ((ICAO_SPECIMEN[0], _line2(expiry="120431")), InvalidDate, "expiry_date"),
        ((ICAO_SPECIMEN[0], _line2(sex="Q")), InvalidFormat, "sex"),
        ((ICAO_SPECIMEN[0], _line2(nationality="U1O")), InvalidFormat, "nationality"),
        ((ICAO_SPECIMEN[0], _line2(number="L89<902C3")), InvalidFormat, "document_number"),
    ],
)
def test_mrz_errors(lines: Any, error: type[IdentifierError], field: str) -> None:
    with pytest.raises(error) as caught:
        parse_mrz(lines, today=TODAY)
    assert caught.value.field == field


# Digit positions of line 2 that a check digit guards: (0-based index, field).
_GUARDED_DIGITS = [
    *((i, "document_number") for i in range(9) if ICAO_SPECIMEN[1][i].isdigit()),
    *((i, "birth_date") for i in range(13, 19)),
    *((i, "expiry_date") for i in range(21, 27)),
    *((i, "personal_number") for i in range(28, 42) if ICAO_SPECIMEN[1][i].isdigit()),
]


@given(st.sampled_from(_GUARDED_DIGITS), st.sampled_from(DIGITS))
def test_every_digit_substitution_in_a_digit_field_is_caught(
    target: tuple[int, str], replacement: str
) -> None:
    # ICAO 9303 Part 3 §4.9: weights 7, 3, 1 are coprime to 10, so replacing one digit by
    # another always changes that field's check digit.
    index, field = target
    line2 = ICAO_SPECIMEN[1]
    if line2[index] == replacement:
        return
    with pytest.raises(InvalidCheckDigit) as caught:
        parse_mrz((ICAO_SPECIMEN[0], substitute(line2, index, replacement)), today=TODAY)
    assert caught.value.field == field


def test_a_letter_for_digit_substitution_can_go_unnoticed() -> None:
    # The guarantee stops at digits: '9' (9) and 'J' (19) weigh the same modulo 10 at weight 1,
    # and the composite reuses the same weights, so this misread passes every check.
    line2 = substitute(ICAO_SPECIMEN[1], 2, "J")
    assert parse_mrz((ICAO_SPECIMEN[0], line2), today=TODAY).document_number == "L8J8902C3"
