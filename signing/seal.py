"""The visible seal: the signature widget's appearance, drawn with a pre-subset CJK font.

pyHanko's text stamps lay text out with HarfBuzz and subset the whole font at every signature
(a quarter of a second for a CJK face). A seal's text is fixed except for its signing time,
so `SealFont` subsets the face once — the characters of the fixed lines plus printable ASCII
for the time — and each signature only writes the already-compressed font program and a few
lines of content stream.

The font is embedded as a Type 0 composite font with a CIDFontType2 descendant, Identity-H
encoding and CID = glyph id (ISO 32000-1 §9.7.4), with a ToUnicode CMap (§9.10.3) so the seal
text can be extracted and searched. A TrueType Collection (.ttc) is split by taking one face.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import os
import string
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from fontTools import subset, ttLib  # type: ignore[import-untyped]
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.stamp import BaseStamp, BaseStampStyle

__all__ = ["SealFont", "SealStampStyle", "appearance_content"]

_ASCII = string.printable[:95]  # space to tilde: digits, Latin letters, time punctuation
_FONT_NAME = pdf_name("/SealFont")

# pyHanko's PDF object constructors are untyped; build the font's objects through this alias
# rather than silencing every call.
_pdf: Any = generic


@dataclass(frozen=True)
class _Metrics:
    units_per_em: int
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int


class SealFont:
    """One face of a TrueType font, subset once to the characters a seal can show.

    Immutable after construction; share one instance between signers and threads.
    """

    def __init__(
        self, path: str | os.PathLike[str], characters: str, *, face_index: int = 0
    ) -> None:
        wanted = "".join(sorted(set(characters) | set(_ASCII)))
        font = ttLib.TTFont(os.fspath(path), fontNumber=face_index)
        if "glyf" not in font:
            # PDF embeds TrueType outlines as FontFile2; CFF-flavoured OpenType would need
            # FontFile3 with a CIDFontType0 descendant, which we do not build.
            raise ValueError(f"{path} has no TrueType outlines (glyf table)")
        missing = [c for c in set(characters) if ord(c) not in font.getBestCmap()]
        if missing:
            raise ValueError(f"the font has no glyph for {''.join(sorted(missing))!r}")
        options = subset.Options()
        options.retain_gids = False
        options.hinting = False  # hinting is for screens at small pixel sizes; saves bytes
        options.layout_features = []  # the seal is laid out glyph by glyph: no shaping
        options.name_IDs = []
        options.notdef_outline = True
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "DSIG", "FFTM"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=wanted)
        subsetter.subset(font)
        program = io.BytesIO()
        font.save(program)
        self._program = program.getvalue()
        self._program_deflated = zlib.compress(self._program, 9)
        units = font["head"].unitsPerEm
        self._scale = 1000 / units
        cmap = font.getBestCmap()
        self._glyph_ids: dict[str, int] = {
            chr(code): font.getGlyphID(name) for code, name in cmap.items() if chr(code) in wanted
        }
        hmtx = font["hmtx"]
        self._widths: dict[int, int] = {
            font.getGlyphID(name): round(hmtx[name][0] * self._scale)
            for name in font.getGlyphOrder()
        }
        head, os2 = font["head"], font["OS/2"]
        self._metrics = _Metrics(
            units_per_em=units,
            bbox=(
                round(head.xMin * self._scale),
                round(head.yMin * self._scale),
                round(head.xMax * self._scale),
                round(head.yMax * self._scale),
            ),
            ascent=round(os2.sTypoAscender * self._scale),
            descent=round(os2.sTypoDescender * self._scale),
            cap_height=round(getattr(os2, "sCapHeight", os2.sTypoAscender) * self._scale),
        )
        postscript_name = font["name"].getDebugName(6) or "SealFont"
        # ISO 32000-1 §9.6.4: a subset font's name starts with six capitals and a plus sign.
        tag = "".join(chr(ord("A") + b % 26) for b in hashlib.sha256(self._program).digest()[:6])
        self.base_font = f"{tag}+{postscript_name}"
        self._to_unicode = zlib.compress(self._cmap_program(), 9)

    def glyphs(self, text: str) -> list[int]:
        """Glyph ids for `text` (unknown characters become .notdef, glyph 0)."""
        return [self._glyph_ids.get(char, 0) for char in text]

    def width(self, text: str, size: float) -> float:
        """Advance width of `text` at `size` points."""
        return sum(self._widths.get(g, 0) for g in self.glyphs(text)) * size / 1000

    @property
    def ascent(self) -> float:
        """Ascent per point of font size."""
        return self._metrics.ascent / 1000

    @property
    def descent(self) -> float:
        """Descent per point of font size (negative: below the baseline)."""
        return self._metrics.descent / 1000

    def show_text(self, text: str) -> bytes:
        """The hex string operand that shows `text` with Identity-H (two bytes per glyph)."""
        return b"<" + "".join(f"{g:04X}" for g in self.glyphs(text)).encode() + b">"

    def _cmap_program(self) -> bytes:
        entries = sorted((gid, char) for char, gid in self._glyph_ids.items())
        lines = [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
            "/CMapName /Adobe-Identity-UCS def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            "<0000> <FFFF>",
            "endcodespacerange",
        ]
        for start in range(0, len(entries), 100):  # at most 100 entries per block (§9.10.3)
            block = entries[start : start + 100]
            lines.append(f"{len(block)} beginbfchar")
            lines.extend(
                f"<{gid:04X}> <{char.encode('utf-16-be').hex().upper()}>" for gid, char in block
            )
            lines.append("endbfchar")
        lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
        return "\n".join(lines).encode()

    def pdf_objects(self, first: int) -> list[bytes]:
        """The font's five objects serialised, numbered `first` to `first + 4`: font program,
        descriptor, CIDFont, ToUnicode CMap and, last, the Type 0 font to reference. The same
        objects `add_to` writes through pyHanko, for writers that assemble PDF bytes
        themselves (`signing.single_pass`)."""
        metrics = self._metrics
        gids = sorted(self._widths)
        widths = b" ".join(b"%d" % self._widths[g] for g in gids)
        name = _name_token(self.base_font)
        return [
            b"<< /Filter /FlateDecode /Length1 %d /Length %d >>\nstream\n%s\nendstream"
            % (len(self._program), len(self._program_deflated), self._program_deflated),
            b"<< /Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [ %d %d %d %d ]"
            b" /ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /StemV 80"
            b" /FontFile2 %d 0 R >>"
            % (
                name,
                *metrics.bbox,
                metrics.ascent,
                metrics.descent,
                metrics.cap_height,
                first,
            ),
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo"
            b" << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
            b" /FontDescriptor %d 0 R /CIDToGIDMap /Identity /W [ %d [ %s ] ] >>"
            % (name, first + 1, gids[0], widths),
            b"<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
            % (len(self._to_unicode), self._to_unicode),
            b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H"
            b" /DescendantFonts [ %d 0 R ] /ToUnicode %d 0 R >>" % (name, first + 2, first + 3),
        ]

    def add_to(self, writer: BasePdfFileWriter) -> generic.IndirectObject:
        """Write the font's objects into `writer` and return a reference to the Type 0 font."""
        metrics = self._metrics
        program = writer.add_object(
            _pdf.StreamObject(
                {
                    pdf_name("/Filter"): pdf_name("/FlateDecode"),
                    pdf_name("/Length1"): _pdf.NumberObject(len(self._program)),
                },
                encoded_data=self._program_deflated,
            )
        )
        descriptor = writer.add_object(
            _pdf.DictionaryObject(
                {
                    pdf_name("/Type"): pdf_name("/FontDescriptor"),
                    pdf_name("/FontName"): pdf_name(f"/{self.base_font}"),
                    pdf_name("/Flags"): _pdf.NumberObject(4),  # symbolic: non-Latin set
                    pdf_name("/FontBBox"): _pdf.ArrayObject(
                        _pdf.NumberObject(v) for v in metrics.bbox
                    ),
                    pdf_name("/ItalicAngle"): _pdf.NumberObject(0),
                    pdf_name("/Ascent"): _pdf.NumberObject(metrics.ascent),
                    pdf_name("/Descent"): _pdf.NumberObject(metrics.descent),
                    pdf_name("/CapHeight"): _pdf.NumberObject(metrics.cap_height),
                    pdf_name("/StemV"): _pdf.NumberObject(80),
                    pdf_name("/FontFile2"): program,
                }
            )
        )
        gids = sorted(self._widths)
        descendant = writer.add_object(
            _pdf.DictionaryObject(
                {
                    pdf_name("/Type"): pdf_name("/Font"),
                    pdf_name("/Subtype"): pdf_name("/CIDFontType2"),
                    pdf_name("/BaseFont"): pdf_name(f"/{self.base_font}"),
                    pdf_name("/CIDSystemInfo"): _pdf.DictionaryObject(
                        {
                            pdf_name("/Registry"): _pdf.pdf_string("Adobe"),
                            pdf_name("/Ordering"): _pdf.pdf_string("Identity"),
                            pdf_name("/Supplement"): _pdf.NumberObject(0),
                        }
                    ),
                    pdf_name("/FontDescriptor"): descriptor,
                    pdf_name("/CIDToGIDMap"): pdf_name("/Identity"),
                    pdf_name("/W"): _pdf.ArrayObject(
                        [
                            _pdf.NumberObject(gids[0]),
                            _pdf.ArrayObject(_pdf.NumberObject(self._widths[g]) for g in gids),
                        ]
                    ),
                }
            )
        )
        to_unicode = writer.add_object(
            _pdf.StreamObject(
                {pdf_name("/Filter"): pdf_name("/FlateDecode")}, encoded_data=self._to_unicode
            )
        )
        return writer.add_object(
            _pdf.DictionaryObject(
                {
                    pdf_name("/Type"): pdf_name("/Font"),
                    pdf_name("/Subtype"): pdf_name("/Type0"),
                    pdf_name("/BaseFont"): pdf_name(f"/{self.base_font}"),
                    pdf_name("/Encoding"): pdf_name("/Identity-H"),
                    pdf_name("/DescendantFonts"): _pdf.ArrayObject([descendant]),
                    pdf_name("/ToUnicode"): to_unicode,
                }
            )
        )


