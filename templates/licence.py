"""The A4 business licence (营业执照): layout and rendering.

Page plan (PDF points, origin bottom left, A4 595.3 x 841.9):

    +--------------------------------------------------------------+  double border
    | 统一社会信用代码            营 业 执 照                [QR]  |  header
    | 91441900MA5FQ3KN54          BUSINESS LICENCE           scan  |
    |==============================================================|
    | 名称 Name            东莞市蓝海贸易有限公司                 |  fields table:
    |                      Dongguan Lanhai Trading Co., Ltd.       |  label | value,
    |--------------------------------------------------------------|  wrapped, shrunk
    | type, legal representative, capital, dates, domicile,        |  to fit, never
    | business scope (takes the height left over)                  |  truncated
    |==============================================================|
    | verification note      登记机关 authority     +-----------+  |  footer
    |                        issue date             | SEAL_BOX  |  |  (the signer draws
    |                                               +-----------+  |   the seal here)
    | annual-report notice, one paragraph per language              |  statutory notice
    +--------------------------------------------------------------+

Rendering is two passes: the layout computes every line's position (shrinking type until the
table fits) and the structure tree in reading order, then one painter emits the page with all
text in a single text object, each line a marked-content sequence of its paragraph.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple
from urllib.parse import urlsplit

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from templates import formatting as fmt
from templates.archive import DocumentMetadata, finish_pdf
from templates.content import LicenceContent, licence_data
from templates.errors import InvalidLicenceContent, LicenceLayoutOverflow
from templates.fonts import FONT_NAME, check_coverage, licence_font
from templates.page import (
    ACCENT,
    EN,
    FR,
    INK,
    MUTED,
    RULE,
    Block,
    Page,
    Text,
    text_block,
)
from templates.qr import QUIET_ZONE_MODULES, QrMatrix, draw_qr, qr_matrix
from templates.reportlab_tuning import reportlab_tuned

__all__ = [
    "MAX_BASE_URL_LENGTH",
    "PAGE_SIZE",
    "SEAL_BOX",
    "SealBox",
    "render_licence",
    "verification_url",
]

PAGE_SIZE: Final = (float(A4[0]), float(A4[1]))
# Keeps the QR code at version 6 or lower (41 modules), whose modules stay 1.7 pt (0.6 mm)
# wide at the printed size: readable by any phone camera.
MAX_BASE_URL_LENGTH: Final = 60


class SealBox(NamedTuple):
    """Where the signer draws the visible seal: page index and rectangle in PDF points."""

    page: int
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def box(self) -> tuple[float, float, float, float]:
        """(x1, y1, x2, y2), as pyHanko's `SigFieldSpec(box=...)` takes it."""
        return (self.x1, self.y1, self.x2, self.y2)


_LEFT: Final = 46.0
_RIGHT: Final = 549.0
_TOP: Final = PAGE_SIZE[1] - 46.0

# The statutory notice runs the full width along the bottom edge, under the seal, as on the
# paper licence: one line of Chinese, at most two of English and two of French.
_NOTICE_BOTTOM: Final = 34.0
_NOTICE_HEIGHT: Final = 44.0
_NOTICE_WIDTH: Final = _RIGHT - 4.0 - (_LEFT + 4.0)

# 140 pt (49 mm) square: room for a 42 mm round seal, the size of the official seals of
# market regulation bureaus, with a margin for the signature appearance's own text.
SEAL_BOX: Final = SealBox(
    0,
    _RIGHT - 140.0,
    _NOTICE_BOTTOM + _NOTICE_HEIGHT + 8.0,
    _RIGHT,
    _NOTICE_BOTTOM + _NOTICE_HEIGHT + 148.0,
)

_HEADER_RULE_Y: Final = _TOP - 104.0
_TABLE_TOP: Final = _HEADER_RULE_Y - 5.0
_TABLE_BOTTOM: Final = SEAL_BOX.y2 + 14.0
_LABEL_X: Final = _LEFT + 4.0
_LABEL_WIDTH: Final = 100.0
_VALUE_X: Final = _LEFT + 112.0
_VALUE_WIDTH: Final = _RIGHT - 4.0 - _VALUE_X
_QR_SIZE: Final = 70.0
_QR_X: Final = _RIGHT - 4.0 - _QR_SIZE
_NOTE_WIDTH: Final = 136.0
_AUTHORITY_RIGHT: Final = SEAL_BOX.x1 - 10.0
_AUTHORITY_WIDTH: Final = _AUTHORITY_RIGHT - (_LEFT + _NOTE_WIDTH + 14.0)
_FOOTER_HEIGHT: Final = _TABLE_BOTTOM - 8.0 - SEAL_BOX.y1

