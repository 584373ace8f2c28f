"""Same content, same bytes: within a process, across processes, and against a golden hash.

The golden hashes pin the exact output of one toolchain (GOLDEN_TOOLCHAIN). With another
version of any of these libraries the bytes may legitimately differ, so the comparison is
skipped, saying so, rather than failing everyone's build on an upgrade. When a deliberate
layout change or an upgrade moves them: regenerate the previews
(`make previews`), look at them, then paste the hashes and versions this
test prints.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pikepdf
import pytest
from reportlab import rl_config
from reportlab.pdfbase import pdfdoc

from templates import render_licence
from templates.specimens import SPECIMEN_BASE_URL, SPECIMENS
from tests.templates.conftest import Rendered

GOLDEN_SHA256 = {
    "yinzhengtong": "a18ca2018fabaf5aec38fbe7561ea58742386b27b6a792363d52ab20b8415343",
    "hong_kong": "0a9aa20b74801a90e5b6acdd4a05ad1c2297da5f66965f59f2752f6e1ffc6e8a",
    "paris": "0c768363bb8f3171f0f96f626aa0568e933c82d6e1f20b63d89ced98b7cd60dc",
}

GOLDEN_TOOLCHAIN = {
    "reportlab": "5.1.0",
    "rl-accel": "0.9.1",
    "zxing-cpp": "3.1.1",
    "pikepdf": "10.18.0",
    "qpdf": "12.4.2",
    "zlib": "1.2.13",
}

ROOT = Path(__file__).resolve().parents[2]


def toolchain() -> dict[str, str]:
    versions = {
        name: importlib.metadata.version(name) for name in ("reportlab", "rl-accel", "zxing-cpp")
    }
    return versions | {
        "pikepdf": pikepdf.__version__,
        "qpdf": pikepdf.__libqpdf_version__,
        "zlib": zlib.ZLIB_RUNTIME_VERSION,
    }


@pytest.mark.parametrize("key", sorted(SPECIMENS))
def test_rendering_twice_gives_identical_bytes(rendered: dict[str, Rendered], key: str) -> None:
    again = render_licence(SPECIMENS[key], public_base_url=SPECIMEN_BASE_URL)
    assert again == rendered[key].pdf


def test_another_process_gives_identical_bytes(rendered: dict[str, Rendered]) -> None:
    # A different hash seed reorders sets and dicts of strings: any iteration over one
    # that reached the output would show here.
    script = (
        "import hashlib, sys\n"
        "from templates import render_licence\n"
        "from templates.specimens import SPECIMENS, SPECIMEN_BASE_URL\n"
        "for key in sorted(SPECIMENS):\n"
        "    pdf = render_licence(SPECIMENS[key], public_base_url=SPECIMEN_BASE_URL)\n"
        "    print(key, hashlib.sha256(pdf).hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    theirs = dict(line.split() for line in out.splitlines())
    ours = {key: hashlib.sha256(rendered[key].pdf).hexdigest() for key in SPECIMENS}
    assert theirs == ours


def test_output_matches_the_golden_hashes(rendered: dict[str, Rendered]) -> None:
    actual = {key: hashlib.sha256(rendered[key].pdf).hexdigest() for key in GOLDEN_SHA256}
    if toolchain() != GOLDEN_TOOLCHAIN:
        pytest.skip(
            f"golden hashes were recorded with {GOLDEN_TOOLCHAIN}, this is {toolchain()}; "
            f"after checking the previews, record GOLDEN_SHA256 = {actual}"
        )
    assert actual == GOLDEN_SHA256, (
        "rendered bytes changed; if intended, check the previews and update GOLDEN_SHA256 to "
        f"{actual}"
    )


def test_reportlab_settings_are_restored_after_rendering() -> None:
    before = (rl_config.useA85, pdfdoc.PDFZCompress)
    render_licence(SPECIMENS["paris"], public_base_url=SPECIMEN_BASE_URL)
    assert (rl_config.useA85, pdfdoc.PDFZCompress) == before