@dataclass(frozen=True, kw_only=True)
class SealStampStyle(BaseStampStyle):
    """The visible seal, in seal red, scaled to the signature widget.

    `shape="round"` (default) draws it as Chinese official seals are cut: a ring, the first
    of `lines` (the authority's name) along the upper arc, a five-pointed star in the centre,
    the other lines across beneath the star, and the signing time under the ring.
    `shape="rectangle"` stacks every line in a double-ruled frame, the first one largest.

    `time_label` precedes the signing time, shown in `timezone` with its UTC offset.
    """

    font: SealFont
    lines: tuple[str, ...]
    shape: Literal["round", "rectangle"] = "round"
    time_label: str = ""
    time_format: str = "%Y-%m-%d %H:%M:%S"
    timezone: dt.tzinfo = dt.UTC
    color: tuple[float, float, float] = (0.80, 0.07, 0.09)
    border_width: int = 0  # our own double border is drawn in `render`
    padding: float = 4.0
    line_weights: Sequence[float] = field(default=(1.0,))

    def format_time(self, moment: dt.datetime) -> str:
        """The time line: label, local time, and its UTC offset (e.g. "UTC+08:00")."""
        local = moment.astimezone(self.timezone)
        offset = local.utcoffset() or dt.timedelta(0)
        sign = "-" if offset < dt.timedelta(0) else "+"
        minutes = abs(offset) // dt.timedelta(minutes=1)
        stamp = (
            f"{local.strftime(self.time_format)} UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
        )
        return f"{self.time_label} {stamp}".strip()

    def create_stamp(
        self,
        writer: BasePdfFileWriter,
        box: layout.BoxConstraints,
        text_params: dict[str, Any],
    ) -> _SealAppearance:
        return _SealAppearance(writer, box, self, str(text_params.get("seal_time", "")))


