"""Passport numbers and the TD3 machine-readable zone (ICAO Doc 9303, Parts 3 and 4).

Part 3 defines the MRZ character set, the check-digit algorithm and the country codes; Part 4
the two-line TD3 layout of a passport. python-stdnum has no MRZ module, so it is written here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Final

from registration.domain.identifiers.common import (
    _DIGITS,
    _LETTERS,
    ChecksumMismatch,
    InvalidBirthDate,
    InvalidCheckDigit,
    InvalidDate,
    InvalidFormat,
    InvalidLength,
    Sex,
    _compact,
    _first_bad,
    _today,
)

__all__ = [
    "MrzFieldMismatch",
    "Passport",
    "PassportMrz",
    "compare_mrz",
    "mrz_check_digit",
    "parse_mrz",
    "parse_passport_number",
]

_MRZ_CHARS: Final = _DIGITS + _LETTERS + "<"
_MRZ_WEIGHTS: Final = (7, 3, 1)


def mrz_check_digit(field: str) -> str:
    """ICAO 9303 Part 3 §4.9 check digit: weights 7,3,1 repeating, '<' = 0, A = 10 … Z = 35."""
    total = 0
    for index, char in enumerate(field):
        if char == "<":
            value = 0
        elif char.isdigit():
            value = int(char)
        else:
            value = _LETTERS.index(char) + 10
        total += value * _MRZ_WEIGHTS[index % 3]
    return str(total % 10)


@dataclass(frozen=True)
class PassportMrz:
    """The decoded TD3 MRZ of a passport (ICAO 9303 Part 4 §4.2)."""

    lines: tuple[str, str]
    document_code: str
    issuing_state: str
    primary_identifier: str
    secondary_identifier: str
    document_number: str
    nationality: str
    birth_date: date | None  # None when the MRZ marks part of it unknown with '<'
    birth_date_raw: str  # YYMMDD as printed: the century is not encoded
    sex: Sex  # '<' (unspecified) is reported as 'X'
    expiry_date: date
    personal_number: str | None

    def is_expired(self, on: date) -> bool:
        return self.expiry_date < on


@dataclass(frozen=True)
class MrzFieldMismatch:
    """One field where the MRZ disagrees with what the applicant's payload says."""

    field: str
    mrz_value: str
    payload_value: str
    code: str = "mrz_mismatch"

    @property
    def message(self) -> str:
        return (
            f"{self.field}: the passport MRZ says {self.mrz_value!r} but the application says "
            f"{self.payload_value!r}"
        )


# (field name, line-2 slice of the data, 0-based index of its check digit)
_TD3_CHECKED_FIELDS: Final = (
    ("document_number", slice(0, 9), 9),
    ("birth_date", slice(13, 19), 19),
    ("expiry_date", slice(21, 27), 27),
    ("personal_number", slice(28, 42), 42),
)


def _yymmdd(raw: str, field: str, position: int, *, birth: bool, today: date) -> date:
    error = InvalidBirthDate if birth else InvalidDate
    try:
        yy, month, day = int(raw[:2]), int(raw[2:4]), int(raw[4:6])
        # ICAO 9303 does not encode the century. A birth date is never in the future; an
        # expiry date lies within a few decades of today.
        if birth:
            year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
            result = date(year, month, day)
            if result > today:
                result = date(year - 100, month, day)
        else:
            year = 2000 + yy if 2000 + yy <= today.year + 50 else 1900 + yy
            result = date(year, month, day)
    except ValueError:
        raise error(
            f"{field} {raw} (line 2, position {position}) is not a calendar date",
            field=field,
            position=position,
        ) from None
    return result


def _mrz_state(code: str, field: str, line: int, position: int) -> str:
    if not re.fullmatch(r"[A-Z]{1,3}<*", code):
        raise InvalidFormat(
            f"{field} (line {line}, position {position}) must be a 3-letter code, got {code!r}",
            field=field,
            position=position,
        )
    return code.rstrip("<")


