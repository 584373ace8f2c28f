"""C2SP signed notes and checkpoints: round trip, and every tampering refused."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tlog import Checkpoint, NoteError, NoteSigner, NoteVerifier


def _signer(name: str = "example.org/log") -> NoteSigner:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return NoteSigner(name, raw, key.sign)


def test_checkpoint_round_trip() -> None:
    signer = _signer()
    checkpoint = Checkpoint("example.org/log", 42, bytes(range(32)))
    note = signer.sign_note(checkpoint.text())
    assert note.startswith(
        "example.org/log\n42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n— "
    )
    verifier = NoteVerifier.parse(signer.verifier_key)
    assert Checkpoint.open(note, verifier, "example.org/log") == checkpoint


def test_tampered_or_foreign_notes_are_refused() -> None:
    signer = _signer()
    verifier = NoteVerifier.parse(signer.verifier_key)
    note = signer.sign_note(Checkpoint("example.org/log", 42, bytes(32)).text())
    with pytest.raises(NoteError, match="does not verify"):
        verifier.open(note.replace("\n42\n", "\n43\n"))
    with pytest.raises(NoteError, match="not signed by"):
        verifier.open(_signer().sign_note(Checkpoint("example.org/log", 1, bytes(32)).text()))
    with pytest.raises(NoteError, match="expected"):
        Checkpoint.open(note, verifier, "other.org/log")
    with pytest.raises(NoteError):
        NoteVerifier.parse("example.org/log+00000000+AAAA")
