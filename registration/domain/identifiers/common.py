"""What every identifier family shares: the error tree, the review `Flag`, input clean-up.

No standard of its own. Every parser in this package raises an `IdentifierError` whose `code`
is stable (the API and the officer console key on it) and whose message names the field and the
1-based character position at fault.

Exception tree::

    ValueError
    └── IdentifierError              invalid_identifier (base; never raised itself)
        ├── InvalidLength            invalid_length
        ├── InvalidFormat            invalid_format      (character outside the alphabet, bad shape)
        ├── InvalidCheckDigit        invalid_check_digit (a check digit guarding one field:
        │                                                 GB 11714 organisation code, MRZ fields)
        ├── ChecksumMismatch         checksum_mismatch   (the check character over the whole
        │                                                 number, or the MRZ composite digit)
        ├── InvalidDate              invalid_date
        │   └── InvalidBirthDate     invalid_birth_date
        ├── InvalidRegion            invalid_region
        ├── MrzMismatch              mrz_mismatch        (MRZ disagrees with the typed number)
        └── UnsupportedType          unsupported_type    (unknown document type or scheme)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import ClassVar, Final, Literal

__all__ = [
    "ChecksumMismatch",
    "Flag",
    "IdentifierError",
    "InvalidBirthDate",
    "InvalidCheckDigit",
    "InvalidDate",
    "InvalidFormat",
    "InvalidLength",
    "InvalidRegion",
    "MrzMismatch",
    "Sex",
    "UnsupportedType",
]

Sex = Literal["M", "F", "X"]

# The authority's calendar day: a birth date "in the future" is judged in China Standard Time.
_CHINA_STANDARD_TIME: Final = timezone(timedelta(hours=8), "CST")


def _today() -> date:
    return datetime.now(UTC).astimezone(_CHINA_STANDARD_TIME).date()


class IdentifierError(ValueError):
    """A number failed validation. `code` is stable; `field` and `position` locate the fault."""

    code: ClassVar[str] = "invalid_identifier"

    def __init__(self, message: str, *, field: str | None = None, position: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.position = position

    def to_dict(self) -> dict[str, str | int]:
        """A JSON-ready description, e.g. for an RFC 9457 problem's field errors."""
        out: dict[str, str | int] = {"code": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.position is not None:
            out["position"] = self.position
        return out


class InvalidLength(IdentifierError):
    code = "invalid_length"


class InvalidFormat(IdentifierError):
    code = "invalid_format"


class InvalidCheckDigit(IdentifierError):
    code = "invalid_check_digit"


class ChecksumMismatch(IdentifierError):
    code = "checksum_mismatch"


class InvalidDate(IdentifierError):
    code = "invalid_date"


class InvalidBirthDate(InvalidDate):
    code = "invalid_birth_date"


class InvalidRegion(IdentifierError):
    code = "invalid_region"


class MrzMismatch(IdentifierError):
    code = "mrz_mismatch"


class UnsupportedType(IdentifierError):
    code = "unsupported_type"


@dataclass(frozen=True)
class Flag:
    """A finding that needs an officer's review but does not reject the number."""

    code: str
    message: str
    position: int | None = None


def _compact(number: str) -> str:
    """Upper-case and drop the spaces and hyphens people type between groups."""
    return re.sub(r"[\s\-]", "", number).upper()


def _first_bad(text: str, allowed: str, offset: int = 0) -> tuple[int, str] | None:
    for index, char in enumerate(text):
        if char not in allowed:
            return offset + index + 1, char
    return None


_DIGITS: Final = "0123456789"
_LETTERS: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