def _td3_lines(lines: Sequence[str]) -> tuple[str, str]:
    """The two MRZ lines, upper-cased, once their count, length and characters are right."""
    if isinstance(lines, str) or len(lines) != 2:
        raise InvalidFormat("a passport MRZ (TD3) has exactly two lines", field="mrz")
    line1, line2 = (line.strip().upper() for line in lines)
    for number, line in ((1, line1), (2, line2)):
        if len(line) != 44:
            raise InvalidLength(
                f"MRZ line {number} has 44 characters (TD3), got {len(line)}",
                field=f"mrz_line_{number}",
            )
        bad = _first_bad(line, _MRZ_CHARS)
        if bad is not None:
            raise InvalidFormat(
                f"MRZ line {number}: character {bad[1]!r} at position {bad[0]} is not A-Z, 0-9 "
                "or '<'",
                field=f"mrz_line_{number}",
                position=bad[0],
            )
    if line1[0] != "P":
        raise InvalidFormat(
            f"MRZ line 1 must start with 'P' (passport), got {line1[0]!r}",
            field="mrz_line_1",
            position=1,
        )
    return line1, line2


def _verify_check_digits(line2: str) -> None:
    """Raise on the first field check digit, then the composite digit, that does not hold."""
    for field, part, check_index in _TD3_CHECKED_FIELDS:
        data, check = line2[part], line2[check_index]
        if field == "personal_number" and check == "<" and data == "<" * 14:
            # Part 4 §4.2.2: an unused personal number may have '<' as its check digit.
            continue
        expected = mrz_check_digit(data)
        if check != expected:
            raise InvalidCheckDigit(
                f"{field} check digit (line 2, position {check_index + 1}) is {check!r} but "
                f"{data!r} gives {expected!r}",
                field=field,
                position=check_index + 1,
            )
    # Part 4 §4.2.2: the composite check covers positions 1-10, 14-20 and 22-43 of line 2.
    composite = line2[0:10] + line2[13:20] + line2[21:43]
    expected = mrz_check_digit(composite)
    if line2[43] != expected:
        raise ChecksumMismatch(
            f"composite check digit (line 2, position 44) is {line2[43]!r} but the line gives "
            f"{expected!r}",
            field="composite",
            position=44,
        )


def _mrz_names(line1: str) -> tuple[str, str]:
    """The primary and secondary identifiers (surname, given names) of line 1."""
    # Part 4 §4.2.2 (names): primary and secondary identifiers are separated by '<<' and
    # their components by '<'; names carry no digits.
    name_field = line1[5:]
    bad = _first_bad(name_field, _LETTERS + "<", offset=5)
    if bad is not None:
        raise InvalidFormat(
            f"name (line 1, position {bad[0]}) contains {bad[1]!r}",
            field="name",
            position=bad[0],
        )
    primary, _, secondary = name_field.partition("<<")
    primary_identifier = primary.replace("<", " ").strip()
    secondary_identifier = re.sub(r" +", " ", secondary.replace("<", " ")).strip()
    if not primary_identifier:
        raise InvalidFormat("the primary identifier (surname) is empty", field="name", position=6)
    return primary_identifier, secondary_identifier


def _mrz_document_number(line2: str) -> str:
    document_number = line2[0:9].rstrip("<")
    if not document_number or "<" in document_number:
        raise InvalidFormat(
            "document number (line 2, positions 1-9) must be letters and digits, "
            "padded with '<' at the end",
            field="document_number",
            position=1,
        )
    return document_number


def _mrz_birth_date(birth_raw: str, today: date) -> date | None:
    """The birth date, or None when some of its digits are marked unknown with '<'."""
    if "<" in birth_raw:
        if not re.fullmatch(r"[0-9<]{6}", birth_raw):
            raise InvalidFormat(
                f"birth date {birth_raw} (line 2, position 14) must be digits or '<'",
                field="birth_date",
                position=14,
            )
        return None
    if birth_raw.isdigit():
        return _yymmdd(birth_raw, "birth_date", 14, birth=True, today=today)
    raise InvalidFormat(
        f"birth date {birth_raw} (line 2, position 14) must be digits",
        field="birth_date",
        position=14,
    )


def _mrz_expiry_date(expiry_raw: str, today: date) -> date:
    if not expiry_raw.isdigit():
        raise InvalidFormat(
            f"expiry date {expiry_raw} (line 2, position 22) must be digits",
            field="expiry_date",
            position=22,
        )
    return _yymmdd(expiry_raw, "expiry_date", 22, birth=False, today=today)


