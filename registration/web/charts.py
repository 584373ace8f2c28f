"""Server-rendered SVG bar charts (no script, no inline style: classes styled by life.css)."""

from __future__ import annotations

from html import escape

_ROW = 28
_LABEL = 150
_WIDTH = 620


def share_chart(title: str, rows: list[tuple[str, float | None]], target: float) -> str:
    """One horizontal bar per scope (0–100%), and the target as a vertical line."""
    plot = _WIDTH - _LABEL - 60
    height = 30 + _ROW * len(rows) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}" '
        f'role="img" aria-label="{escape(title)}" class="chart-svg">',
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for i, (label, share) in enumerate(rows):
        y = 30 + i * _ROW
        parts.append(f'<text x="0" y="{y + 16}" class="chart-label">{escape(label)}</text>')
        if share is None:
            parts.append(f'<text x="{_LABEL}" y="{y + 16}" class="chart-value">—</text>')
            continue
        width = max(plot * share, 1)
        tone = "bar-met" if share >= target else "bar-missed"
        parts.append(
            f'<rect x="{_LABEL}" y="{y + 4}" width="{width:.1f}" height="{_ROW - 10}" '
            f'class="{tone}"/>'
        )
        parts.append(
            f'<text x="{_LABEL + width + 6:.1f}" y="{y + 16}" class="chart-value">'
            f"{share:.0%}</text>"
        )
    x = _LABEL + plot * target
    parts.append(
        f'<line x1="{x:.1f}" y1="24" x2="{x:.1f}" y2="{height - 4}" class="target-line"/>'
        f'<text x="{x + 3:.1f}" y="{height - 2}" class="chart-target">{target:.0%}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def count_chart(title: str, rows: list[tuple[str, int]]) -> str:
    """Horizontal bars of counts (returns by reason, open applications per category)."""
    plot = _WIDTH - _LABEL - 60
    top = max((n for _, n in rows), default=0) or 1
    height = 30 + _ROW * max(len(rows), 1) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}" '
        f'role="img" aria-label="{escape(title)}" class="chart-svg">',
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for i, (label, n) in enumerate(rows):
        y = 30 + i * _ROW
        width = max(plot * n / top, 1)
        parts.append(f'<text x="0" y="{y + 16}" class="chart-label">{escape(label[:22])}</text>')
        parts.append(
            f'<rect x="{_LABEL}" y="{y + 4}" width="{width:.1f}" height="{_ROW - 10}" '
            'class="bar-count"/>'
            f'<text x="{_LABEL + width + 6:.1f}" y="{y + 16}" class="chart-value">{n}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
