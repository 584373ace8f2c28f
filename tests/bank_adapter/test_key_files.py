"""Private keys on disk: PKCS#8 PEM, mode 600 from the start, never overwritten by accident."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bank_adapter import load_private_key, load_public_key, public_key_pem, write_private_key


@pytest.mark.parametrize(
    "make", [Ed25519PrivateKey.generate, lambda: ec.generate_private_key(ec.SECP256R1())]
)
def test_a_written_key_reads_back_and_only_its_owner_can_read_it(
    tmp_path: Path, make: object
) -> None:
    key = make()  # type: ignore[operator]
    path = tmp_path / "k.pem"
    write_private_key(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_private_key(path.read_bytes())
    assert public_key_pem(again) == public_key_pem(key)
    assert public_key_pem(load_public_key(public_key_pem(key))) == public_key_pem(key)


def test_an_existing_key_is_kept_unless_replacing_is_asked(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    first, second = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    write_private_key(path, first)
    with pytest.raises(FileExistsError):
        write_private_key(path, second)
    assert public_key_pem(load_private_key(path.read_bytes())) == public_key_pem(first)
    write_private_key(path, second, replace=True)
    assert public_key_pem(load_private_key(path.read_bytes())) == public_key_pem(second)
