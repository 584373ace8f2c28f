"""The licence typeface: WenQuanYi Micro Hei, committed with its licence next to it.

Why this font: reportlab embeds only TrueType outlines, and no CJK TrueType font is on PyPI, so
one is shipped with the code (the Noto CJK fonts are CFF, which reportlab refuses). Micro Hei
(Debian package fonts-wqy-microhei 0.2.0-beta-3.1, Apache-2.0 or GPL-3+ with font exception,
embedding permitted: OS/2 fsType 8) covers the whole CJK Unified Ideographs block (20,932
ideographs: Simplified and Traditional names) and Latin-1 plus Latin Extended-A (French).
Rare ideographs outside that block (Extension B and later) are not covered.

Loading the 5 MB collection takes ~0.3 s, so it happens once per process, on first use.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Final

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from templates.errors import UnrenderableCharacter

__all__ = ["FONT_FILE", "FONT_NAME", "check_coverage", "licence_font"]

FONT_FILE: Final = Path(__file__).with_name("wqy-microhei.ttc")
FONT_NAME: Final = "WenQuanYiMicroHei"

_lock = threading.Lock()
_font: TTFont | None = None
_covered: frozenset[int] = frozenset()


def licence_font() -> TTFont:
    """The registered font, loaded on first call (thread-safe, once per process)."""
    global _font, _covered
    font = _font
    if font is not None:
        return font
    with _lock:
        if _font is None:
            # subfontIndex=0 is the proportional face; index 1 is Micro Hei Mono.
            loaded = TTFont(FONT_NAME, str(FONT_FILE), subfontIndex=0)
            pdfmetrics.registerFont(loaded)
            _covered = frozenset(loaded.face.charToGlyph)
            _font = loaded
        return _font


def check_coverage(field: str, text: str) -> None:
    """Raise `UnrenderableCharacter` for the first character the font has no glyph for.

    Without this a missing glyph prints as an empty box (.notdef): a licence that silently
    misprints a name is worse than one that is not issued.
    """
    licence_font()
    for char in text:
        if ord(char) not in _covered:
            raise UnrenderableCharacter(field, char, FONT_NAME)
