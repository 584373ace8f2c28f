"""French SIREN: INSEE's 9-digit company number, guarded by a Luhn check (ISO/IEC 7812-1).

Validation is python-stdnum's (`stdnum.fr.siren`); its exceptions are mapped onto this package's.
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum import exceptions as stdnum_exceptions
from stdnum.fr import siren as stdnum_siren

from registration.domain.identifiers.common import ChecksumMismatch, InvalidFormat, InvalidLength

__all__ = ["Siren", "parse_siren"]


@dataclass(frozen=True)
class Siren:
    """A French SIREN (9 digits, Luhn check), e.g. a corporate shareholder's."""

    number: str

    @property
    def formatted(self) -> str:
        return str(stdnum_siren.format(self.number))


def parse_siren(number: str) -> Siren:
    """Validate a SIREN with stdnum.fr.siren (spaces and dots are ignored)."""
    try:
        value = str(stdnum_siren.validate(number))
    except stdnum_exceptions.InvalidLength:
        raise InvalidLength("a SIREN has 9 digits", field="number") from None
    except stdnum_exceptions.InvalidFormat:
        raise InvalidFormat("a SIREN contains only digits", field="number") from None
    except stdnum_exceptions.InvalidChecksum:
        raise ChecksumMismatch(
            "the SIREN fails its Luhn check (a digit is wrong or two are swapped)",
            field="number",
            position=9,
        ) from None
    return Siren(number=value)
