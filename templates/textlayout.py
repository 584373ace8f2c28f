"""Line breaking for mixed Chinese and Latin text.

reportlab's Paragraph (with wordWrap='CJK') would do this too, but parsing its markup costs
more than the rest of the page, and the fitting loop re-wraps every text at several sizes. The
rules here are the ones a licence needs: break between any two ideographs, between Latin words
at spaces and after hyphens or slashes, never start a line with closing punctuation nor end one
with opening punctuation (JIS X 4051 / W3C clreq "kinsoku"), and split a word longer than the
line rather than letting it run out of its box.
"""

from __future__ import annotations

from typing import Final, Protocol

__all__ = ["Measure", "wrap"]

_NO_LINE_START: Final = frozenset("，。、；：？！）》」』】〕〉”’…％,.;:!?)]}%·")
_NO_LINE_END: Final = frozenset("（《「『【〔〈“‘([{")
_BREAK_AFTER: Final = frozenset("-/")
_SPACE: Final = " "


class Measure(Protocol):
    def __call__(self, text: str, /) -> float: ...


def _is_wide(char: str) -> bool:
    code = ord(char)
    return (
        0x2E80 <= code <= 0x9FFF  # CJK radicals, punctuation, kana, ideographs
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or code >= 0x20000
    )


def _tokens(text: str) -> list[str]:
    """Split into units that may not be broken: an ideograph, a Latin word, or a space."""
    tokens: list[str] = []
    word: list[str] = []
    for char in text:
        if char == " ":
            if word:
                tokens.append("".join(word))
                word = []
            tokens.append(" ")
        elif _is_wide(char):
            if word:
                tokens.append("".join(word))
                word = []
            tokens.append(char)
        else:
            word.append(char)
            if char in _BREAK_AFTER:
                tokens.append("".join(word))
                word = []
    if word:
        tokens.append("".join(word))
    glued: list[str] = []
    for token in tokens:
        if (
            glued
            and glued[-1] != _SPACE
            and token != _SPACE
            and (token[0] in _NO_LINE_START or glued[-1][-1] in _NO_LINE_END)
        ):
            glued[-1] += token
        else:
            glued.append(token)
    return glued


def wrap(text: str, width: float, measure: Measure) -> list[str]:
    """Break `text` into lines no wider than `width` as measured by `measure`."""
    lines: list[str] = []
    line = ""
    line_width = 0.0
    space_pending = False
    space_width = measure(" ")
    for token in _tokens(text):
        if token == _SPACE:
            space_pending = bool(line)
            continue
        token_width = measure(token)
        gap = space_width if space_pending else 0.0
        if line and line_width + gap + token_width <= width:
            line += (" " if space_pending else "") + token
            line_width += gap + token_width
        else:
            if line:
                lines.append(line)
            line, line_width = token, token_width
            if token_width > width:
                # A word wider than the whole line (a long URL, say): break it anywhere.
                pieces = _split_chars(token, width, measure)
                lines.extend(pieces[:-1])
                line = pieces[-1]
                line_width = measure(line)
        space_pending = False
    if line:
        lines.append(line)
    return lines


def _split_chars(word: str, width: float, measure: Measure) -> list[str]:
    pieces: list[str] = []
    current = ""
    for char in word:
        if current and measure(current + char) > width:
            pieces.append(current)
            current = char
        else:
            current += char
    pieces.append(current)
    return pieces
