"""C2SP signed notes (Ed25519) and tlog checkpoints (c2sp.org/signed-note,
c2sp.org/tlog-checkpoint).

A checkpoint is the note text

    <origin>
    <tree size>
    <base64 root hash>

followed by a blank line and one signature line per signer: `— <key name> <base64(key id ||
signature)>`, where the key id is the first 4 bytes of SHA-256(name || "\\n" || 0x01 ||
public key). A verifier key is written `<name>+<hex key id>+<base64(0x01 || public key)>`.

The signer is a callable so that the private key can live in a PKCS#11 token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ED25519 = b"\x01"
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space


class NoteError(ValueError):
    """A note or checkpoint that is malformed or not signed by the expected key."""


def _key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public_key).digest()[:4]


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"a key name has no spaces or '+': {name!r}")


@dataclass(frozen=True)
class NoteSigner:
    name: str
    public_key: bytes  # raw 32 bytes
    sign: Callable[[bytes], bytes]

    def __post_init__(self) -> None:
        _check_name(self.name)

    @property
    def verifier_key(self) -> str:
        encoded = base64.b64encode(ED25519 + self.public_key).decode()
        return f"{self.name}+{_key_id(self.name, self.public_key).hex()}+{encoded}"

    def sign_note(self, text: str) -> str:
        if not text.endswith("\n"):
            raise NoteError("a note's text ends with a newline")
        signature = self.sign(text.encode())
        line = base64.b64encode(_key_id(self.name, self.public_key) + signature).decode()
        return f"{text}\n{SIGNATURE_PREFIX}{self.name} {line}\n"


@dataclass(frozen=True)
class NoteVerifier:
    name: str
    key_id: bytes
    public_key: bytes

    @classmethod
    def parse(cls, verifier_key: str) -> NoteVerifier:
        try:
            name, key_id_hex, encoded = verifier_key.strip().split("+", 2)
            raw = base64.b64decode(encoded, validate=True)
            key_id = bytes.fromhex(key_id_hex)
        except (ValueError, binascii.Error) as error:
            raise NoteError(f"not a verifier key: {verifier_key!r}") from error
        _check_name(name)
        if raw[:1] != ED25519 or len(raw) != 33 or _key_id(name, raw[1:]) != key_id:
            raise NoteError(f"not an Ed25519 verifier key: {verifier_key!r}")
        return cls(name, key_id, raw[1:])

    def open(self, note: str) -> str:
        """The note's text, if this key signed it; raises NoteError otherwise."""
        text, separator, signatures = note.rpartition("\n\n")
        if not separator or not note.endswith("\n"):
            raise NoteError("not a signed note")
        text += "\n"
        key = Ed25519PublicKey.from_public_bytes(self.public_key)
        for line in signatures.splitlines():
            if not line.startswith(SIGNATURE_PREFIX):
                raise NoteError(f"not a signature line: {line!r}")
            name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
            if name != self.name:
                continue
            try:
                raw = base64.b64decode(encoded, validate=True)
            except binascii.Error as error:
                raise NoteError("malformed signature line") from error
            if raw[:4] != self.key_id:
                continue
            try:
                key.verify(raw[4:], text.encode())
            except InvalidSignature:
                raise NoteError(f"the signature of {self.name} does not verify") from None
            return text
        raise NoteError(f"the note is not signed by {self.name}")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or not lines[0]:
            raise NoteError("a checkpoint has an origin, a size and a root hash")
        try:
            size = int(lines[1])
            root = base64.b64decode(lines[2], validate=True)
        except (ValueError, binascii.Error) as error:
            raise NoteError("malformed checkpoint size or root hash") from error
        if size < 0 or str(size) != lines[1] or len(root) != 32:
            raise NoteError("malformed checkpoint size or root hash")
        return cls(lines[0], size, root, tuple(lines[3:-1]))

    @classmethod
    def open(cls, note: str, verifier: NoteVerifier, origin: str | None = None) -> Checkpoint:
        checkpoint = cls.parse(verifier.open(note))
        if origin is not None and checkpoint.origin != origin:
            raise NoteError(f"checkpoint of log {checkpoint.origin!r}, expected {origin!r}")
        return checkpoint
