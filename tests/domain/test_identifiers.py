"""Identifier validation: published examples, the contract examples, precise errors, and the
error-detection guarantees each standard makes (and only those)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc
from stdnum.fr import siren as stdnum_siren

from registration.domain.identifiers import (
    USCC_ALPHABET,
    ChecksumMismatch,
    CnIdCard,
    Hkid,
    IdentifierError,
    InvalidBirthDate,
    InvalidCheckDigit,
    InvalidDate,
    InvalidFormat,
    InvalidLength,
    InvalidRegion,
    MrzFieldMismatch,
    MrzMismatch,
    Passport,
    Siren,
    UnsupportedType,
    Uscc,
    check_received_uscc,
    compare_mrz,
    compute_organisation_check,
    compute_uscc,
    mrz_check_digit,
    parse_cn_id_card,
    parse_hkid,
    parse_mrz,
    parse_siren,
    parse_uscc,
    validate_document,
    validate_registration,
)

CONTRACT = Path(__file__).resolve().parents[1] / "contract"
TODAY = date(2025, 11, 29)
DIGITS = "0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CONTRACT / name).read_text("utf-8"))
    return data


def _substitute(text: str, index: int, char: str) -> str:
    return text[:index] + char + text[index + 1 :]


# ---------------------------------------------------------------------------------------------
# Error objects
# ---------------------------------------------------------------------------------------------


def test_errors_are_value_errors_with_stable_codes() -> None:
    codes = {
        InvalidLength: "invalid_length",
        InvalidFormat: "invalid_format",
        InvalidCheckDigit: "invalid_check_digit",
        ChecksumMismatch: "checksum_mismatch",
        InvalidDate: "invalid_date",
        InvalidBirthDate: "invalid_birth_date",
        InvalidRegion: "invalid_region",
        MrzMismatch: "mrz_mismatch",
        UnsupportedType: "unsupported_type",
    }
    for cls, code in codes.items():
        assert issubclass(cls, IdentifierError)
        assert issubclass(cls, ValueError)
        assert cls.code == code


def test_error_to_dict_names_field_and_position() -> None:
    with pytest.raises(ChecksumMismatch) as caught:
        parse_cn_id_card("110105194912310021", today=TODAY)
    assert caught.value.to_dict() == {
        "code": "checksum_mismatch",
        "message": caught.value.message,
        "field": "number",
        "position": 18,
    }
    assert "position 18" in caught.value.message


# ---------------------------------------------------------------------------------------------
# USCC — GB 32100-2015, organisation code GB 11714
# ---------------------------------------------------------------------------------------------


def _reference_uscc_check(first17: str) -> str:
    # GB 32100-2015 §5 written out independently: weights 3^(i-1) mod 31, check 31 - sum mod 31.
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return USCC_ALPHABET[(31 - total % 31) % 31]


uscc_chars = st.sampled_from(USCC_ALPHABET)
digit_chars = st.sampled_from(DIGITS)


@st.composite
def valid_usccs(draw: st.DrawFn) -> str:
    return compute_uscc(
        draw(uscc_chars),
        draw(uscc_chars),
        "".join(draw(st.lists(digit_chars, min_size=6, max_size=6))),
        "".join(draw(st.lists(uscc_chars, min_size=8, max_size=8))),
    )


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341L",  # python-stdnum's documented example
        "91110000802100433B",  # checked by hand: GB 11714 and mod-31 both hold; stdnum agrees
    ],
)
def test_published_usccs_parse(code: str) -> None:
    uscc = parse_uscc(code)
    assert uscc.value == code
    assert stdnum_uscc.is_valid(code)
    assert check_received_uscc(code).flags == []


def test_parse_uscc_splits_gb_32100_fields() -> None:
    assert parse_uscc("91110000600037341L") == Uscc(
        value="91110000600037341L",
        registration_department="9",
        organisation_category="1",
        region_code="110000",
        organisation_code="600037341",
        check_character="L",
    )


def test_compute_uscc_for_the_allocator() -> None:
    code = compute_uscc("9", "1", "441900", "MA4UHF0X")
    assert code == "91441900MA4UHF0X5Q"
    assert parse_uscc(code).region_code == "441900"
    assert stdnum_uscc.is_valid(code)


def test_gb_11714_check_character() -> None:
    # The worked example quoted with GB 11714: D2143569 → X (sum 199, 199 mod 11 = 1, 11-1 = 10).
    assert compute_organisation_check("D2143569") == "X"
    # Remainder 0 gives 11, written '0'.
    assert compute_organisation_check("00000000") == "0"
    # Letters are valued by their place in the full alphabet (J = 19), not in the USCC alphabet.
    assert compute_organisation_check("J0000000") == str(11 - (19 * 3) % 11)


@given(valid_usccs())
def test_compute_uscc_agrees_with_stdnum_and_the_standard(code: str) -> None:
    assert code[17] == _reference_uscc_check(code[:17])
    assert code[16] == compute_organisation_check(code[8:16])
    assert parse_uscc(code).value == code
    if code[:2].isdigit():  # stdnum refuses letter department/category codes (see below)
        assert stdnum_uscc.is_valid(code)


def test_letter_department_codes_are_accepted_unlike_stdnum() -> None:
    # GB 32100 Table 1 has 'Y' (other departments); stdnum insists on digits in positions 1-8.
    code = compute_uscc("Y", "1", "441900", "12345678")
    assert parse_uscc(code).registration_department == "Y"
    assert not stdnum_uscc.is_valid(code)


def test_organisation_code_check_is_checked_unlike_stdnum() -> None:
    good = compute_uscc("9", "1", "441900", "12345678")
    wrong_org = good[:16] + ("1" if good[16] != "1" else "2")
    code = wrong_org + _reference_uscc_check(wrong_org)  # position 18 made consistent again
    assert stdnum_uscc.is_valid(code)  # stdnum does not look at position 17
    with pytest.raises(InvalidCheckDigit) as caught:
        parse_uscc(code)
    assert caught.value.position == 17
    assert caught.value.field == "organisation_code"


def test_uscc_input_is_compacted() -> None:
    assert parse_uscc(" 9111 0000-6000 3734 1l ").value == "91110000600037341L"


@pytest.mark.parametrize(
    ("code", "error", "position"),
    [
        ("9111000060003734", InvalidLength, None),
        ("91110000600037341L0", InvalidLength, None),
        ("9111000060003734IL", InvalidFormat, 17),  # I is not in the alphabet
        ("91110000O00037341L", InvalidFormat, 9),  # O (letter) for 0
        ("9111A000600037341L", InvalidFormat, 5),  # region code must be digits
        ("91110000600037341M", ChecksumMismatch, 18),
        ("91110000600037342L", InvalidCheckDigit, 17),
    ],
)
def test_parse_uscc_errors(code: str, error: type[IdentifierError], position: int | None) -> None:
    with pytest.raises(error) as caught:
        parse_uscc(code)
    assert caught.value.position == position


def test_received_uscc_with_failed_checks_is_flagged_not_rejected() -> None:
    check = check_received_uscc("91110000600037342L")
    assert check.value.value == "91110000600037342L"
    assert check.needs_review
    assert [(f.code, f.position) for f in check.flags] == [
        ("invalid_check_digit", 17),
        ("checksum_mismatch", 18),
    ]
    only_18th = check_received_uscc("91110000600037341M")
    assert [f.code for f in only_18th.flags] == ["checksum_mismatch"]


def test_received_uscc_structural_errors_still_raise() -> None:
    with pytest.raises(InvalidLength):
        check_received_uscc("9111000060003734")
    with pytest.raises(InvalidFormat):
        check_received_uscc("91110000600037341Z")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("99", "1", "441900", "12345678"), "dept"),
        (("9", "1", "44190", "12345678"), "region"),
        (("9", "1", "44190A", "12345678"), "region"),
        (("9", "1", "441900", "1234567"), "body8"),
        (("9", "1", "441900", "1234567O"), "body8"),
        (("9", "I", "441900", "12345678"), "category"),
    ],
)
def test_compute_uscc_refuses_bad_parts(args: tuple[str, str, str, str], field: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        compute_uscc(*args)
    assert caught.value.field == field


@given(valid_usccs(), st.integers(0, 17), st.data())
def test_every_single_substitution_in_a_uscc_is_caught(
    code: str, index: int, data: st.DataObject
) -> None:
    # GB 32100 §5: 31 is prime and no weight is 0 mod 31, so changing one character within the
    # alphabet always changes the check. (Positions 3-8 stay digits to remain well formed.)
    alphabet = DIGITS if 2 <= index < 8 else USCC_ALPHABET
    replacement = data.draw(st.sampled_from(alphabet).filter(lambda c: c != code[index]))
    mutated = _substitute(code, index, replacement)
    with pytest.raises(IdentifierError):
        parse_uscc(mutated)
    assert "checksum_mismatch" in [f.code for f in check_received_uscc(mutated).flags]


# ---------------------------------------------------------------------------------------------
# Mainland resident ID card — GB 11643-1999
# ---------------------------------------------------------------------------------------------


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
    mutated = _substitute(number, index, replacement)
    assert stdnum_ric.calc_check_digit(mutated) != mutated[17]
    with pytest.raises(IdentifierError):
        parse_cn_id_card(mutated, today=TODAY)


# ---------------------------------------------------------------------------------------------
# Hong Kong identity card
# ---------------------------------------------------------------------------------------------


def _reference_hkid_check(prefix: str, digits: str, space_value: int) -> str:
    values = ([space_value] if len(prefix) == 1 else []) + [LETTERS.index(c) + 10 for c in prefix]
    values += [int(d) for d in digits]
    total = sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True))
    return "0123456789A"[(11 - total % 11) % 11]


@pytest.mark.parametrize(
    "written", ["V476312(2)", "V4763122", "V476312 2", "v476312(2)", " V476312 (2) "]
)
def test_hkid_written_forms(written: str) -> None:
    assert parse_hkid(written) == Hkid(
        number="V4763122", prefix="V", digits="476312", check_character="2"
    )


def test_contract_hkids_validate() -> None:
    assert parse_hkid("D807983(9)").formatted == "D807983(9)"
    assert parse_hkid("V476312(2)").formatted == "V476312(2)"


@given(
    st.text(LETTERS, min_size=1, max_size=1),
    st.text(DIGITS, min_size=6, max_size=6),
)
def test_hkid_space_value_36_and_58_agree(prefix: str, digits: str) -> None:
    # Sources disagree on the value of the padding space (36 or 58); 58 ≡ 36 (mod 11) and the
    # weight is 9, so both give the same check character — and the examples validate with it.
    check = _reference_hkid_check(prefix, digits, 36)
    assert check == _reference_hkid_check(prefix, digits, 58)
    assert parse_hkid(f"{prefix}{digits}({check})").check_character == check


@given(st.text(LETTERS, min_size=2, max_size=2), st.text(DIGITS, min_size=6, max_size=6))
def test_two_letter_hkids(prefix: str, digits: str) -> None:
    check = _reference_hkid_check(prefix, digits, 36)
    assert parse_hkid(prefix + digits + check).prefix == prefix


def test_hkid_check_character_a() -> None:
    digits = next(
        f"{n:06d}" for n in range(1_000_000) if _reference_hkid_check("A", f"{n:06d}", 36) == "A"
    )
    assert parse_hkid(f"A{digits}(A)").check_character == "A"
    assert parse_hkid(f"a{digits}(a)").number == f"A{digits}A"


@pytest.mark.parametrize(
    ("number", "error", "position"),
    [
        ("V476312(3)", ChecksumMismatch, 8),
        ("V47631(2)", InvalidLength, None),
        ("ABCV476312(2)", InvalidLength, None),
        ("V4763X2(2)", InvalidFormat, 6),
        ("7476312(2)", InvalidFormat, 1),
        ("V476312(B)", InvalidFormat, 8),
        ("V476312(2", InvalidFormat, None),
    ],
)
def test_hkid_errors(number: str, error: type[IdentifierError], position: int | None) -> None:
    with pytest.raises(error) as caught:
        parse_hkid(number)
    assert caught.value.position == position


# ---------------------------------------------------------------------------------------------
# Passport MRZ — ICAO 9303 TD3
# ---------------------------------------------------------------------------------------------

ICAO_SPECIMEN = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)


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
    application = _load("application-paris.json")
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
        parse_mrz((ICAO_SPECIMEN[0], _substitute(line2, index, wrong)), today=TODAY)
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
        parse_mrz((ICAO_SPECIMEN[0], _substitute(line2, index, replacement)), today=TODAY)
    assert caught.value.field == field


def test_a_letter_for_digit_substitution_can_go_unnoticed() -> None:
    # The guarantee stops at digits: '9' (9) and 'J' (19) weigh the same modulo 10 at weight 1,
    # and the composite reuses the same weights, so this misread passes every check.
    line2 = _substitute(ICAO_SPECIMEN[1], 2, "J")
    assert parse_mrz((ICAO_SPECIMEN[0], line2), today=TODAY).document_number == "L8J8902C3"


# ---------------------------------------------------------------------------------------------
# French SIREN
# ---------------------------------------------------------------------------------------------


def test_contract_siren_validates() -> None:
    siren = parse_siren("730187440")
    assert siren == Siren("730187440")
    assert siren.formatted == "730 187 440"
    assert parse_siren("730 187 440").number == "730187440"


@pytest.mark.parametrize(
    ("number", "error"),
    [("730187441", ChecksumMismatch), ("73018744", InvalidLength), ("73018744A", InvalidFormat)],
)
def test_siren_errors(number: str, error: type[IdentifierError]) -> None:
    with pytest.raises(error):
        parse_siren(number)


@given(st.integers(0, 8), st.sampled_from(DIGITS))
def test_every_single_digit_substitution_in_a_siren_is_caught(index: int, replacement: str) -> None:
    # Luhn detects every single-digit error (doubling is a permutation of 0-9 after digit sums).
    number = "730187440"
    if number[index] == replacement:
        return
    mutated = _substitute(number, index, replacement)
    assert not stdnum_siren.is_valid(mutated)
    with pytest.raises(ChecksumMismatch):
        parse_siren(mutated)


# ---------------------------------------------------------------------------------------------
# Dispatchers, and every identity number in the contract examples
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename",
    ["application-yinzhengtong.json", "application-hong-kong.json", "application-paris.json"],
)
def test_every_contract_document_validates(filename: str) -> None:
    application = _load(filename)
    for person in application["persons"]:
        document = person["document"]
        parsed = validate_document(
            document["type"], document["number"], document.get("mrz"), today=TODAY
        )
        assert parsed.doc_type == document["type"]
        if isinstance(parsed, CnIdCard):
            assert parsed.birth_date.isoformat() == person["birth_date"]
            assert parsed.sex == person["sex"]
    for shareholder in application["shareholders"]:
        if "entity" in shareholder:
            registration = shareholder["entity"]["registration"]
            check = validate_registration(registration["scheme"], registration["number"])
            assert check.flags == []


def test_attestation_document_validates() -> None:
    person = _load("attestation-claims.json")["person"]
    assert validate_document(person["document_type"], person["document_number"], today=TODAY)


def test_validate_document_canonical_numbers() -> None:
    assert validate_document("hkid", "v476312 (2)").number == "V4763122"
    assert validate_document("passport", "19ab12345") == Passport(number="19AB12345")


def test_passport_number_must_equal_the_mrz() -> None:
    with pytest.raises(MrzMismatch):
        validate_document("passport", "L898902C4", list(ICAO_SPECIMEN), today=TODAY)
    parsed = validate_document("passport", "L898902C3", list(ICAO_SPECIMEN), today=TODAY)
    assert isinstance(parsed, Passport)
    assert parsed.mrz is not None


@pytest.mark.parametrize(
    ("doc_type", "number", "mrz", "error"),
    [
        ("driving_licence", "X1", None, UnsupportedType),
        ("hkid", "V476312(2)", list(ICAO_SPECIMEN), InvalidFormat),
        ("passport", "L898902C30", None, InvalidLength),
        ("passport", " ", None, InvalidLength),
        ("passport", "L8989.2C3", None, InvalidFormat),
    ],
)
def test_validate_document_errors(
    doc_type: str, number: str, mrz: list[str] | None, error: type[IdentifierError]
) -> None:
    with pytest.raises(error):
        validate_document(doc_type, number, mrz, today=TODAY)


def test_validate_registration() -> None:
    received = validate_registration("cn_uscc", "91110000600037341M")
    assert received.number == "91110000600037341M"
    assert received.needs_review
    assert isinstance(received.parsed, Uscc)
    assert validate_registration("fr_siren", "730187440").parsed == Siren("730187440")
    with pytest.raises(UnsupportedType):
        validate_registration("de_hrb", "HRB 1234")
    with pytest.raises(ChecksumMismatch):
        validate_registration("fr_siren", "730187441")