class _SealAppearance(BaseStamp):
    def __init__(
        self,
        writer: BasePdfFileWriter,
        box: layout.BoxConstraints,
        style: SealStampStyle,
        time_text: str,
    ) -> None:
        super().__init__(writer=writer, style=style, box=box)
        self.seal_style = style
        self.time_text = time_text

    def render(self) -> bytes:
        style = self.seal_style
        self.set_resource(ResourceType.FONT, _FONT_NAME, style.font.add_to(self._ensure_writer))
        return appearance_content(
            style, float(self.box.width), float(self.box.height), self.time_text
        )


def appearance_content(style: SealStampStyle, width: float, height: float, time_text: str) -> bytes:
    """The seal's appearance stream content for a `width` x `height` box: what the widget's
    form XObject draws, with the font as resource /SealFont. Writer-free, so the single-pass
    signer (`signing.single_pass`) draws exactly what the pyHanko path draws."""
    return _SealPainter(style, time_text).content(width, height)


class _SealPainter:
    def __init__(self, style: SealStampStyle, time_text: str) -> None:
        self.seal_style = style
        self.time_text = time_text

    def content(self, width: float, height: float) -> bytes:
        style = self.seal_style
        r, g, b = style.color
        ops = [b"q", b"%.3f %.3f %.3f RG %.3f %.3f %.3f rg" % (r, g, b, r, g, b)]
        if style.shape == "round":
            self._round(ops, width, height)
        else:
            self._rectangle(ops, width, height)
        ops.append(b"Q")
        return b"\n".join(ops)

    def _text(self, text: str, size: float, x: float, y: float, angle: float = 0.0) -> bytes:
        """Show `text` with its baseline origin at (x, y), rotated by `angle` radians."""
        cos, sin = math.cos(angle), math.sin(angle)
        return b"BT /SealFont %.2f Tf %.4f %.4f %.4f %.4f %.2f %.2f Tm %s Tj ET" % (
            size,
            cos,
            sin,
            -sin,
            cos,
            x,
            y,
            self.seal_style.font.show_text(text),
        )

    def _centred(self, text: str, size: float, width: float, max_width: float, y: float) -> bytes:
        font = self.seal_style.font
        size = min(size, max_width / max(font.width(text, 1.0), 1e-6))
        return self._text(text, size, (width - font.width(text, size)) / 2, y)

    def _round(self, ops: list[bytes], width: float, height: float) -> None:
        style, font = self.seal_style, self.seal_style.font
        time_band = height * 0.11 if self.time_text else 0.0
        diameter = min(width, height - time_band) * 0.96
        radius = diameter / 2
        cx, cy = width / 2, time_band + (height - time_band) / 2
        ring = diameter * 0.035
        ops.append(b"%.2f w" % ring)
        ops.append(_circle(cx, cy, radius - ring / 2) + b" S")
        # The name runs clockwise along the upper arc, each glyph upright towards the rim.
        name = style.lines[0] if style.lines else ""
        if name:
            span = math.radians(min(220.0, 22.0 * len(name) + 20.0))
            glyph = min(diameter * 0.17, 0.92 * (radius * 0.72) * span / len(name))
            text_radius = radius - ring - glyph * 0.95
            for index, char in enumerate(name):
                theta = math.pi / 2 + span / 2 - (index + 0.5) * span / len(name)
                rotation = theta - math.pi / 2
                advance = font.width(char, glyph)
                # Glyph centre on the arc: back off half the advance along the baseline and
                # 0.38 em (the visual centre of a CJK glyph) down the radius.
                gx = cx + text_radius * math.cos(theta)
                gy = cy + text_radius * math.sin(theta)
                x = gx - advance / 2 * math.cos(rotation) + 0.38 * glyph * math.sin(rotation)
                y = gy - advance / 2 * math.sin(rotation) - 0.38 * glyph * math.cos(rotation)
                ops.append(self._text(char, glyph, x, y, rotation))
        star = diameter * 0.16
        ops.append(_star(cx, cy + diameter * 0.04, star) + b" f")
        # The other lines go across under the star, clear of the arc's ends, in one size; a
        # long line (a full English name) is broken in two rather than shrunk illegibly.
        below = [part for line in style.lines[1:] for part in _wrap(line, font, diameter)]
        size = min(
            [diameter * 0.07]
            + [diameter * 0.52 / max(font.width(line, 1.0), 1e-6) for line in below]
        )
        y = cy - diameter * 0.24
        for line in below:
            ops.append(self._centred(line, size, width, diameter * 0.52, y))
            y -= size * 1.3
        if self.time_text:
            ops.append(
                self._centred(
                    self.time_text, time_band * 0.7, width, width * 0.98, time_band * 0.25
                )
            )

    def _rectangle(self, ops: list[bytes], width: float, height: float) -> None:
        style, font = self.seal_style, self.seal_style.font
        lines = [*style.lines, self.time_text] if self.time_text else list(style.lines)
        weights = [
            style.line_weights[i] if i < len(style.line_weights) else 0.62
            for i in range(len(lines))
        ]
        inner_width = width - 2 * (style.padding + 3)
        inner_height = height - 2 * (style.padding + 3)
        leading = 1.3
        # The largest base size at which every line fits the width and the block the height.
        size = inner_height / (leading * sum(weights))
        for line, weight in zip(lines, weights, strict=True):
            unit_width = font.width(line, weight)
            if unit_width > 0:
                size = min(size, inner_width / unit_width)
        # Double border, as on a printed seal: a heavy outer rule and a hairline inside it.
        ops.append(b"1.6 w 0.8 0.8 %.2f %.2f re S" % (width - 1.6, height - 1.6))
        ops.append(b"0.5 w 3.5 3.5 %.2f %.2f re S" % (width - 7, height - 7))
        block = sum(size * w * leading for w in weights)
        top = (height + block) / 2
        for line, weight in zip(lines, weights, strict=True):
            line_size = size * weight
            slot = line_size * leading
            top -= slot  # now the bottom of this line's slot
            # Centre the glyphs' ascent-to-descent extent in the slot.
            extent = (font.ascent - font.descent) * line_size
            baseline = top + (slot - extent) / 2 - font.descent * line_size
            x = (width - font.width(line, line_size)) / 2
            ops.append(self._text(line, line_size, x, baseline))