_BOLD_STROKE: Final = 0.32  # outline stroke that makes the regular face look semi-bold


@dataclass(frozen=True, slots=True)
class _Row:
    label: tuple[Text, ...]
    value: tuple[Text, ...]
    is_scope: bool = False


@dataclass(frozen=True, slots=True)
class _Fit:
    body_scale: float
    scope_size: float
    padding: float


# Tried in order until the table fits: first the business scope (the part that is long in
# practice) gets smaller, then everything else, then the rows get tighter. 6.5 pt is the
# smallest size at which ideographs stay legible on a printed A4 page.
_SCOPE_SIZES: Final = (9.5, 9.0, 8.5, 8.0, 7.5, 7.0, 6.5)
# Latin text reads at a smaller size than ideographs of the same point size, down to 6 pt.
_SCOPE_LATIN: Final = 0.9
_MIN_LATIN_SIZE: Final = 6.0
_FITS: Final = (
    *(_Fit(1.0, size, 7.0) for size in _SCOPE_SIZES),
    *(_Fit(scale, 6.5, 5.0) for scale in (0.94, 0.88, 0.82)),
    _Fit(0.82, 6.5, 3.0),
)


# The footer columns shrink on their own: a long authority name must not shrink the table.
_FOOTER_SCALES: Final = (1.0, 0.92, 0.84, 0.76)


def verification_url(content: LicenceContent, public_base_url: str) -> str:
    """The public verification page of this licence version, which the QR code encodes."""
    parts = urlsplit(public_base_url)
    if (
        parts.scheme not in ("https", "http")
        or not parts.netloc
        or parts.query
        or parts.fragment
        or len(public_base_url) > MAX_BASE_URL_LENGTH
    ):
        raise InvalidLicenceContent(
            "public_base_url",
            "must be an http(s) URL without query or fragment, "
            f"at most {MAX_BASE_URL_LENGTH} characters",
        )
    return f"{public_base_url.rstrip('/')}/verify/{content.uscc}?v={content.version}"


def _label(zh: str, en: str, fr: str, french: bool) -> tuple[Text, ...]:
    texts = [Text(zh, 9.5, bold=True), Text(en, 6.8, MUTED, space_before=1.0, lang=EN)]
    if french:
        texts.append(Text(fr, 6.8, MUTED, lang=FR))
    return tuple(texts)


def _rows(c: LicenceContent, scope_size: float) -> list[_Row]:
    french = c.variant.has_french

    def values(zh: Text, en: str, fr: str | None) -> tuple[Text, ...]:
        texts = [zh, Text(en, 8.6, space_before=1.5, lang=EN)]
        if french and fr is not None:
            texts.append(Text(fr, 8.6, lang=FR))
        return tuple(texts)

    capital = c.registered_capital
    person = [Text(c.legal_representative.name, 10.5)]
    if c.legal_representative.latin is not None:
        person.append(Text(c.legal_representative.latin, 8.6, space_before=1.5, lang=EN))
    # Items joined the way licences print them: "甲；乙；丙。", and each translation the way
    # its language lists clauses (French sets a no-break space before the semicolon).
    scope = [Text("；".join(c.business_scope) + "。", scope_size)]
    if c.business_scope_en is not None:
        scope.append(
            Text(
                "; ".join(c.business_scope_en) + ".",
                max(scope_size * _SCOPE_LATIN, _MIN_LATIN_SIZE),
                space_before=2.0,
                lang=EN,
            )
        )
    if french and c.business_scope_fr is not None:
        scope.append(
            Text(
                "\u00a0; ".join(c.business_scope_fr) + ".",
                max(scope_size * _SCOPE_LATIN, _MIN_LATIN_SIZE),
                space_before=1.0,
                lang=FR,
            )
        )
    established = c.date_of_establishment
    term = c.business_term_years
    return [
        _Row(
            _label("名称", "Name", "Dénomination", french),
            values(Text(c.name.zh, 12.5, bold=True), c.name.en, c.name.fr),
        ),
        _Row(
            _label("类型", "Type", "Forme juridique", french),
            values(Text(c.company_type.zh, 10.5), c.company_type.en, c.company_type.fr),
        ),
        _Row(
            _label("法定代表人", "Legal representative", "Représentant légal", french),
            tuple(person),
        ),
        _Row(
            _label("注册资本", "Registered capital", "Capital social", french),
            values(
                Text(fmt.capital_zh(capital), 10.5),
                fmt.capital_en(capital),
                fmt.capital_fr(capital),
            ),
        ),
        _Row(
            _label("成立日期", "Date of establishment", "Date de création", french),
            values(
                Text(fmt.date_zh(established), 10.5),
                fmt.date_en(established),
                fmt.date_fr(established),
            ),
        ),
        _Row(
            _label("营业期限", "Business term", "Durée d'exploitation", french),
            values(Text(fmt.term_zh(term), 10.5), fmt.term_en(term), fmt.term_fr(term)),
        ),
        _Row(_label("住所", "Domicile", "Siège social", french), (Text(c.domicile, 10.5),)),
        _Row(
            _label("经营范围", "Business scope", "Objet social", french),
            tuple(scope),
            is_scope=True,
        ),
    ]


