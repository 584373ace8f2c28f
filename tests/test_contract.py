"""The committed copies of the integrators' example payloads equal the shared originals."""

from pathlib import Path

import pytest

from tests.conftest import EXAMPLES

SHARED = Path(__file__).resolve().parents[2] / "shared" / "examples"


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_contract_copy_matches_shared(name: str) -> None:
    if not SHARED.is_dir():
        pytest.skip("../shared/examples is not beside this checkout")
    assert (EXAMPLES / name).read_bytes() == (SHARED / name).read_bytes()


def test_every_shared_example_is_copied() -> None:
    if not SHARED.is_dir():
        pytest.skip("../shared/examples is not beside this checkout")
    assert {p.name for p in SHARED.glob("*.json")} <= {p.name for p in EXAMPLES.glob("*.json")}
