"""The QR symbol decodes for every shape of verification URL."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from templates.qr import QUIET_ZONE_MODULES, _rectangles, qr_matrix

BASES = [
    "https://bizreg.example.cn",
    "http://localhost:8000",
    "https://verify.dongguan-amr.example.gov.cn/licences/public/portal",  # 60 characters
]
CODES = ["91441900MA5FQ3KN54", "91441900MA5GT7XB8R", "91441900MA5HUP2D2X", "914419000000000000"]


def raster(matrix: tuple[tuple[bool, ...], ...], scale: int = 4) -> Image.Image:
    size = (len(matrix) + 2 * QUIET_ZONE_MODULES) * scale
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    # Drawn from the same rectangles as the PDF path, so the merging is checked too.
    for col, row, width, height in _rectangles(matrix):
        x = (col + QUIET_ZONE_MODULES) * scale
        y = (row + QUIET_ZONE_MODULES) * scale
        draw.rectangle((x, y, x + width * scale - 1, y + height * scale - 1), fill=0)
    return image


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("version", [1, 7, 12345])
def test_verification_urls_decode(base: str, code: str, version: int) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    url = f"{base}/verify/{code}?v={version}"
    matrix = qr_matrix(url)
    assert len(matrix) <= 41  # version 6 at most: modules stay >= 1.7 pt at 70 pt
    results = zxingcpp.read_barcodes(raster(matrix))
    assert [r.text for r in results] == [url]


def test_rectangles_cover_exactly_the_dark_modules() -> None:
    matrix = qr_matrix("https://bizreg.example.cn/verify/91441900MA5FQ3KN54?v=1")
    covered = [[False] * len(matrix) for _ in matrix]
    for col, row, width, height in _rectangles(matrix):
        for y in range(row, row + height):
            for x in range(col, col + width):
                assert not covered[y][x]  # no overlaps
                covered[y][x] = True
    assert covered == [list(row) for row in matrix]
