"""The integrators' contract: the example payloads in tests/contract/ (what banks code
against, what `make run`'s quickstart submits) are accepted as-is and take the path the
contract's README promises.

These tests read only the committed copies, so they run in every checkout. Comparing the copies
with the shared originals (../shared/examples) is one test of its own: it runs when that folder
is beside the checkout and is reported as skipped, naming the folder, when it is not.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from registration.cli.terminal import simulated_attestation
from tests.conftest import CHANNEL_FILES, EXAMPLES
from tests.terminals.support import attest_over_http

SHARED = Path(__file__).resolve().parents[2] / "shared" / "examples"
Headers = dict[str, str]
# tests/contract/README.md: the path each example takes once attested and submitted.
EXPECTED = {"yinzhengtong": "approved", "hong_kong": "approved", "paris": "submitted"}


@pytest.mark.parametrize("channel", sorted(CHANNEL_FILES))
def test_each_example_is_accepted_as_is_and_takes_its_documented_path(
    channel: str, app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    bank = api_client_for(channel)
    raw = (EXAMPLES / CHANNEL_FILES[channel]).read_bytes()
    created = app_client.post(
        "/api/v1/applications",
        content=raw,  # the file's bytes, not a re-serialisation of them
        headers={**bank, "Content-Type": "application/json"},
    )
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    assert all(r.status_code == 201 for r in attest_over_http(app_client, bank, app_id))
    submitted = app_client.post(f"/api/v1/applications/{app_id}/submit", headers=bank)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == EXPECTED[channel]
    if channel == "paris":
        assert submitted.json()["category"] == "food_safety"


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    return type(value).__name__


def test_attestation_claims_example_has_the_shape_terminals_sign() -> None:
    example = json.loads((EXAMPLES / "attestation-claims.json").read_text("utf-8"))
    person = json.loads((EXAMPLES / CHANNEL_FILES["yinzhengtong"]).read_text("utf-8"))["persons"][0]
    token = simulated_attestation(Ed25519PrivateKey.generate(), "t01", "app-1", person)
    segment = token.split(".")[1]
    signed = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    assert _shape(example) == _shape(signed)


def test_the_contract_readme_names_every_example() -> None:
    readme = (EXAMPLES / "README.md").read_text("utf-8")
    for path in EXAMPLES.glob("*.json"):
        assert f"`{path.name}`" in readme, path.name


def test_contract_copies_match_the_shared_originals() -> None:
    if not SHARED.is_dir():
        pytest.skip(
            f"{SHARED} not found: the copies in tests/contract/ were tested, but not compared "
            "with the shared originals (put the shared folder beside the checkout to compare)"
        )
    originals = {p.name for p in SHARED.iterdir() if p.is_file()}
    copies = {p.name for p in EXAMPLES.iterdir() if p.is_file()}
    assert originals <= copies, f"not copied: {sorted(originals - copies)}"
    for name in sorted(originals):
        assert (EXAMPLES / name).read_bytes() == (SHARED / name).read_bytes(), name


def test_without_the_shared_folder_only_the_comparison_is_skipped_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.test_contract as module

    monkeypatch.setattr(module, "SHARED", tmp_path / "absent")
    with pytest.raises(
        pytest.skip.Exception, match=r"absent not found: the copies in tests/contract/"
    ):
        module.test_contract_copies_match_the_shared_originals()
    module.test_the_contract_readme_names_every_example()  # the others need nothing beside
