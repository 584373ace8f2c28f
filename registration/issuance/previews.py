"""The licence previews in docs/: `make previews` (`python -m registration.issuance.previews`).

Each image is a licence as the service issues it: the contract's example payload of its channel
(tests/contract/), the service's content rules (`issuance.content`), a USCC of the allocator's
shape, rendered by `templates` and signed with the visible seal by a throwaway development
authority; poppler's `pdftoppm` (Debian: poppler-utils) draws the page.

Beside the images, `licence-previews.json` records the SHA-256 of every input that decides what
a licence looks like (`INPUTS`) and of each image; tests/templates/test_previews.py recomputes
the first and fails when it moved: the images are stale. Inputs rather than pixels or PDF
bytes, because those are not reproducible: the seal prints its signing time, and another
reportlab, zlib or poppler changes bytes without changing the look.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from registration.domain.application import ApplicationPayload
from registration.domain.identifiers import USCC_ALPHABET, compute_uscc
from registration.issuance.authority import build_authority
from registration.issuance.content import authority_text, licence_content
from registration.settings import Settings

__all__ = ["INPUTS", "MANIFEST", "inputs_sha256", "write_previews"]

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "tests" / "contract"
CHANNELS = {
    "yinzhengtong": "application-yinzhengtong.json",
    "hong-kong": "application-hong-kong.json",
    "paris": "application-paris.json",
}
MANIFEST = "licence-previews.json"
# 75 dpi keeps each image near 100 KB while the small print stays legible.
PREVIEW_DPI = 75
PREVIEW_DATE = date(2026, 1, 5)  # a fixed date: the previews change only when the look does
PREVIEW_BASE_URL = "https://bizreg.example.cn"
# What decides a licence's look (repository-relative; directories taken whole). Settings count
# by the values a licence prints (`_printed_settings`), not as a file every issue edits.
INPUTS = (
    "templates",
    "signing/seal.py",
    "registration/issuance/content.py",
    "registration/issuance/previews.py",
    "registration/domain/catalogue.py",
    "registration/domain/catalogue_data",
    "registration/domain/enterprise_types.py",
    *(f"tests/contract/{name}" for name in CHANNELS.values()),
)


def _input_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for name in INPUTS:
        path = root / name
        if path.is_dir():
            files += [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        elif path.is_file():
            files.append(path)
    return sorted(files)


def inputs_sha256(root: Path = REPO) -> str:
    """SHA-256 over the names and bytes of every input that decides how the previews look."""
    digest = hashlib.sha256(_printed_settings())
    for path in _input_files(root):
        name = path.relative_to(root).as_posix().encode()
        data = path.read_bytes()
        digest.update(b"%d:%s%d:" % (len(name), name, len(data)))
        digest.update(data)
    return digest.hexdigest()


def _printed_settings() -> bytes:
    defaults = Settings.model_fields
    names = ("authority_name_zh", "authority_name_en", "authority_name_fr", "region_code")
    return json.dumps({name: defaults[name].default for name in names}).encode()


def _uscc(sequence: int) -> str:
    """A code of the allocator's shape (services/uscc.py): MA + six base-31 digits."""
    digits = ""
    for _ in range(6):
        sequence, remainder = divmod(sequence, len(USCC_ALPHABET))
        digits = USCC_ALPHABET[remainder] + digits
    return compute_uscc("9", "1", "441900", "MA" + digits)


def preview_pdfs(scratch: Path) -> dict[str, bytes]:
    """One signed licence per channel, made by a development authority in `scratch`."""
    settings = Settings(data_dir=scratch, public_base_url=PREVIEW_BASE_URL)
    authority = build_authority(settings)
    pdfs = {}
    for sequence, (channel, file_name) in enumerate(CHANNELS.items(), start=1):
        payload = ApplicationPayload.model_validate_json((EXAMPLES / file_name).read_bytes())
        content = licence_content(
            payload,
            uscc=_uscc(sequence * 7919),
            version=1,
            established=PREVIEW_DATE,
            issued=PREVIEW_DATE,
            authority=authority_text(settings),
        )
        pdfs[channel] = authority.issue_pdf(content)
    return pdfs


def write_previews(directory: Path, dpi: int = PREVIEW_DPI) -> list[Path]:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise RuntimeError("pdftoppm not found: install the Debian package poppler-utils")
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as scratch:
        for channel, pdf_bytes in preview_pdfs(Path(scratch) / "authority").items():
            pdf = Path(scratch) / f"{channel}.pdf"
            pdf.write_bytes(pdf_bytes)
            target = directory / f"licence-{channel}"
            subprocess.run(  # noqa: S603 - fixed tool, arguments are our own paths
                [pdftoppm, "-r", str(dpi), "-png", "-singlefile", str(pdf), str(target)],
                check=True,
            )
            written.append(target.with_suffix(".png"))
    manifest = {
        "how": "make previews (python -m registration.issuance.previews docs)",
        "inputs_sha256": inputs_sha256(),
        "inputs": list(INPUTS),
        "images": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in written},
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return written


if __name__ == "__main__":
    for written_path in write_previews(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(written_path)
