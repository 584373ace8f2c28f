"""Hong Kong identity card number: 1-2 letters, 6 digits and a mod-11 check character.

The card is issued under the Registration of Persons Ordinance (Cap. 177). No published standard
defines the check character; this is the weighted mod-11 scheme in common use, checked against
the contract examples. python-stdnum has no HKID module, so it is written here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Final

from registration.domain.identifiers.common import (
    _DIGITS,
    _LETTERS,
    ChecksumMismatch,
    IdentifierError,
    InvalidFormat,
    InvalidLength,
)

__all__ = ["Hkid", "parse_hkid"]

# Written as A123456(3); people also type A1234563, A123456 3, or lower case.
_HKID_RE: Final = re.compile(r"([A-Z]{1,2})(\d{6})(?:\(([0-9A])\)|([0-9A]))")

# The missing first letter of a one-letter prefix is a space valued 36 in the weighted sum.
# Some descriptions use 58 instead; 58 ≡ 36 (mod 11), so both give the same check character.
_HKID_SPACE_VALUE: Final = 36


@dataclass(frozen=True)
class Hkid:
    """A Hong Kong identity card number; `number` is the compact form, e.g. 'A1234563'."""

    number: str
    prefix: str
    digits: str
    check_character: str
    doc_type: ClassVar[str] = "hkid"

    @property
    def formatted(self) -> str:
        """The form printed on the card: A123456(3)."""
        return f"{self.prefix}{self.digits}({self.check_character})"


def _hkid_check(prefix: str, digits: str) -> str:
    values = [_HKID_SPACE_VALUE] if len(prefix) == 1 else []
    values += [_LETTERS.index(c) + 10 for c in prefix]
    values += [int(d) for d in digits]
    total = sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def _hkid_shape_error(text: str) -> IdentifierError:
    """Why `text` (spaces removed) is not written like A123456(3), at the first fault."""
    compact = re.sub(r"[()]", "", text)
    if not 8 <= len(compact) <= 9:
        return InvalidLength(
            "an HKID number is 1-2 letters, 6 digits and a check character, e.g. A123456(3)",
            field="number",
        )
    letters = 2 if len(compact) == 9 else 1
    for index, char in enumerate(compact):
        if index < letters:
            ok = char in _LETTERS
        elif index < letters + 6:
            ok = char in _DIGITS
        else:
            ok = char in _DIGITS + "A"
        if not ok:
            return InvalidFormat(
                f"character {char!r} at position {index + 1} is not allowed there "
                "(letters, then 6 digits, then 0-9 or A)",
                field="number",
                position=index + 1,
            )
    return InvalidFormat("write the number as A123456(3), A1234563 or A123456 3", field="number")


def parse_hkid(number: str) -> Hkid:
    """Parse a Hong Kong identity card number, checking its check character (mod 11)."""
    # Spaces carry no meaning ("A123456 3"); only the parenthesised check character is checked
    # for shape, so "A123456(3" is refused rather than guessed at.
    text = re.sub(r"\s+", "", number).upper()
    match = _HKID_RE.fullmatch(text)
    if match is None:
        raise _hkid_shape_error(text)
    prefix, digits = match.group(1), match.group(2)
    check = match.group(3) or match.group(4)
    expected = _hkid_check(prefix, digits)
    if check != expected:
        raise ChecksumMismatch(
            f"check character is {check!r} but {prefix}{digits} gives {expected!r}",
            field="number",
            position=len(prefix) + 7,
        )
    return Hkid(number=prefix + digits + check, prefix=prefix, digits=digits, check_character=check)
