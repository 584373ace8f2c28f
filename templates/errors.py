"""Errors raised while rendering or reading a licence.

    LicenceTemplateError
     ├── InvalidLicenceContent (also ValueError)  content breaks a documented limit or format
     ├── UnrenderableCharacter                    the embedded font has no glyph for a character
     ├── LicenceLayoutOverflow                    content does not fit even at the minimum size
     └── LicenceDataError                         no valid machine-readable data in a PDF

They say what is wrong with the input and know nothing about HTTP: the application maps them.
"""

from __future__ import annotations

__all__ = [
    "InvalidLicenceContent",
    "LicenceDataError",
    "LicenceLayoutOverflow",
    "LicenceTemplateError",
    "UnrenderableCharacter",
]


class LicenceTemplateError(Exception):
    """Base of every error raised by the `templates` package."""


class InvalidLicenceContent(LicenceTemplateError, ValueError):
    """A `LicenceContent` field breaks a documented limit or format."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class UnrenderableCharacter(LicenceTemplateError):
    """The licence font has no glyph for a character, which would print as an empty box."""

    def __init__(self, field: str, character: str, font_name: str) -> None:
        codepoint = f"U+{ord(character):04X}"
        super().__init__(
            f"{field}: character {character!r} ({codepoint}) is not covered by font {font_name}"
        )
        self.field = field
        self.character = character
        self.codepoint = codepoint
        self.font_name = font_name


class LicenceLayoutOverflow(LicenceTemplateError):
    """The content does not fit its box even at the smallest permitted type size."""

    def __init__(self, region: str, needed: float, available: float) -> None:
        super().__init__(
            f"{region}: content needs {needed:.1f} pt but only {available:.1f} pt are available "
            "at the minimum type size"
        )
        self.region = region
        self.needed = needed
        self.available = available


class LicenceDataError(LicenceTemplateError):
    """A PDF carries no readable `licence.json` associated file."""
