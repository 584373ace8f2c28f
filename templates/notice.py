"""The authority's written notices (受理 / 补正 / 不予登记 / 准予登记通知书): one A4 page.

A notice carries `notice.json` (format `bizreg-notice/1`) as its associated file, never
`licence.json`: a verifier reads the kind from the signed data, so a notice cannot pass for a
licence, whatever its pages say. The caller gives every text already in the languages to print
(`NoticeText`), so this module knows layout, not wording or workflow.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from templates.archive import DocumentMetadata, finish_pdf
from templates.errors import LicenceLayoutOverflow
from templates.fonts import FONT_NAME, check_coverage
from templates.licence import SealBox
from templates.notice_format import NOTICE_ATTACHMENT_NAME, NOTICE_FORMAT, NOTICE_KINDS
from templates.page import ACCENT, INK, MUTED, RULE, wrapped_lines
from templates.qr import draw_qr, qr_matrix
from templates.reportlab_tuning import reportlab_tuned

__all__ = [
    "NOTICE_ATTACHMENT_NAME",
    "NOTICE_FORMAT",
    "NOTICE_KINDS",
    "NOTICE_SEAL_BOX",
    "NoticeReason",
    "NoticeText",
    "render_notice",
]

_W, _H = float(A4[0]), float(A4[1])
_LEFT: Final = 56.0
_RIGHT: Final = _W - 56.0
_WIDTH: Final = _RIGHT - _LEFT
_BOTTOM_LIMIT: Final = 210.0  # the seal and the verification note live below
NOTICE_SEAL_BOX: Final = SealBox(0, _RIGHT - 140.0, 60.0, _RIGHT, 200.0)


@dataclass(frozen=True, slots=True)
class NoticeReason:
    field: str
    lines: tuple[str, ...]  # the reason in each language, officer's note included


@dataclass(frozen=True, slots=True)
class NoticeText:
    """Everything the page says, already in its languages (first: Chinese)."""

    kind: str
    number: str
    issue_date: date
    languages: tuple[str, ...]
    titles: tuple[str, ...]
    statements: tuple[str, ...]
    labels: dict[
        str, str
    ]  # number, company, reference, date, reasons, field, verify, not_a_licence
    company_name: str
    reference: str
    reasons: tuple[NoticeReason, ...]
    authority: str
    verification_url: str
    data: dict[str, Any]  # notice.json, as the verifier will read it


def _check(text: NoticeText) -> None:
    parts: list[tuple[str, str]] = [("company_name", text.company_name)]
    parts += [("statement", s) for s in text.statements]
    parts += [("reason", line) for r in text.reasons for line in r.lines]
    parts += [("field", r.field) for r in text.reasons]
    parts += [("label", v) for v in text.labels.values()]
    parts += [("title", t) for t in text.titles]
    for field, value in parts:
        check_coverage(field, value)


class _Writer:
    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.y = _H - 70.0

    def lines(
        self,
        text: str,
        size: float,
        color: tuple[float, float, float],
        x: float = _LEFT,
        width: float = _WIDTH,
        gap: float = 4.0,
    ) -> None:
        self.canvas.setFont(FONT_NAME, size)
        self.canvas.setFillColorRGB(*color)
        for line in wrapped_lines(text, width, size):
            if self.y - size < _BOTTOM_LIMIT:
                raise LicenceLayoutOverflow("notice", size * 1.3, self.y - _BOTTOM_LIMIT)
            self.y -= size * 1.3
            self.canvas.drawString(x, self.y, line)
        self.y -= gap


def render_notice(text: NoticeText) -> bytes:
    """Render one notice (PDF 1.7 with `notice.json`); `NOTICE_SEAL_BOX` is left for the seal.
    Raises `UnrenderableCharacter` for a glyph the font lacks, `LicenceLayoutOverflow` when the
    reasons do not fit the page."""
    _check(text)
    buffer = io.BytesIO()
    with reportlab_tuned():
        canvas = Canvas(
            buffer,
            pagesize=A4,
            invariant=1,
            pageCompression=1,
            initialFontName=FONT_NAME,
            enforceColorSpace="rgb",
        )
        canvas.setStrokeColorRGB(*ACCENT)
        canvas.setLineWidth(1.6)
        canvas.rect(28, 28, _W - 56, _H - 56, stroke=1, fill=0)
        write = _Writer(canvas)
        canvas.setFillColorRGB(*ACCENT)
        for i, title in enumerate(text.titles):
            size = 22.0 if i == 0 else 12.0
            canvas.setFont(FONT_NAME, size)
            write.y -= size * 1.25
            canvas.drawCentredString(_W / 2, write.y, title)
        write.y -= 10
        canvas.setFont(FONT_NAME, 9)
        canvas.setFillColorRGB(*MUTED)
        write.y -= 12
        canvas.drawRightString(_RIGHT, write.y, f"{text.labels['number']}: {text.number}")
        write.y -= 8
        canvas.setStrokeColorRGB(*RULE)
        canvas.setLineWidth(0.6)
        canvas.line(_LEFT, write.y, _RIGHT, write.y)
        write.y -= 14
        for label, value in (
            (text.labels["company"], text.company_name),
            (text.labels["reference"], text.reference),
            (text.labels["date"], text.issue_date.isoformat()),
        ):
            write.lines(f"{label}: {value}", 10.5, INK, gap=1.0)
        write.y -= 8
        for statement in text.statements:
            write.lines(statement, 10.5, INK)
        if text.reasons:
            write.y -= 4
            write.lines(text.labels["reasons"], 11.0, ACCENT)
            for number, reason in enumerate(text.reasons, start=1):
                write.lines(
                    f"{number}. {text.labels['field']}: {reason.field}", 9.5, MUTED, gap=1.0
                )
                for line in reason.lines:
                    write.lines(line, 10.0, INK, x=_LEFT + 14, width=_WIDTH - 14, gap=1.0)
                write.y -= 4
        # Bottom: the verification note and QR on the left, the authority and its seal right.
        qr = qr_matrix(text.verification_url)
        canvas.setFillColorRGB(*INK)
        draw_qr(canvas, qr, _LEFT, 70.0, 72.0)
        canvas.linkURL(
            text.verification_url, (_LEFT, 70.0, _LEFT + 72.0, 142.0), relative=0, thickness=0, F=4
        )
        # Right of the QR code, left of the seal: what this is, and where to verify it.
        canvas.setFont(FONT_NAME, 7.5)
        canvas.setFillColorRGB(*MUTED)
        x, width, y = _LEFT + 82.0, NOTICE_SEAL_BOX.x1 - 12.0 - (_LEFT + 82.0), 184.0
        for line in (text.labels["verify"], text.verification_url, text.labels["not_a_licence"]):
            for part in wrapped_lines(line, width, 7.5):
                if y < 62.0:
                    raise LicenceLayoutOverflow("notice footer", 9.5, 0.0)
                canvas.drawString(x, y, part)
                y -= 9.5
        canvas.setFont(FONT_NAME, 10.5)
        canvas.setFillColorRGB(*INK)
        canvas.drawRightString(_RIGHT, 206.0, text.authority)
        canvas.showPage()
        canvas.save()
    attachment = json.dumps(text.data, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    meta = DocumentMetadata(
        title=f"{text.titles[0]} {text.number}",
        subject=" / ".join(text.titles),
        author=text.authority,
        keywords=f"{text.kind} notice; {text.number}",
        languages=tuple("zh-CN" if lang.startswith("zh") else lang for lang in text.languages),
        date=text.issue_date,
    )
    return finish_pdf(
        buffer.getvalue(),
        meta,
        attachment,
        attachment_name=NOTICE_ATTACHMENT_NAME,
        attachment_description=f"Machine-readable notice data ({NOTICE_FORMAT}, JSON)",
    )
