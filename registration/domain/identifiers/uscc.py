"""Unified social credit code (GB 32100-2015) and its organisation code (GB 11714-1997).

Positions 9-17 of a USCC are a GB 11714 organisation code (8-character body and its check
character); position 18 is the GB 32100 §5 mod-31 check character over the first 17. The mod-31
check is python-stdnum's (`stdnum.cn.uscc.calc_check_digit`); its `validate` is not used (see
`parse_uscc`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from stdnum.cn import uscc as stdnum_uscc

from registration.domain.identifiers.common import (
    _DIGITS,
    _LETTERS,
    ChecksumMismatch,
    Flag,
    IdentifierError,
    InvalidCheckDigit,
    InvalidFormat,
    InvalidLength,
    _compact,
    _first_bad,
)

__all__ = [
    "USCC_ALPHABET",
    "Uscc",
    "UsccCheck",
    "check_received_uscc",
    "compute_organisation_check",
    "compute_uscc",
    "parse_uscc",
]

# GB 32100-2015 §4.2: the code uses digits and upper-case Latin letters except I, O, S, V, Z,
# which are too easily confused with 1, 0, 5, U and 2. A character's value is its index here.
USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# GB 11714-1997 §5: organisation-code check character weights for the 8 body characters.
_ORGANISATION_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)


def _organisation_value(char: str) -> int:
    # GB 11714 values letters by their place in the full Latin alphabet (A=10 … Z=35), unlike
    # the mod-31 check of GB 32100, which uses the index in the 31-character alphabet.
    return int(char) if char.isdigit() else _LETTERS.index(char) + 10


def compute_organisation_check(body8: str) -> str:
    """GB 11714-1997 §5 check character for an 8-character organisation-code body."""
    total = sum(
        _organisation_value(c) * w for c, w in zip(body8, _ORGANISATION_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _uscc_check(first17: str) -> str:
    # GB 32100-2015 §5: weights 3^(i-1) mod 31 for i = 1..17; check = 31 - (sum mod 31), with
    # 31 written as '0'. stdnum implements exactly this, over the full alphabet at every position.
    return str(stdnum_uscc.calc_check_digit(first17))


@dataclass(frozen=True)
class Uscc:
    """A unified social credit code split into its GB 32100-2015 §4.1 fields."""

    value: str
    registration_department: str  # position 1 (GB 32100 Table 1; '9' = market regulation)
    organisation_category: str  # position 2 ('1' = enterprise under department '9')
    region_code: str  # positions 3-8, GB/T 2260 administrative division
    organisation_code: str  # positions 9-17, GB 11714 body + check character
    check_character: str  # position 18

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class UsccCheck:
    """A received USCC that is well formed; `flags` lists failed check characters, if any."""

    value: Uscc
    flags: list[Flag]

    @property
    def needs_review(self) -> bool:
        return bool(self.flags)


def _require_alphabet(text: str, field: str, offset: int = 0) -> None:
    bad = _first_bad(text, USCC_ALPHABET, offset)
    if bad is not None:
        position, char = bad
        raise InvalidFormat(
            f"{field}: character {char!r} at position {position} is not in the GB 32100 "
            "alphabet (digits and letters except I, O, S, V, Z)",
            field=field,
            position=position,
        )


def compute_uscc(dept: str, category: str, region: str, body8: str) -> str:
    """Build a valid USCC from its parts, adding both check characters.

    Used by the allocator, e.g. ``compute_uscc("9", "1", "441900", "MA4UHF0X")``; the body is
    the 8-character organisation-code body, whose GB 11714 check character becomes position 17.
    """
    dept, category, region, body8 = (p.upper() for p in (dept, category, region, body8))
    if len(dept) != 1:
        raise InvalidLength("registration department code is 1 character", field="dept")
    if len(category) != 1:
        raise InvalidLength("organisation category code is 1 character", field="category")
    if len(region) != 6:
        raise InvalidLength("region code is 6 digits (GB/T 2260)", field="region")
    if len(body8) != 8:
        raise InvalidLength("organisation code body is 8 characters", field="body8")
    _require_alphabet(dept, "dept")
    _require_alphabet(category, "category")
    bad = _first_bad(region, _DIGITS)
    if bad is not None:
        raise InvalidFormat(f"region code: {bad[1]!r} is not a digit", field="region")
    _require_alphabet(body8, "body8")
    first17 = dept + category + region + body8 + compute_organisation_check(body8)
    return first17 + _uscc_check(first17)


def _parse_uscc_structure(code: str) -> Uscc:
    value = _compact(code)
    if len(value) != 18:
        raise InvalidLength(
            f"a USCC has 18 characters (GB 32100-2015 §4.1), got {len(value)}", field="uscc"
        )
    _require_alphabet(value, "uscc")
    # §4.1: positions 3-8 are a GB/T 2260 division code, which is always numeric.
    bad = _first_bad(value[2:8], _DIGITS, offset=2)
    if bad is not None:
        raise InvalidFormat(
            f"region code (positions 3-8) must be digits; {bad[1]!r} at position {bad[0]}",
            field="region_code",
            position=bad[0],
        )
    return Uscc(
        value=value,
        registration_department=value[0],
        organisation_category=value[1],
        region_code=value[2:8],
        organisation_code=value[8:17],
        check_character=value[17],
    )


def _uscc_check_failures(uscc: Uscc) -> list[IdentifierError]:
    failures: list[IdentifierError] = []
    value = uscc.value
    expected_org = compute_organisation_check(value[8:16])
    if value[16] != expected_org:
        failures.append(
            InvalidCheckDigit(
                f"organisation code check character (position 17, GB 11714) is {value[16]!r} "
                f"but the body {value[8:16]} gives {expected_org!r}",
                field="organisation_code",
                position=17,
            )
        )
    expected = _uscc_check(value[:17])
    if value[17] != expected:
        failures.append(
            ChecksumMismatch(
                f"check character (position 18, GB 32100 §5) is {value[17]!r} but the first "
                f"17 characters give {expected!r}",
                field="uscc",
                position=18,
            )
        )
    return failures


def parse_uscc(code: str) -> Uscc:
    """Parse a USCC strictly: structure, GB 11714 check (position 17) and mod-31 check (18).

    Use this for codes we issue. Spaces and hyphens are ignored; letters may be lower case.
    stdnum's `uscc.validate` is not used: it checks neither position 17 nor allows the
    letter department codes GB 32100 Table 1 defines (e.g. 'Y', other departments).
    """
    uscc = _parse_uscc_structure(code)
    failures = _uscc_check_failures(uscc)
    if failures:
        raise failures[0]
    return uscc


def check_received_uscc(code: str) -> UsccCheck:
    """Check a USCC received from an applicant (e.g. a corporate shareholder's).

    A malformed code (length, alphabet, non-numeric region) raises. Failing check characters
    only produce flags for officer review: some early, legally issued codes fail them
    (DESIGN §3), so rejecting them would turn away lawful companies.
    """
    uscc = _parse_uscc_structure(code)
    flags = [
        Flag(code=failure.code, message=failure.message, position=failure.position)
        for failure in _uscc_check_failures(uscc)
    ]
    return UsccCheck(value=uscc, flags=flags)
