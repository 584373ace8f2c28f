"""The page model of a licence: styled text parts, their wrapping into blocks, lines placed on
the page, and the structure tree (reading order) a tagged PDF is built from.

`licence.py` lays the licence out with these; painting draws what they hold. Nothing here
knows what a licence says.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from templates.archive import StructNode
from templates.fonts import licence_font
from templates.textlayout import wrap

__all__ = [
    "ACCENT",
    "ASCENT",
    "EN",
    "FR",
    "INK",
    "LEADING",
    "MUTED",
    "RGB",
    "RULE",
    "Align",
    "Block",
    "Line",
    "Page",
    "Placed",
    "Text",
    "text_block",
    "wrapped_lines",
]

RGB = tuple[float, float, float]

INK: Final[RGB] = (0.10, 0.10, 0.11)
MUTED: Final[RGB] = (0.36, 0.36, 0.38)
ACCENT: Final[RGB] = (0.62, 0.09, 0.08)  # the red of Chinese official documents
RULE: Final[RGB] = (0.78, 0.74, 0.72)

LEADING: Final = 1.28
ASCENT: Final = 0.96  # first baseline below a block's top, in ems: room for accents
Align = Literal["left", "right", "centre"]


@dataclass(frozen=True, slots=True)
class Text:
    """A piece of text to wrap, in one style."""

    text: str
    size: float
    color: RGB = INK
    bold: bool = False
    space_before: float = 0.0
    # BCP 47 tag of the text, for the tagged PDF: a screen reader picks its voice by it.
    lang: str = "zh-CN"


EN: Final = "en"
FR: Final = "fr"


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    size: float
    color: RGB
    bold: bool
    dy: float  # baseline, below the top of its block
    part: int  # index of its Text in the block: one paragraph of the structure tree
    lang: str


@dataclass(frozen=True, slots=True)
class Block:
    lines: tuple[Line, ...]
    height: float
    most_latin_lines: int = 0  # of any one English or French part


@dataclass(frozen=True, slots=True)
class Placed:
    """A line of text at its final position (x is its left edge)."""

    text: str
    x: float
    y: float
    size: float
    color: RGB
    bold: bool
    node: int  # the structure element (a paragraph) the line belongs to


@dataclass(slots=True)
class Page:
    texts: list[Placed] = field(default_factory=list)
    rules: list[tuple[float, float, RGB]] = field(default_factory=list)  # y, line width
    # The structure tree in reading order: nodes are created in the order a reader should
    # meet them, whatever order the painter draws in. Node 0 is the Document.
    nodes: list[StructNode] = field(default_factory=lambda: [StructNode("Document", None)])
    title_nodes: list[int] = field(default_factory=list)
    qr_node: int = -1
    seal_node: int = -1

    def open(self, tag: str, parent: int = 0, *, lang: str | None = None) -> int:
        self.nodes.append(StructNode(tag, parent, lang))
        return len(self.nodes) - 1

    def figure(self, parent: int, alt: str) -> int:
        # The alternative text is bilingual: the figure keeps the document's language.
        self.nodes.append(StructNode("Figure", parent, None, alt))
        return len(self.nodes) - 1

    def place(
        self, block: Block, x: float, top: float, align: Align = "left", *, parent: int = 0
    ) -> None:
        font = licence_font()
        paragraphs: dict[int, int] = {}
        for line in block.lines:
            left = x
            if align != "left":
                width = font.stringWidth(line.text, line.size)
                left = x - width if align == "right" else x - width / 2
            node = paragraphs.get(line.part)
            if node is None:
                node = paragraphs[line.part] = self.open("P", parent, lang=line.lang)
            self.texts.append(
                Placed(line.text, left, top - line.dy, line.size, line.color, line.bold, node)
            )


@functools.lru_cache(maxsize=2048)
def wrapped_lines(text: str, width: float, size: float) -> tuple[str, ...]:
    # Labels and notes are the same on every licence: cached, they cost nothing after the
    # first render.
    string_width = licence_font().stringWidth

    def measure(text: str, /) -> float:
        return float(string_width(text, size))

    return tuple(wrap(text, width, measure))


def text_block(parts: Sequence[Text], width: float, scale: float = 1.0) -> Block:
    lines: list[Line] = []
    y = 0.0
    most_latin = 0
    for index, part in enumerate(parts):
        size = part.size * scale
        y += part.space_before * scale
        wrapped = wrapped_lines(part.text, width, size)
        if part.lang != "zh-CN":
            most_latin = max(most_latin, len(wrapped))
        for text in wrapped:
            lines.append(
                Line(text, size, part.color, part.bold, y + size * ASCENT, index, part.lang)
            )
            y += size * LEADING
    return Block(tuple(lines), y, most_latin)