def _layout_table(page: Page, c: LicenceContent) -> None:
    available = _TABLE_TOP - _TABLE_BOTTOM
    needed = 0.0
    for fit in _FITS:
        blocks: list[tuple[Block, Block]] = []
        for row in _rows(c, fit.scope_size):
            scale = 1.0 if row.is_scope else fit.body_scale
            label = text_block(row.label, _LABEL_WIDTH, min(1.0, scale + 0.06))
            value = text_block(row.value, _VALUE_WIDTH, scale)
            blocks.append((label, value))
        heights = [max(label.height, value.height) + 2 * fit.padding for label, value in blocks]
        needed = sum(heights)
        if needed <= available:
            break
    else:
        raise LicenceLayoutOverflow("fields table", needed, available)

    # Some air between rows, and the business scope row takes what is left, as on the paper
    # licence: the table always ends just above the footer.
    spare = available - needed
    extra = min(spare / len(blocks), 10.0)
    top = _TABLE_TOP
    table = page.open("Table")
    for index, ((label, value), height) in enumerate(zip(blocks, heights, strict=True)):
        content_top = top - fit.padding - extra / 2
        table_row = page.open("TR", table)
        page.place(label, _LABEL_X, content_top, parent=page.open("TH", table_row))
        page.place(value, _VALUE_X, content_top, parent=page.open("TD", table_row))
        top -= height + extra
        if index < len(blocks) - 1:
            page.rules.append((top, 0.5, RULE))
    page.rules.append((_TABLE_BOTTOM, 1.4, ACCENT))


def _layout_header(page: Page, c: LicenceContent, qr: QrMatrix, url: str) -> None:
    french = c.variant.has_french
    uscc = [
        Text("统一社会信用代码", 9.0, bold=True),
        Text("Unified social credit code", 6.8, MUTED, space_before=1.0, lang=EN),
    ]
    if french:
        uscc.append(Text("Code unifié de crédit social", 6.8, MUTED, lang=FR))
    uscc += [
        Text(c.uscc, 12.5, bold=True, space_before=3.0),
        Text(f"版本 {c.version}", 7.5, MUTED, space_before=2.0),
        Text(f"Version {c.version}", 7.5, MUTED, lang=EN),
    ]
    header = page.open("Sect")
    page.place(text_block(uscc, 150.0), _LABEL_X, _TOP, parent=header)

    caption = [Text("扫码核验", 6.3, MUTED), Text("Scan to verify", 6.3, MUTED, lang=EN)]
    if french:
        caption.append(Text("Scanner pour vérifier", 6.3, MUTED, lang=FR))
    # Below the QR code's quiet zone: text inside it can keep a scanner from finding the code.
    quiet_zone = QUIET_ZONE_MODULES * _QR_SIZE / len(qr)
    page.qr_node = page.figure(header, _QR_ALT.format(url=url))
    caption_top = _TOP - _QR_SIZE - quiet_zone
    page.place(
        text_block(caption, 120.0), _QR_X + _QR_SIZE / 2, caption_top, "centre", parent=header
    )
    page.rules += [(_HEADER_RULE_Y, 1.4, ACCENT), (_HEADER_RULE_Y - 3.0, 0.5, ACCENT)]


