"""The public log endpoints: a checkpoint anyone can verify with the published key, proofs
that verify against it, and clear problems for what does not exist."""

from __future__ import annotations

import base64
import json

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from registration.services import ledger
from registration.settings import Settings
from registration.workers.checkpoints import CheckpointWorker
from tlog import Checkpoint, NoteVerifier, leaf_hash, verify_consistency, verify_inclusion


def _append(engine: Engine, n: int) -> None:
    for i in range(n):
        with Session(engine) as session:
            ledger.record_admin(session, "client.suspend", f"client:c{i}", "registrar")
            session.commit()


def test_checkpoint_and_proofs_verify(
    app_client: TestClient, engine: Engine, settings: Settings
) -> None:
    missing = app_client.get("/log/checkpoint")
    assert (missing.status_code, missing.json()["code"]) == (404, "no_checkpoint")
    _append(engine, 5)
    CheckpointWorker(engine, settings).sign_once()
    key = NoteVerifier.parse(app_client.get("/log/key").text)
    first = Checkpoint.open(app_client.get("/log/checkpoint").text, key)
    assert first.size == 5
    assert first.origin == "127.0.0.1:8000/log"
    _append(engine, 6)
    CheckpointWorker(engine, settings).sign_once()
    second = Checkpoint.open(app_client.get("/log/checkpoint").text, key)
    assert second.size == 11

    leaves = app_client.get("/log/leaves", params={"start": 0, "end": 11}).json()["leaves"]
    assert [json.loads(body)["kind"] for body in leaves] == ["admin.client.suspend"] * 11
    for index in (0, 4, 10):
        proof = app_client.get(
            "/log/proof/inclusion", params={"index": index, "tree_size": 11}
        ).json()
        assert base64.b64decode(proof["leaf_hash"]) == leaf_hash(leaves[index].encode())
        verify_inclusion(
            leaf_hash(leaves[index].encode()),
            index,
            11,
            [base64.b64decode(p) for p in proof["proof"]],
            second.root,
        )
    consistency = app_client.get("/log/proof/consistency", params={"first": 5, "second": 11})
    verify_consistency(
        5, 11, first.root, second.root, [base64.b64decode(p) for p in consistency.json()["proof"]]
    )


def test_impossible_proofs_are_clear_problems(app_client: TestClient, engine: Engine) -> None:
    _append(engine, 2)
    for path, params in [
        ("/log/proof/inclusion", {"index": 5, "tree_size": 3}),
        ("/log/proof/inclusion", {"index": 0, "tree_size": 99}),
        ("/log/proof/consistency", {"first": 2, "second": 1}),
        ("/log/leaves", {"start": 0, "end": 5000}),
    ]:
        response = app_client.get(path, params=params)
        assert (response.status_code, response.json()["code"]) == (400, "proof_unavailable")
    malformed = app_client.get("/log/proof/inclusion", params={"index": "x", "tree_size": 1})
    assert malformed.status_code == 422
