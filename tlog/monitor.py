"""What a regulator or a bank runs against the registry's log (`bizreg log monitor`): keep the
last checkpoint seen and every leaf hash, and prove each new checkpoint consistent with it.

A checkpoint that does not extend the last one seen means the history was rewritten; the
monitor then compares the leaves now served with those it kept and names each one that
changed or vanished. Transport is a callable (`get(path) -> text`), so this library needs no
HTTP client.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tlog.merkle import MerkleTree, ProofError, leaf_hash, verify_consistency
from tlog.note import Checkpoint, NoteError, NoteVerifier

Get = Callable[[str], str]
PAGE = 1000


@dataclass
class MonitorState:
    key: str
    size: int = 0
    root: str = ""
    leaves: list[str] = field(default_factory=list)  # hex leaf hashes
    refs: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "size": self.size,
            "root": self.root,
            "leaves": self.leaves,
            "refs": self.refs,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MonitorState:
        return cls(data["key"], data["size"], data["root"], data["leaves"], data["refs"])


@dataclass
class MonitorResult:
    state: MonitorState  # the state to keep (unchanged when something is wrong)
    checkpoint: Checkpoint | None
    problems: list[str]


def _fetch_leaves(get: Get, start: int, end: int) -> list[tuple[str, str]]:
    """(hex leaf hash, ref) of leaves start..end-1."""
    result: list[tuple[str, str]] = []
    while start + len(result) < end:
        first = start + len(result)
        page = json.loads(get(f"/log/leaves?start={first}&end={min(end, first + PAGE)}"))
        bodies: list[str] = page["leaves"]
        if not bodies:
            raise ProofError(f"the log serves no leaf {first}")
        for body in bodies:
            result.append((leaf_hash(body.encode()).hex(), str(json.loads(body).get("ref"))))
    return result


def _name_changes(get: Get, state: MonitorState, size: int) -> list[str]:
    served = _fetch_leaves(get, 0, min(size, state.size)) if size else []
    names = []
    for index, (kept, ref) in enumerate(zip(state.leaves, state.refs, strict=True)):
        if index >= len(served):
            names.append(f"leaf {index} ({ref}) is gone")
        elif served[index][0] != kept:
            now = served[index][1]
            changed = ref if now == ref else f"{ref}, now {now}"
            names.append(f"leaf {index} ({changed}) was rewritten")
    return names


def check(get: Get, state: MonitorState | None, key: str | None = None) -> MonitorResult:
    """One monitoring round."""
    if state is None:
        state = MonitorState(key or get("/log/key").strip())
    verifier = NoteVerifier.parse(state.key)
    try:
        checkpoint = Checkpoint.open(get("/log/checkpoint"), verifier)
    except NoteError as error:
        return MonitorResult(state, None, [f"checkpoint refused: {error}"])
    problems: list[str] = []
    if state.size:
        old_root = bytes.fromhex(state.root)
        try:
            if checkpoint.size < state.size:
                raise ProofError(f"the log shrank from {state.size} to {checkpoint.size} leaves")
            proof = json.loads(
                get(f"/log/proof/consistency?first={state.size}&second={checkpoint.size}")
            )["proof"]
            verify_consistency(
                state.size,
                checkpoint.size,
                old_root,
                checkpoint.root,
                [base64.b64decode(p) for p in proof],
            )
        except ProofError as error:
            problems.append(f"history rewritten: {error}")
            problems.extend(_name_changes(get, state, checkpoint.size))
            return MonitorResult(state, checkpoint, problems)
    tree = MerkleTree(bytes.fromhex(h) for h in state.leaves)
    new = _fetch_leaves(get, state.size, checkpoint.size)
    for value, _ in new:
        tree.append_hash(bytes.fromhex(value))
    if tree.root() != checkpoint.root:
        problems.append("the leaves served do not hash to the signed checkpoint")
        return MonitorResult(state, checkpoint, problems)
    updated = MonitorState(
        state.key,
        checkpoint.size,
        checkpoint.root.hex(),
        [*state.leaves, *(v for v, _ in new)],
        [*state.refs, *(r for _, r in new)],
    )
    return MonitorResult(updated, checkpoint, problems)