def _layout_footer(page: Page, c: LicenceContent, url: str) -> None:
    french = c.variant.has_french
    authority = c.registration_authority
    right = [
        Text("登记机关", 9.0, bold=True),
        Text("Registration authority", 6.8, MUTED, space_before=1.0, lang=EN),
    ]
    if french:
        right.append(Text("Autorité d'enregistrement", 6.8, MUTED, lang=FR))
    right += [
        Text(authority.zh, 11.0, space_before=4.0),
        Text(authority.en, 8.2, space_before=1.0, lang=EN),
    ]
    if french and authority.fr is not None:
        right.append(Text(authority.fr, 8.2, lang=FR))
    right += [
        Text(fmt.date_zh(c.issue_date), 10.0, space_before=6.0),
        Text(fmt.date_en(c.issue_date), 8.2, space_before=1.0, lang=EN),
    ]
    if french:
        right.append(Text(fmt.date_fr(c.issue_date), 8.2, lang=FR))

    left = [
        Text("扫描二维码或访问以下网址核验本执照：", 6.5, MUTED),
        Text("Verify with the QR code or at:", 6.5, MUTED, lang=EN),
    ]
    if french:
        left.append(Text("Vérification par le code QR ou sur :", 6.5, MUTED, lang=FR))
    left += [
        # Language-neutral, but a reader spells a URL out best in the Latin voice.
        Text(url, 6.5, space_before=1.5, lang=EN),
        Text("本文件内嵌机器可读数据：licence.json", 6.5, MUTED, space_before=4.0),
        Text("Machine-readable data: licence.json", 6.5, MUTED, lang=EN),
    ]
    if french:
        left.append(Text("Données structurées : licence.json", 6.5, MUTED, lang=FR))

    right_block = _fit_block("footer: registration authority", right, _AUTHORITY_WIDTH)
    left_block = _fit_block("footer: verification note", left, _NOTE_WIDTH)
    # Both columns end on the seal's bottom edge, so the seal sits beside the date as on
    # the paper licence.
    footer = page.open("Sect")
    page.place(
        right_block, _AUTHORITY_RIGHT, SEAL_BOX.y1 + right_block.height, "right", parent=footer
    )
    page.seal_node = page.figure(footer, _SEAL_ALT.format(authority=authority.en))
    page.place(left_block, _LABEL_X, SEAL_BOX.y1 + left_block.height, parent=footer)

    notice = _fit_notice(_notice_texts(french))
    page.place(notice, _LABEL_X, _NOTICE_BOTTOM + notice.height, parent=footer)


# The annual-report duty (市场主体登记管理条例 art. 35, 企业信息公示暂行条例 art. 8: report
# through the publicity system between 1 January and 30 June each year), worded as licences
# print it; the system's address is SAMR's.
_NOTICE_ZH: Final = (
    "市场主体应当于每年1月1日至6月30日通过国家企业信用信息公示系统（www.gsxt.gov.cn）"
    "报送公示年度报告。"
)
_NOTICE_EN: Final = (
    "Each year from 1 January to 30 June, the company must file its annual report for "
    "publication through the National Enterprise Credit Information Publicity System "
    "(www.gsxt.gov.cn)."
)
_NOTICE_FR: Final = (
    "Chaque année, du 1er janvier au 30 juin, la société doit déposer son rapport annuel pour "
    "publication sur le Système national de publicité des informations sur le crédit des "
    "entreprises (www.gsxt.gov.cn)."
)
_NOTICE_SIZES: Final = (6.5, 6.3, 6.1)


def _notice_texts(french: bool) -> list[Text]:
    texts = [
        Text(_NOTICE_ZH, 6.5, MUTED),
        Text(_NOTICE_EN, 6.5, MUTED, space_before=1.5, lang=EN),
    ]
    if french:
        texts.append(Text(_NOTICE_FR, 6.5, MUTED, space_before=1.5, lang=FR))
    return texts