def _name_token(name: str) -> bytes:
    """`name` as the body of a PDF name token (ISO 32000-1 §7.3.5: #xx outside the regular
    printable characters)."""
    out = bytearray()
    for byte in name.encode("utf-8"):
        if 0x21 <= byte <= 0x7E and byte not in b"#()<>[]{}/%":
            out.append(byte)
        else:
            out += b"#%02X" % byte
    return bytes(out)


def _wrap(line: str, font: SealFont, diameter: float) -> list[str]:
    """`line`, or its two halves split at the space nearest the middle if it would otherwise
    be drawn smaller than 4 % of the seal's diameter."""
    if " " not in line or diameter * 0.52 / max(font.width(line, 1.0), 1e-6) >= diameter * 0.04:
        return [line]
    spaces = [i for i, char in enumerate(line) if char == " "]
    cut = min(spaces, key=lambda i: abs(i - len(line) / 2))
    return [line[:cut], line[cut + 1 :]]


def _circle(cx: float, cy: float, r: float) -> bytes:
    """A circle as four Bézier arcs (control distance 0.5523 r, the usual approximation)."""
    k = 0.5523 * r
    return (
        b"%.2f %.2f m " % (cx + r, cy)
        + b"%.2f %.2f %.2f %.2f %.2f %.2f c " % (cx + r, cy + k, cx + k, cy + r, cx, cy + r)
        + b"%.2f %.2f %.2f %.2f %.2f %.2f c " % (cx - k, cy + r, cx - r, cy + k, cx - r, cy)
        + b"%.2f %.2f %.2f %.2f %.2f %.2f c " % (cx - r, cy - k, cx - k, cy - r, cx, cy - r)
        + b"%.2f %.2f %.2f %.2f %.2f %.2f c h" % (cx + k, cy - r, cx + r, cy - k, cx + r, cy)
    )


def _star(cx: float, cy: float, r: float) -> bytes:
    """A five-pointed star of outer radius `r`, one point up."""
    inner = r * 0.382  # the regular pentagram's inner/outer radius ratio
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else inner
        angle = math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    path = [b"%.2f %.2f m" % points[0]] + [b"%.2f %.2f l" % p for p in points[1:]]
    return b" ".join(path) + b" h"
