"""A transparency log library: RFC 9162 Merkle tree hashing and proofs (`merkle`), and C2SP
signed notes and tlog checkpoints (`note`). No database, no web framework: the registry stores
the leaves, relying parties' monitors check the proofs with the same code.
"""

from tlog.merkle import (
    MerkleTree,
    ProofError,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from tlog.note import Checkpoint, NoteError, NoteSigner, NoteVerifier

__all__ = [
    "Checkpoint",
    "MerkleTree",
    "NoteError",
    "NoteSigner",
    "NoteVerifier",
    "ProofError",
    "leaf_hash",
    "node_hash",
    "verify_consistency",
    "verify_inclusion",
]
