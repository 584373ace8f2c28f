"""Keys and a fixed clock for the terminal-protocol tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bank_adapter import PrivateKey

NOW = datetime(2025, 11, 29, 0, 0, 30, tzinfo=UTC)


@pytest.fixture(params=["ed25519", "ecdsa-p256-sha256"])
def private_key(request: pytest.FixtureRequest) -> PrivateKey:
    """A fresh terminal key, once per algorithm of the protocol."""
    if request.param == "ed25519":
        return Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def other_key(private_key: PrivateKey) -> PrivateKey:
    """Another key of the same kind: right algorithm, wrong holder."""
    if isinstance(private_key, Ed25519PrivateKey):
        return Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())