def _fit_notice(parts: Sequence[Text]) -> Block:
    for size in _NOTICE_SIZES:
        block = text_block(parts, _NOTICE_WIDTH, size / 6.5)
        if block.height <= _NOTICE_HEIGHT and block.most_latin_lines <= 2:
            return block
    raise LicenceLayoutOverflow("statutory notice", block.height, _NOTICE_HEIGHT)


def _fit_block(region: str, parts: Sequence[Text], width: float) -> Block:
    # Smaller type before a third line: a name broken twice reads as three names.
    for scale in _FOOTER_SCALES:
        block = text_block(parts, width, scale)
        if block.height <= _FOOTER_HEIGHT and block.most_latin_lines <= 2:
            return block
    for scale in _FOOTER_SCALES:
        block = text_block(parts, width, scale)
        if block.height <= _FOOTER_HEIGHT:
            return block
    raise LicenceLayoutOverflow(region, block.height, _FOOTER_HEIGHT)


def _paint(page: Page, c: LicenceContent, url: str, qr: QrMatrix) -> tuple[bytes, list[int]]:
    """The page, and the structure node of each marked-content sequence (index = MCID)."""
    buffer = io.BytesIO()
    owners: list[int] = []

    def marked(node: int) -> str:
        # ISO 32000-1 §14.7.4: content belongs to a structure element through the MCID of
        # the marked-content sequence around it. reportlab has no tagging API, so the
        # operators go in as literals.
        owners.append(node)
        return f"/{page.nodes[node].tag} <</MCID {len(owners) - 1}>> BDC"

    with reportlab_tuned():
        canvas = Canvas(
            buffer,
            pagesize=PAGE_SIZE,
            invariant=1,
            pageCompression=1,
            initialFontName=FONT_NAME,
            enforceColorSpace="rgb",
        )
        width, height = PAGE_SIZE
        # Borders and rules are decoration: an artifact, which assistive technology skips.
        canvas.addLiteral("/Artifact BMC")
        canvas.setStrokeColorRGB(*ACCENT)
        canvas.setLineWidth(2.2)
        canvas.rect(20, 20, width - 40, height - 40, stroke=1, fill=0)
        canvas.setLineWidth(0.6)
        canvas.rect(26, 26, width - 52, height - 52, stroke=1, fill=0)
        canvas.setFillColorRGB(*ACCENT)
        for x, y in ((26, 26), (width - 26, 26), (26, height - 26), (width - 26, height - 26)):
            canvas.rect(x - 3.5, y - 3.5, 7, 7, stroke=0, fill=1)
        for y, line_width, color in page.rules:
            canvas.setStrokeColorRGB(*color)
            canvas.setLineWidth(line_width)
            canvas.line(_LEFT, y, _RIGHT, y)
        canvas.addLiteral("EMC")

        _paint_title(canvas, page, marked)

        qr_y = _TOP - _QR_SIZE
        canvas.setFillColorRGB(*INK)
        canvas.addLiteral(marked(page.qr_node))
        draw_qr(canvas, qr, _QR_X, qr_y, _QR_SIZE)
        canvas.addLiteral("EMC")
        # F=4 (Print): ISO 19005-3 §6.3.2 wants every annotation printable.
        canvas.linkURL(url, (_QR_X, qr_y, _QR_X + _QR_SIZE, _TOP), relative=0, thickness=0, F=4)
        # The seal is drawn later, by the signer, in its own appearance stream; the figure
        # marks its place (an unpainted rectangle) so that the tree can describe it.
        x1, y1, x2, y2 = SEAL_BOX.box
        canvas.addLiteral(f"{marked(page.seal_node)} {x1} {y1} {x2 - x1} {y2 - y1} re n EMC")

        # One text object for the whole page: reportlab's per-call overhead dominates
        # otherwise. Fill+stroke (mode 2) is the semi-bold: the typeface has no bold.
        canvas.setLineWidth(_BOLD_STROKE)
        text = canvas.beginText()
        code = text._code  # marked-content operators may sit inside a text object (§9.4)
        size, color, stroke, mode = 0.0, (-1.0, -1.0, -1.0), (-1.0, -1.0, -1.0), 0
        for line in page.texts:
            if line.size != size:
                size = line.size
                text.setFont(FONT_NAME, size)
            if line.color != color:
                color = line.color
                text.setFillColorRGB(*color)
            if line.bold and line.color != stroke:
                stroke = line.color
                text.setStrokeColorRGB(*stroke)
            if (2 if line.bold else 0) != mode:
                mode = 2 if line.bold else 0
                text.setTextRenderMode(mode)
            code.append(marked(line.node))
            text.setTextOrigin(line.x, line.y)
            text.textOut(line.text)
            code.append("EMC")
        canvas.drawText(text)
        canvas.showPage()
        canvas.save()
    return buffer.getvalue(), owners