def _mrz_sex(sex_char: str) -> Sex:
    if sex_char not in "MFX<":
        raise InvalidFormat(
            f"sex (line 2, position 21) is M, F or '<', got {sex_char!r}",
            field="sex",
            position=21,
        )
    return "X" if sex_char in "X<" else ("M" if sex_char == "M" else "F")


def parse_mrz(lines: Sequence[str], *, today: date | None = None) -> PassportMrz:
    """Parse and check a two-line TD3 passport MRZ (ICAO 9303 Part 4 §4.2).

    Every check digit is verified (document number, birth date, expiry date, personal number,
    composite) before any field is interpreted, since a failed check digit means a misread
    character and the field's content cannot be trusted.
    """
    line1, line2 = _td3_lines(lines)
    _verify_check_digits(line2)

    today = today or _today()
    issuing_state = _mrz_state(line1[2:5], "issuing_state", 1, 3)
    nationality = _mrz_state(line2[10:13], "nationality", 2, 11)
    primary_identifier, secondary_identifier = _mrz_names(line1)
    document_number = _mrz_document_number(line2)
    birth_raw = line2[13:19]
    birth_date = _mrz_birth_date(birth_raw, today)
    expiry_date = _mrz_expiry_date(line2[21:27], today)
    sex = _mrz_sex(line2[20])
    personal = line2[28:42].rstrip("<")
    return PassportMrz(
        lines=(line1, line2),
        document_code=line1[0:2].rstrip("<"),
        issuing_state=issuing_state,
        primary_identifier=primary_identifier,
        secondary_identifier=secondary_identifier,
        document_number=document_number,
        nationality=nationality,
        birth_date=birth_date,
        birth_date_raw=birth_raw,
        sex=sex,
        expiry_date=expiry_date,
        personal_number=personal or None,
    )


# ICAO 9303 Part 3 §5 uses the one-letter code 'D' for Germany where ISO 3166 has DEU.
_ICAO_TO_ISO3166: Final = {"D": "DEU"}


def _country(code: str) -> str:
    code = code.strip().upper().rstrip("<")
    return _ICAO_TO_ISO3166.get(code, code)


def compare_mrz(
    mrz: PassportMrz,
    *,
    document_number: str | None = None,
    birth_date: date | None = None,
    nationality: str | None = None,
    sex: str | None = None,
) -> list[MrzFieldMismatch]:
    """List the fields where the MRZ and the application payload disagree (empty: they agree).

    Only the arguments given are compared. The birth date is compared as YYMMDD, the only
    precision the MRZ has (positions marked unknown with '<' match anything).
    """
    mismatches: list[MrzFieldMismatch] = []
    if document_number is not None:
        given = _compact(document_number)
        if given != mrz.document_number:
            mismatches.append(MrzFieldMismatch("document_number", mrz.document_number, given))
    if birth_date is not None:
        given_raw = birth_date.strftime("%y%m%d")
        agrees = all(m in ("<", g) for m, g in zip(mrz.birth_date_raw, given_raw, strict=True))
        if not agrees:
            shown = mrz.birth_date.isoformat() if mrz.birth_date else mrz.birth_date_raw
            mismatches.append(MrzFieldMismatch("birth_date", shown, birth_date.isoformat()))
    if nationality is not None and _country(nationality) != _country(mrz.nationality):
        mismatches.append(MrzFieldMismatch("nationality", mrz.nationality, nationality))
    if sex is not None:
        given_sex = sex.strip().upper()
        if (given_sex if given_sex in ("M", "F") else "X") != mrz.sex:
            mismatches.append(MrzFieldMismatch("sex", mrz.sex, sex))
    return mismatches


@dataclass(frozen=True)
class Passport:
    """A passport number, with its decoded MRZ when one was supplied."""

    number: str
    mrz: PassportMrz | None = None
    doc_type: ClassVar[str] = "passport"


def parse_passport_number(number: str) -> str:
    """Canonical passport number: ICAO 9303 document numbers are up to 9 letters and digits."""
    value = _compact(number)
    if not 1 <= len(value) <= 9:
        raise InvalidLength(
            f"a passport number has 1 to 9 characters (ICAO 9303), got {len(value)}",
            field="number",
        )
    bad = _first_bad(value, _DIGITS + _LETTERS)
    if bad is not None:
        raise InvalidFormat(
            f"character {bad[1]!r} at position {bad[0]} is not a letter or digit",
            field="number",
            position=bad[0],
        )
    return value
