"""RFC 9162 hashing and proofs: roots agree with pymerkle, every proof verifies, any change
to a proof, a leaf or a root is refused."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from tlog import MerkleTree, ProofError, leaf_hash, verify_consistency, verify_inclusion


def _tree(n: int) -> MerkleTree:
    return MerkleTree(leaf_hash(str(i).encode()) for i in range(n))


def test_known_values() -> None:
    assert MerkleTree().root() == hashlib.sha256(b"").digest()
    # RFC 6962's tree of the single empty leaf.
    assert MerkleTree([leaf_hash(b"")]).root().hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 9, 31, 64, 100])
def test_roots_agree_with_pymerkle(n: int) -> None:
    reference = InmemoryTree(algorithm="sha256")
    for i in range(n):
        reference.append_entry(str(i).encode())
    tree = _tree(n)
    assert tree.root() == reference.get_root()
    for size in range(1, n + 1):
        assert tree.root(size) == reference.get_root(size)


@given(st.integers(1, 70).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_inclusion_proofs_verify(case: tuple[int, int]) -> None:
    n, index = case
    tree = _tree(n + 5)
    proof = tree.inclusion_proof(index, n)
    verify_inclusion(tree.leaf(index), index, n, proof, tree.root(n))
    with pytest.raises(ProofError):
        verify_inclusion(leaf_hash(b"other"), index, n, proof, tree.root(n))
    if proof:
        bad = [*proof[:-1], leaf_hash(b"x")]
        with pytest.raises(ProofError):
            verify_inclusion(tree.leaf(index), index, n, bad, tree.root(n))


@given(st.integers(1, 70).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_consistency_proofs_verify(case: tuple[int, int]) -> None:
    old, new = case
    tree = _tree(new)
    proof = tree.consistency_proof(old, new)
    verify_consistency(old, new, tree.root(old), tree.root(new), proof)
    if 0 < old < new:
        forked = _tree(new)
        forked.levels = MerkleTree(
            [leaf_hash(b"forged"), *(tree.leaf(i) for i in range(1, new))]
        ).levels
        with pytest.raises(ProofError):
            verify_consistency(
                old, new, tree.root(old), forked.root(new), forked.consistency_proof(old, new)
            )


def test_shrinking_and_same_size_forks_are_refused() -> None:
    tree = _tree(8)
    with pytest.raises(ProofError):
        verify_consistency(8, 7, tree.root(8), tree.root(7), [])
    with pytest.raises(ProofError):
        verify_consistency(8, 8, tree.root(8), tree.root(7), [])
