"""/api/v1/feed: the public change feed, streamed (NDJSON) or long-polled.

    GET /api/v1/feed?after=C                    with Accept: application/x-ndjson: one event a
                                                line as they happen, each with its cursor, until
                                                `BIZREG_FEED_STREAM_SECONDS`; blank lines keep
                                                the connection alive
    GET /api/v1/feed?after=C&wait=N&limit=L     JSON {events, next_cursor}: at once if events
                                                follow C, else as soon as one does or N seconds

A waiting request holds no database connection and no slot of the request cap: it polls the
database with a short session every `_POLL_SECONDS`. Nothing about a consumer is kept in the
process; its cursor is all it needs to resume, on any process.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from registration.api.deps import SettingsDep
from registration.api.overload import OVERLOAD_ERRORS, slot_of
from registration.api.problems import problem_responses
from registration.errors import CursorExpired, CursorUnknown, PayloadInvalid
from registration.services import feed

router = APIRouter(
    prefix="/api/v1/feed", tags=["feed"], responses=problem_responses(*OVERLOAD_ERRORS)
)

_POLL_SECONDS = 0.25
_KEEPALIVE_SECONDS = 15.0
NDJSON = "application/x-ndjson"


class FeedEventOut(BaseModel):
    cursor: str
    kind: str
    uscc: str
    at: str
    data: dict[str, Any]


class FeedPageOut(BaseModel):
    events: list[FeedEventOut]
    next_cursor: str


def _read(engine: Engine, cursor: str | None, limit: int, retention: timedelta) -> list[feed.Event]:
    with Session(engine) as session:
        return feed.read_after(session, cursor, limit, retention)


@router.get(
    "",
    response_model=FeedPageOut,
    responses={
        **problem_responses(CursorUnknown, CursorExpired, PayloadInvalid),
        200: {"content": {NDJSON: {}}},
    },
)
async def read_feed(
    request: Request,
    settings: SettingsDep,
    after: Annotated[str | None, Query(max_length=40)] = None,
    wait: Annotated[int, Query(ge=0, le=600)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """Public: every public licence event (issued, amended, revoked, deregistration opened /
    objected / objection withdrawn / completed / withdrawn / refused), in order. Resume with
    the last cursor you saw: no gap, no duplicate. 410 when the events after your cursor are
    older than the retention (the problem names `oldest_cursor`); 400 for a cursor never
    issued."""
    engine: Engine = request.app.state.engine
    retention = timedelta(days=settings.feed_retention_days)
    # Checked before anything is streamed, so a bad cursor gets its problem, not a 200.
    events = await run_in_threadpool(_read, engine, after, limit, retention)
    slot = slot_of(request)
    if slot is not None:
        slot.release()  # a waiting or streaming consumer must not starve other requests
    if NDJSON in request.headers.get("accept", ""):
        deadline = time.monotonic() + settings.feed_stream_seconds
        return StreamingResponse(
            _stream(engine, after, events, limit, retention, deadline),
            media_type=NDJSON,
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
    deadline = time.monotonic() + min(wait, settings.max_wait_seconds)
    while not events and time.monotonic() < deadline and not await request.is_disconnected():
        await asyncio.sleep(_POLL_SECONDS)
        events = await run_in_threadpool(_read, engine, after, limit, retention)
    next_cursor = events[-1].cursor if events else (after or "0")
    return FeedPageOut(
        events=[FeedEventOut(**x.as_json()) for x in events], next_cursor=next_cursor
    )


async def _stream(
    engine: Engine,
    after: str | None,
    first: list[feed.Event],
    limit: int,
    retention: timedelta,
    deadline: float,
) -> AsyncIterator[bytes]:
    events, cursor = first, after
    quiet_since = time.monotonic()
    while True:
        for event in events:
            yield (json.dumps(event.as_json(), ensure_ascii=False) + "\n").encode()
            cursor = event.cursor
        if events:
            quiet_since = time.monotonic()
        now = time.monotonic()
        if now >= deadline:
            return  # the client reconnects with its last cursor
        if len(events) < limit:
            await asyncio.sleep(_POLL_SECONDS)
        if time.monotonic() - quiet_since >= _KEEPALIVE_SECONDS:
            quiet_since = time.monotonic()
            yield b"\n"
        try:
            events = await run_in_threadpool(_read, engine, cursor, limit, retention)
        except (CursorExpired, CursorUnknown):
            return  # cannot happen for a cursor we streamed; end rather than loop
