"""French SIREN: the contract example, precise errors, and the Luhn guarantee (and only that)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.fr import siren as stdnum_siren

from registration.domain.identifiers import (
    ChecksumMismatch,
    IdentifierError,
    InvalidFormat,
    InvalidLength,
    Siren,
    parse_siren,
)
from tests.domain.identifiers.support import DIGITS, substitute


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
    mutated = substitute(number, index, replacement)
    assert not stdnum_siren.is_valid(mutated)
    with pytest.raises(ChecksumMismatch):
        parse_siren(mutated)
