"""The PKI directory's files: atomic writes, the exclusive lock, and the manifest `pki.json`.

`signing.pki` describes the directory and its commit protocol; this module holds the mechanics
it relies on: a file is replaced only by `os.replace` after `fsync` (never half-written), keys
are created mode 0600, and every change runs under `flock` on `.lock`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from signing.crl import RevocationReason, RevokedEntry
from signing.errors import PkiError
from signing.keys import KeyAlgorithm

__all__ = [
    "MANIFEST_FORMAT",
    "Manifest",
    "certificate_pem",
    "locked",
    "read_certificate",
    "serial_hex",
    "write_atomically",
]

MANIFEST_FORMAT = 1


def certificate_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def serial_hex(serial: int) -> str:
    return f"{serial:x}"


def write_atomically(path: Path, data: bytes, *, private: bool = False) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        # Keys are readable by their owner only; certificates and CRLs are public documents.
        os.fchmod(fd, 0o600 if private else 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    with open(directory / ".lock", "a+b") as lock_file:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)


def read_certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


@dataclass
class Manifest:
    public_base_url: str
    key_algorithm: KeyAlgorithm
    organization: str
    current_signer_serial: int
    current_signer_key: Literal["file", "external"]
    crl_numbers: dict[str, int]
    revoked: dict[str, list[RevokedEntry]] = field(default_factory=dict)

    def to_json(self) -> bytes:
        document: dict[str, Any] = {
            "format": MANIFEST_FORMAT,
            "public_base_url": self.public_base_url,
            "key_algorithm": self.key_algorithm,
            "organization": self.organization,
            "current_signer": {
                "serial": serial_hex(self.current_signer_serial),
                "key": self.current_signer_key,
            },
            "crl_numbers": self.crl_numbers,
            "revoked": {
                issuer: [
                    {
                        "serial": serial_hex(entry.serial_number),
                        "revoked_at": entry.revoked_at.isoformat(),
                        "reason": entry.reason.value,
                        **(
                            {"invalidity_date": entry.invalidity_date.isoformat()}
                            if entry.invalidity_date is not None
                            else {}
                        ),
                    }
                    for entry in entries
                ]
                for issuer, entries in self.revoked.items()
            },
        }
        return json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n"

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        document = json.loads(data)
        if document.get("format") != MANIFEST_FORMAT:
            raise PkiError(f"unsupported PKI manifest format {document.get('format')!r}")
        return cls(
            public_base_url=document["public_base_url"],
            key_algorithm=document["key_algorithm"],
            organization=document["organization"],
            current_signer_serial=int(document["current_signer"]["serial"], 16),
            current_signer_key=document["current_signer"]["key"],
            crl_numbers={k: int(v) for k, v in document["crl_numbers"].items()},
            revoked={
                issuer: [
                    RevokedEntry(
                        serial_number=int(item["serial"], 16),
                        revoked_at=dt.datetime.fromisoformat(item["revoked_at"]),
                        reason=RevocationReason(item["reason"]),
                        invalidity_date=(
                            dt.datetime.fromisoformat(item["invalidity_date"])
                            if "invalidity_date" in item
                            else None
                        ),
                    )
                    for item in entries
                ]
                for issuer, entries in document["revoked"].items()
            },
        )
