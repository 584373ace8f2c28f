"""docs/licence-*.png show what the service issues today (`make previews` regenerates them)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from registration.issuance import previews
from registration.issuance.previews import CHANNELS, MANIFEST, inputs_sha256, write_previews
from tests.tooling import require_tool

DOCS = previews.REPO / "docs"


def _manifest() -> dict[str, object]:
    data: dict[str, object] = json.loads((DOCS / MANIFEST).read_text("utf-8"))
    return data


def test_previews_were_made_from_the_current_inputs() -> None:
    assert _manifest()["inputs_sha256"] == inputs_sha256(), (
        "docs/licence-*.png are stale: an input of the licence's look changed since they were "
        "made (docs/licence-previews.json lists them); run `make previews`, look, commit"
    )


def test_the_committed_images_are_the_ones_the_manifest_describes() -> None:
    images = _manifest()["images"]
    assert isinstance(images, dict)
    assert set(images) == {f"licence-{channel}.png" for channel in CHANNELS}
    for name, sha256 in images.items():
        assert hashlib.sha256((DOCS / name).read_bytes()).hexdigest() == sha256, name


def test_a_change_to_an_input_makes_the_previews_stale(tmp_path: Path) -> None:
    for name in previews.INPUTS:
        source = previews.REPO / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, tmp_path / name)
    assert inputs_sha256(tmp_path) == inputs_sha256()
    template = tmp_path / "templates" / "licence.py"
    template.write_text(template.read_text("utf-8") + "\n# a new seal position\n", "utf-8")
    assert inputs_sha256(tmp_path) != inputs_sha256()


@pytest.mark.slow
def test_make_previews_draws_a_sealed_licence_per_channel(tmp_path: Path) -> None:
    require_tool("pdftoppm", "poppler-utils")
    written = write_previews(tmp_path)
    manifest = json.loads((tmp_path / MANIFEST).read_text("utf-8"))
    assert manifest["inputs_sha256"] == inputs_sha256()
    assert sorted(p.name for p in written) == sorted(manifest["images"])
    for path in written:
        # Same page size as the committed image (the seal only adds ink, never resizes).
        assert path.read_bytes()[16:24] == (DOCS / path.name).read_bytes()[16:24]
