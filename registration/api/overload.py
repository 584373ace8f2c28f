"""Overload is answered, never queued: a cap on requests in flight per process.

Beyond `max_concurrent_requests` a request gets 503 with `Retry-After` before anything runs (no
authentication, no nonce spent, nothing read). The database pool has one connection per
admitted request (`Settings.effective_pool_size`), and since no request ever holds two, an
admitted request always finds one: the pool cannot deadlock, and a request that still waits
longer than `database_pool_timeout_seconds` for one gets 503 too (`install_overload_handlers`).

A request parked by `Prefer: wait` gives its slot back while it waits (`Slot.release`) and
takes one again before it reads the database (`Slot.reacquire`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Receive, Scope, Send

from registration.api.problems import problem_of
from registration.errors import DatabaseBusy, DatabaseUnavailable, ServiceUnavailable

SLOT_KEY: Final = "bizreg.slot"
RETRY_AFTER_SECONDS: Final = 1
_REACQUIRE_POLL_SECONDS: Final = 0.01
# Liveness must answer while the process is saturated: it says the process is alive.
_EXEMPT: Final = frozenset({"/healthz"})


class Slot:
    """One admitted request's place under the cap."""

    def __init__(self, cap: RequestCap) -> None:
        self.cap = cap
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.cap.in_flight -= 1

    async def reacquire(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for a free place, or raise `ServiceUnavailable`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.held:
            if self.cap.in_flight < self.cap.limit:
                self.cap.in_flight += 1
                self.held = True
                return
            if loop.time() >= deadline:
                raise ServiceUnavailable(_BUSY, retry_after=RETRY_AFTER_SECONDS)
            await asyncio.sleep(_REACQUIRE_POLL_SECONDS)


_BUSY = "the service is at its request limit; retry after Retry-After seconds"
# Any route may be refused so (all but /healthz): every router declares them.
OVERLOAD_ERRORS = (ServiceUnavailable, DatabaseBusy, DatabaseUnavailable)
log = logging.getLogger("bizreg.api")


class RequestCap:
    """ASGI middleware: at most `limit` requests of this process in flight at once."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0  # only touched on the event loop: no lock needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _EXEMPT:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            refusal = ServiceUnavailable(_BUSY, retry_after=RETRY_AFTER_SECONDS)
            response = problem_of(Request(scope), refusal)
            await response(scope, receive, send)
            return
        self.in_flight += 1
        slot = Slot(self)
        scope[SLOT_KEY] = slot
        try:
            await self.app(scope, receive, send)
        finally:
            slot.release()


def slot_of(request: Request) -> Slot | None:
    slot = request.scope.get(SLOT_KEY)
    return slot if isinstance(slot, Slot) else None


def install_overload_handlers(app: FastAPI) -> None:
    """Waiting too long for a database connection, or SQLite's write lock, is overload (503),
    not an internal error: nothing was changed and a retry will succeed."""

    @app.exception_handler(PoolTimeout)
    async def _pool_timeout(request: Request, exc: PoolTimeout) -> JSONResponse:
        return problem_of(
            request,
            DatabaseBusy(
                "no database connection became free in time; retry after Retry-After seconds"
            ),
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _operational(request: Request, exc: DBAPIError) -> JSONResponse:
        if "database is locked" in str(exc.orig):
            return problem_of(
                request,
                DatabaseBusy(
                    "the database is busy with other writes; retry after Retry-After seconds"
                ),
            )
        # Unreachable, restarted, or the connection was terminated: the transaction was rolled
        # back, so a retry is safe. Logged, since operators must hear of it.
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return problem_of(
            request,
            DatabaseUnavailable(
                "the database cannot be reached; nothing was changed", retry_after=5
            ),
        )