# (text, size, letter spacing, drop below the top margin, render mode, language)
_TITLES: Final = (
    ("营业执照", 32.0, 14.0, 42.0, 2, "zh-CN"),
    ("BUSINESS LICENCE", 11.5, 3.2, 62.0, 0, EN),
    ("LICENCE COMMERCIALE", 8.5, 2.2, 76.0, 0, FR),
)
_QR_ALT: Final = "核验二维码 / QR code to verify this licence: {url}"
_SEAL_ALT: Final = (
    "登记机关电子印章 / Seal of {authority}: the visible part of the licence's digital signature"
)


def _layout_title(page: Page, french: bool) -> None:
    heading = page.open("H1")
    for _text, _size, _spacing, _drop, _mode, lang in _TITLES[: 3 if french else 2]:
        page.title_nodes.append(page.open("Span", heading, lang=lang))


def _paint_title(canvas: Canvas, page: Page, marked: Callable[[int], str]) -> None:
    font = licence_font()
    centre = (_LEFT + _RIGHT) / 2
    canvas.setFillColorRGB(*ACCENT)
    canvas.setStrokeColorRGB(*ACCENT)
    canvas.setLineWidth(0.9)
    for node, (title, size, spacing, drop, mode, _lang) in zip(
        page.title_nodes, _TITLES, strict=False
    ):
        # Letter-spaced like the paper licence; centred without the last letter's spacing.
        width = font.stringWidth(title, size) + (len(title) - 1) * spacing
        canvas.setFont(FONT_NAME, size)
        canvas.addLiteral(marked(node))
        canvas.drawString(centre - width / 2, _TOP - drop, title, mode=mode, charSpace=spacing)
        canvas.addLiteral("EMC")


def _check_characters(content: LicenceContent, public_base_url: str) -> None:
    for path, text in content.text_fields():
        check_coverage(path, text)
    check_coverage("public_base_url", public_base_url)


def _laid_out(content: LicenceContent, public_base_url: str) -> tuple[str, QrMatrix, Page]:
    url = verification_url(content, public_base_url)
    _check_characters(content, public_base_url)
    qr = qr_matrix(url)
    page = Page()
    _layout_title(page, content.variant.has_french)
    _layout_header(page, content, qr, url)
    _layout_table(page, content)
    _layout_footer(page, content, url)
    return url, qr, page


def check_printable(content: LicenceContent, *, public_base_url: str) -> None:
    """Raise what `render_licence` would raise for `content`, without drawing the page or
    writing the PDF (~1 ms instead of ~12): the check an application passes at submission."""
    _laid_out(content, public_base_url)


def render_licence(content: LicenceContent, *, public_base_url: str) -> bytes:
    """Render `content` as a one-page A4 PDF (PDF 1.7, aiming at PDF/A-3b).

    The same content and base URL always give the same bytes. The area `SEAL_BOX` is left
    empty for the visible signature. Raises `UnrenderableCharacter` if the font lacks a glyph,
    `LicenceLayoutOverflow` if the content cannot fit at the minimum type size, and
    `InvalidLicenceContent` for a malformed base URL.
    """
    url, qr, page = _laid_out(content, public_base_url)
    rendered, owners = _paint(page, content, url, qr)

    data = licence_data(content, verification_url=url)
    attachment = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    languages = ("zh-CN", "en", "fr") if content.variant.has_french else ("zh-CN", "en")
    meta = DocumentMetadata(
        title=f"营业执照 Business Licence — {content.name.zh} ({content.uscc})",
        subject=(
            f"Business licence of {content.name.en}, USCC {content.uscc}, "
            f"version {content.version}, issued {content.issue_date.isoformat()} "
            f"by {content.registration_authority.en}"
        ),
        author=content.registration_authority.zh,
        keywords=f"营业执照; business licence; {content.uscc}",
        languages=languages,
        date=content.issue_date,
    )
    return finish_pdf(rendered, meta, attachment, page.nodes, owners)
