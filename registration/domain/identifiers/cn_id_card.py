"""Mainland resident identity card number (GB 11643-1999).

python-stdnum supplies the ISO 7064 MOD 11-2 check character (`stdnum.cn.ric`) and the GB/T 2260
division-code table (`stdnum.numdb`); its `ric.validate` is not used (see `parse_cn_id_card`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Final

from stdnum import numdb
from stdnum.cn import ric as stdnum_ric

from registration.domain.identifiers.common import (
    _DIGITS,
    ChecksumMismatch,
    InvalidBirthDate,
    InvalidFormat,
    InvalidLength,
    InvalidRegion,
    Sex,
    _compact,
    _first_bad,
    _today,
)

__all__ = ["CnIdCard", "parse_cn_id_card"]

# The earliest birth year we believe: nobody born before 1900 is alive to register a company.
_EARLIEST_BIRTH: Final = date(1900, 1, 1)

# Hong Kong, Macao and Taiwan residence permits use GB 11643 numbers with the codes 810000,
# 820000 and 830000 (2018 residence-permit rules); stdnum's table lacks 830000.
_RESIDENCE_PERMIT_REGIONS: Final = frozenset({"810000", "820000", "830000"})


@dataclass(frozen=True)
class CnIdCard:
    """A mainland resident identity card number (GB 11643-1999)."""

    number: str
    region_code: str
    birth_date: date
    sequence: str
    sex: Sex
    check_character: str
    doc_type: ClassVar[str] = "cn_id_card"


def _division_known(code: str) -> bool:
    if code in _RESIDENCE_PERMIT_REGIONS:
        return True
    parts = numdb.get("cn/loc").info(code)
    # A hit looks like [('44', {'province': …}), ('1900', {'county': …})]; an unknown county
    # comes back with empty properties.
    return len(parts) == 2 and all(props for _, props in parts)


def _id_card_shape(number: str) -> str:
    """The compact number, once it is 17 digits and a check character (digit or X)."""
    value = _compact(number)
    if len(value) == 15 and value.isdigit():
        raise InvalidLength(
            "15-digit first-generation numbers are no longer valid; give the 18-character "
            "number (GB 11643-1999)",
            field="number",
        )
    if len(value) != 18:
        raise InvalidLength(
            f"a resident ID number has 18 characters (GB 11643-1999), got {len(value)}",
            field="number",
        )
    bad = _first_bad(value[:17], _DIGITS)
    if bad is not None:
        raise InvalidFormat(
            f"position {bad[0]} must be a digit, got {bad[1]!r}", field="number", position=bad[0]
        )
    if value[17] not in _DIGITS + "X":
        raise InvalidFormat(
            f"the check character (position 18) is a digit or X, got {value[17]!r}",
            field="number",
            position=18,
        )
    return value


def _id_card_birth_date(value: str, today: date) -> date:
    # GB 11643 §5.2: positions 7-14 are the birth date as YYYYMMDD.
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidBirthDate(
            f"positions 7-14 ({value[6:14]}) are not a calendar date",
            field="birth_date",
            position=7,
        ) from None
    if birth > today:
        raise InvalidBirthDate(
            f"birth date {birth.isoformat()} is in the future", field="birth_date", position=7
        )
    if birth < _EARLIEST_BIRTH:
        raise InvalidBirthDate(
            f"birth date {birth.isoformat()} is before {_EARLIEST_BIRTH.year}",
            field="birth_date",
            position=7,
        )
    return birth


def _id_card_region(value: str) -> str:
    region = value[:6]
    if not _division_known(region):
        raise InvalidRegion(
            f"positions 1-6 ({region}) are not a GB/T 2260 administrative division code",
            field="region_code",
            position=1,
        )
    return region


def _verify_id_card_check(value: str) -> None:
    # ISO 7064 MOD 11-2 (GB 11643 §5.4), as computed by stdnum.
    expected = stdnum_ric.calc_check_digit(value)
    if value[17] != expected:
        raise ChecksumMismatch(
            f"check character (position 18, ISO 7064 MOD 11-2) is {value[17]!r} but the first "
            f"17 digits give {expected!r}",
            field="number",
            position=18,
        )


def parse_cn_id_card(number: str, *, today: date | None = None) -> CnIdCard:
    """Parse an 18-character resident ID number (GB 11643-1999).

    Order of checks: shape, birth date, region, check character — a typo inside the birth
    date or region is reported where it is rather than as a bare checksum failure.

    The region rule is "a division code that existed in some year": GB 11643 §5.1 codes the
    residence when the number was assigned, not the birthplace, so stdnum's `ric.validate`
    (which ties the code to the birth year) wrongly rejects e.g. a Dongguan (441900, created
    1988) number of someone born in 1985.
    """
    value = _id_card_shape(number)
    birth = _id_card_birth_date(value, today or _today())
    region = _id_card_region(value)
    _verify_id_card_check(value)
    # GB 11643 §5.3: the sequence code is odd for men and even for women.
    sex: Sex = "M" if int(value[16]) % 2 else "F"
    return CnIdCard(
        number=value,
        region_code=region,
        birth_date=birth,
        sequence=value[14:17],
        sex=sex,
        check_character=value[17],
    )
