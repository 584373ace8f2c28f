"""Rendered specimens (once per session) and readers built on poppler's command-line tools."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from templates import LicenceContent, render_licence
from templates.specimens import SPECIMEN_BASE_URL, SPECIMENS
from tests.templates.samples import longest_content
from tests.tooling import require_tool


@dataclass(frozen=True)
class Rendered:
    content: LicenceContent
    pdf: bytes
    path: Path


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """The three channel specimens plus `longest`: every field at its maximum length."""
    out = tmp_path_factory.mktemp("licences")
    contents = {**SPECIMENS, "longest": longest_content()}
    result = {}
    for key, content in contents.items():
        pdf = render_licence(content, public_base_url=SPECIMEN_BASE_URL)
        path = out / f"{key}.pdf"
        path.write_bytes(pdf)
        result[key] = Rendered(content, pdf, path)
    return result


def pdftotext(path: Path, *args: str) -> str:
    tool = require_tool("pdftotext", "poppler-utils")
    return subprocess.run(
        [tool, *args, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def squeeze(text: str) -> str:
    """Without any whitespace: wrapping adds line breaks, letter spacing adds spaces."""
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class Word:
    text: str
    x1: float
    y1: float  # PDF user space: origin bottom left
    x2: float
    y2: float


_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def words(path: Path, page_height: float) -> list[Word]:
    """Every word with its bounding box (pdftotext -bbox), flipped to PDF coordinates."""
    html = pdftotext(path, "-bbox")
    return [
        Word(text, float(x1), page_height - float(y2), float(x2), page_height - float(y1))
        for x1, y1, x2, y2, text in _WORD.findall(html)
    ]
