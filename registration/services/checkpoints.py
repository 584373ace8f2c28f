"""The log's tree, signed checkpoints and proofs.

Each process keeps the tree of committed leaves in memory and extends it with the leaves
committed since (leaf indices are committed in order, so a query always sees a prefix). The
checkpoint signer refuses to sign a tree that does not extend the last checkpoint it signed:
a history rewritten in the database is not blessed by the authority's key.
"""

from __future__ import annotations

import base64
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bank_adapter import write_private_key
from registration.db import utcnow
from registration.issuance import hsm
from registration.models import LogCheckpoint, LogLeaf
from registration.settings import Settings
from tlog import Checkpoint, MerkleTree, NoteSigner, NoteVerifier, ProofError

_BATCH = 20_000


class LogRewritten(RuntimeError):
    """The stored tree does not extend the last signed checkpoint."""


def log_origin(settings: Settings) -> str:
    parts = urlsplit(settings.base_url)
    return f"{parts.netloc}{parts.path.rstrip('/')}/log"


def _load_or_create_key(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        write_private_key(temporary, Ed25519PrivateKey.generate())
        try:
            os.link(temporary, path)  # fails if another process got there first: theirs wins
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def log_signer(settings: Settings) -> NoteSigner:
    """The log's own Ed25519 key: in the PKCS#11 token when `BIZREG_PKCS11_LOG_KEY` names one,
    otherwise a file in the data directory (created on first use)."""
    if settings.pkcs11_log_key is not None:
        token_key = hsm.log_key(settings)
        return NoteSigner(log_origin(settings), token_key.public_key_raw, token_key.sign)
    key = _load_or_create_key(settings.log_key_path)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return NoteSigner(log_origin(settings), raw, key.sign)


class TreeCache:
    """The committed tree, extended on demand; one per process and database."""

    def __init__(self) -> None:
        self.tree = MerkleTree()
        self.refs: list[str] = []
        self.lock = threading.Lock()

    def current(self, session: Session) -> MerkleTree:
        with self.lock:
            if self.tree.size and not self._last_leaf_unchanged(session):
                # The table was restored or emptied (tests): rebuild from the rows.
                self.tree, self.refs = MerkleTree(), []
            while True:
                rows = session.exec(
                    select(LogLeaf.idx, LogLeaf.leaf_hash, LogLeaf.ref)
                    .where(col(LogLeaf.idx) >= self.tree.size)
                    .order_by(col(LogLeaf.idx))
                    .limit(_BATCH)
                ).all()
                for idx, value, ref in rows:
                    if idx != self.tree.size:
                        raise LogRewritten(f"leaf {self.tree.size} is missing (found {idx})")
                    self.tree.append_hash(bytes.fromhex(value))
                    self.refs.append(ref)
                if len(rows) < _BATCH:
                    return self.tree

    def _last_leaf_unchanged(self, session: Session) -> bool:
        last = session.get(LogLeaf, self.tree.size - 1)
        return last is not None and last.leaf_hash == self.tree.leaf(self.tree.size - 1).hex()


_caches: dict[str, TreeCache] = {}
_caches_lock = threading.Lock()


def tree_cache(engine: Engine) -> TreeCache:
    key = str(engine.url)
    with _caches_lock:
        return _caches.setdefault(key, TreeCache())


def latest(session: Session) -> LogCheckpoint | None:
    return session.exec(
        select(LogCheckpoint).order_by(col(LogCheckpoint.size).desc()).limit(1)
    ).first()


def sign_checkpoint(session: Session, signer: NoteSigner, cache: TreeCache) -> LogCheckpoint | None:
    """Sign a checkpoint of the current tree if it grew since the last one; None otherwise.
    Raises LogRewritten (and signs nothing) if the tree does not extend the last checkpoint."""
    tree = cache.current(session)
    previous = latest(session)
    if previous is not None:
        if previous.size > tree.size:
            raise LogRewritten(
                f"the log has {tree.size} leaves, the last checkpoint {previous.size}"
            )
        if tree.root(previous.size).hex() != previous.root_hash:
            raise LogRewritten(f"the first {previous.size} leaves differ from the last checkpoint")
        if previous.size == tree.size:
            return None
    elif tree.size == 0:
        return None
    size = tree.size
    root = tree.root(size)
    note = signer.sign_note(Checkpoint(signer.name, size, root).text())
    row = LogCheckpoint(size=size, root_hash=root.hex(), note=note, signed_at=utcnow())
    session.add(row)
    session.commit()
    return row


@dataclass(frozen=True)
class Inclusion:
    index: int
    size: int
    leaf_hash: bytes
    proof: list[bytes]

    def to_json(self) -> dict[str, object]:
        return {
            "index": self.index,
            "tree_size": self.size,
            "leaf_hash": base64.b64encode(self.leaf_hash).decode(),
            "proof": [base64.b64encode(p).decode() for p in self.proof],
        }


def inclusion(session: Session, cache: TreeCache, index: int, size: int) -> Inclusion:
    tree = cache.current(session)
    if not 0 <= index < size <= tree.size:
        raise ProofError(f"leaf {index} is not in a tree of {size} (the log has {tree.size})")
    return Inclusion(index, size, tree.leaf(index), tree.inclusion_proof(index, size))


def consistency(session: Session, cache: TreeCache, old: int, new: int) -> list[bytes]:
    tree = cache.current(session)
    if not 0 <= old <= new <= tree.size:
        raise ProofError(f"no proof from {old} to {new} (the log has {tree.size})")
    return tree.consistency_proof(old, new)


def verifier_key(settings: Settings) -> str:
    return log_signer(settings).verifier_key


def open_checkpoint(row: LogCheckpoint, settings: Settings) -> Checkpoint:
    """The checkpoint, if the log's key signed it. The origin it names is taken as written:
    a development server names its log after the address it listens on, which the command
    line does not know; the key is what must match."""
    signer = log_signer(settings)
    origin = row.note.split("\n", 1)[0]
    named = NoteSigner(origin, signer.public_key, signer.sign)
    return Checkpoint.open(row.note, NoteVerifier.parse(named.verifier_key), origin)
