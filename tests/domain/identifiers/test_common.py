"""The error tree every identifier family raises: stable codes, field and position."""

from __future__ import annotations

import pytest

from registration.domain.identifiers import (
    ChecksumMismatch,
    IdentifierError,
    InvalidBirthDate,
    InvalidCheckDigit,
    InvalidDate,
    InvalidFormat,
    InvalidLength,
    InvalidRegion,
    MrzMismatch,
    UnsupportedType,
    parse_cn_id_card,
)
from tests.domain.identifiers.support import TODAY


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
