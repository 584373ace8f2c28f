"""USCC (GB 32100-2015) and organisation code (GB 11714-1997): published examples, precise
errors, and the error-detection guarantee of the mod-31 check (and only that)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from registration.domain.identifiers import (
    USCC_ALPHABET,
    ChecksumMismatch,
    IdentifierError,
    InvalidCheckDigit,
    InvalidFormat,
    InvalidLength,
    Uscc,
    check_received_uscc,
    compute_organisation_check,
    compute_uscc,
    parse_uscc,
)
from tests.domain.identifiers.support import DIGITS, substitute


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
    mutated = substitute(code, index, replacement)
    with pytest.raises(IdentifierError):
        parse_uscc(mutated)
    assert "checksum_mismatch" in [f.code for f in check_received_uscc(mutated).flags]
