"""Write PNG previews of the specimen licences: `python -m templates.preview docs`.

Needs poppler's `pdftoppm` (Debian: poppler-utils). Reviewers look at these images when a
layout change moves the golden hashes in tests/templates/test_golden.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from templates.licence import render_licence
from templates.specimens import SPECIMEN_BASE_URL, SPECIMENS

__all__ = ["write_previews"]

# 75 dpi keeps each image near 100 KB while the small print stays legible.
PREVIEW_DPI = 75


def write_previews(directory: Path, dpi: int = PREVIEW_DPI) -> list[Path]:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise RuntimeError("pdftoppm not found: install the Debian package poppler-utils")
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as scratch:
        for key, content in SPECIMENS.items():
            pdf = Path(scratch) / f"{key}.pdf"
            pdf.write_bytes(render_licence(content, public_base_url=SPECIMEN_BASE_URL))
            target = directory / f"licence-{key.replace('_', '-')}"
            subprocess.run(  # noqa: S603 - fixed tool, arguments are our own paths
                [pdftoppm, "-r", str(dpi), "-png", "-singlefile", str(pdf), str(target)],
                check=True,
            )
            written.append(target.with_suffix(".png"))
    return written


if __name__ == "__main__":
    for path in write_previews(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(path)
