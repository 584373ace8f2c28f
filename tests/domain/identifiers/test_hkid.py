"""Hong Kong identity card: written forms, the contract examples, the check character
(including the padding-space value sources disagree on), and precise errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registration.domain.identifiers import (
    ChecksumMismatch,
    Hkid,
    IdentifierError,
    InvalidFormat,
    InvalidLength,
    parse_hkid,
)
from tests.domain.identifiers.support import DIGITS, LETTERS


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
