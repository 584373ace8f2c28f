"""The transparency log, public: the latest signed checkpoint (C2SP tlog-checkpoint), its
verifier key, the published leaves, and inclusion and consistency proofs (RFC 9162), so anyone
can monitor the registry's history (`bizreg log monitor`) without database access."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import Engine
from sqlmodel import col, select

from registration.api.deps import SessionDep
from registration.api.overload import OVERLOAD_ERRORS
from registration.api.problems import problem_responses
from registration.errors import NoCheckpoint, PayloadInvalid, ProofUnavailable
from registration.models import LogLeaf
from registration.services import checkpoints
from tlog import ProofError

router = APIRouter(
    prefix="/log", tags=["transparency log"], responses=problem_responses(*OVERLOAD_ERRORS)
)
MAX_LEAVES = 1000
_NO_STORE = {"Cache-Control": "no-cache"}


def _cache(request: Request) -> checkpoints.TreeCache:
    engine: Engine = request.app.state.engine
    return checkpoints.tree_cache(engine)


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    responses=problem_responses(NoCheckpoint),
)
def checkpoint(session: SessionDep) -> PlainTextResponse:
    """The latest signed checkpoint: origin, tree size, root hash, the log key's signature."""
    row = checkpoints.latest(session)
    if row is None:
        raise NoCheckpoint("the log has signed no checkpoint yet")
    return PlainTextResponse(row.note, headers=_NO_STORE)


@router.get("/key", response_class=PlainTextResponse)
def key(request: Request) -> PlainTextResponse:
    """The checkpoint signature's verifier key (`name+keyid+base64`, C2SP signed-note)."""
    return PlainTextResponse(checkpoints.verifier_key(request.app.state.settings) + "\n")


@router.get("/leaves", responses=problem_responses(ProofUnavailable, PayloadInvalid))
def leaves(
    session: SessionDep,
    start: Annotated[int, Query(ge=0)],
    end: Annotated[int, Query(ge=1)],
) -> dict[str, Any]:
    """The published leaves `start` ≤ index < `end` (at most 1000): each one's canonical JSON.
    Records about people appear only as a salted commitment; hash each string
    as it is (RFC 9162 leaf hash of its UTF-8 bytes)."""
    if end <= start or end - start > MAX_LEAVES:
        raise ProofUnavailable(f"ask for 1 to {MAX_LEAVES} leaves, start < end")
    rows = session.exec(
        select(LogLeaf.idx, LogLeaf.body)
        .where(col(LogLeaf.idx) >= start, col(LogLeaf.idx) < end)
        .order_by(col(LogLeaf.idx))
    ).all()
    return {"start": start, "leaves": [body for _, body in rows]}


@router.get("/proof/inclusion", responses=problem_responses(ProofUnavailable, PayloadInvalid))
def inclusion(
    request: Request,
    session: SessionDep,
    index: Annotated[int, Query(ge=0)],
    tree_size: Annotated[int, Query(ge=1)],
) -> dict[str, Any]:
    """RFC 9162 inclusion proof of leaf `index` in the tree of `tree_size` leaves."""
    try:
        proof = checkpoints.inclusion(session, _cache(request), index, tree_size)
    except ProofError as error:
        raise ProofUnavailable(str(error)) from None
    return proof.to_json()


@router.get("/proof/consistency", responses=problem_responses(ProofUnavailable, PayloadInvalid))
def consistency(
    request: Request,
    session: SessionDep,
    first: Annotated[int, Query(ge=0)],
    second: Annotated[int, Query(ge=0)],
) -> dict[str, Any]:
    """RFC 9162 consistency proof between the trees of `first` and `second` leaves."""
    try:
        proof = checkpoints.consistency(session, _cache(request), first, second)
    except ProofError as error:
        raise ProofUnavailable(str(error)) from None
    return {
        "first": first,
        "second": second,
        "proof": [base64.b64encode(p).decode() for p in proof],
    }
