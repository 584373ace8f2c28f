"""The HTTP edge: raw request bytes in, recorded responses out.

RFC 9530 digests and idempotency fingerprints are over the body *as sent*, before FastAPI
parses it (JSON, multipart). `TerminalExchange`, an ASGI middleware, buffers the body of
requests that carry a signature or an `Idempotency-Key`, hands the same bytes to the app,
and keeps them in the request scope; when a request holds an idempotency claim it stores the
final response before sending its last byte.

It sits inside `BodySizeLimit`, which refuses oversize bodies first; the buffered body is
therefore bounded by the upload limit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registration.db import utcnow
from registration.http import idempotency
from registration.http.idempotency import Claim, IdempotentReplay, StoredResponse
from registration.principal import Principal

SCOPE_KEY = "bizreg.exchange"
REPLAYED_HEADER = "Idempotent-Replayed"
_BUFFERED_WHEN = (b"signature", b"signature-input", b"idempotency-key")
log = logging.getLogger("bizreg.terminals")


@dataclass
class Exchange:
    """Per-request state shared by the middleware and the dependencies (via the scope)."""

    body: bytes | None = None
    claim: Claim | None = None
    # The request's own session: the claim is settled on it, never on a second connection.
    session: Session | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)


def exchange_of(request: Request) -> Exchange:
    exchange = request.scope.get(SCOPE_KEY)
    if not isinstance(exchange, Exchange):
        raise RuntimeError("TerminalExchange middleware is not installed")
    return exchange


class TerminalExchange:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = Exchange()
        scope[SCOPE_KEY] = exchange
        names = {name for name, _ in scope.get("headers") or []}
        if any(name in names for name in _BUFFERED_WHEN):
            exchange.body = await _read_body(receive)
            receive = _replaying(exchange.body, receive)
        recorder = _Recorder(exchange, send)
        try:
            await self.app(scope, receive, recorder.send)
        except Exception:
            if exchange.claim is not None and exchange.session is not None:
                await anyio.to_thread.run_sync(
                    idempotency.release, exchange.session, exchange.claim
                )
            raise


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # http.disconnect: what arrived is all there is
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect as usual

    return replay


class _Recorder:
    """Passes the response through; for a claimed request, stores it before the last byte."""

    def __init__(self, exchange: Exchange, send: Send) -> None:
        self.exchange = exchange
        self.downstream = send
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        claim, session = self.exchange.claim, self.exchange.session
        if claim is None or session is None:
            await self.downstream(message)
            return
        if message["type"] == "http.response.start":
            self.start = message
            return
        if message["type"] != "http.response.body" or self.start is None:
            await self.downstream(message)
            return
        self.chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        status = int(self.start["status"])
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in self.start.get("headers", [])
        ]
        body = b"".join(self.chunks)
        if status >= 500:
            await anyio.to_thread.run_sync(idempotency.release, session, claim)
        else:
            stored = await anyio.to_thread.run_sync(
                idempotency.complete, session, claim, StoredResponse(status, headers, body)
            )
            if not stored:
                log.warning(
                    "idempotency claim %s/%s lost before its response", claim.principal, claim.key
                )
        self.exchange.claim = None  # settled: an exception after this must not release it
        await self.downstream(self.start)
        await self.downstream({"type": "http.response.body", "body": body, "more_body": False})


async def claim_idempotency_key(
    request: Request, session: Session, principal: Principal, key: str
) -> None:
    """Claim `key` for this request (or raise the replay / 409 / 422), and tie the claim to the
    use case's transaction. Called by the `IdempotencyKey` dependency."""
    exchange = exchange_of(request)
    content_type = request.headers.get("content-type", "")
    body = exchange.body or b""
    if content_type.lower().startswith("multipart/form-data"):
        body = idempotency.form_material(await _form_parts(request))
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    target = bytes(raw_path).decode("latin-1")
    if query:
        target += "?" + bytes(query).decode("latin-1")
    claimed = await run_in_threadpool(
        idempotency.claim,
        session,
        principal=idempotency.scope_of(principal),
        key=key,
        fingerprint=idempotency.request_hash(request.method, target, content_type, body),
        method=request.method,
        path=target,
        now=utcnow(),
    )
    exchange.session = session
    exchange.claim = claimed
    idempotency.bind_to_session(session, claimed)


async def _form_parts(request: Request) -> list[tuple[str, str, bytes]]:
    # FastAPI has parsed the form already; Starlette caches it on the request.
    form = await request.form()
    parts: list[tuple[str, str, bytes]] = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            content = await value.read()
            await value.seek(0)
            parts.append((name, value.filename or "", content))
        else:
            parts.append((name, "", value.encode("utf-8")))
    return parts


def install(app: FastAPI) -> None:
    """The replay handler; add the middleware with `app.add_middleware(TerminalExchange)`."""

    @app.exception_handler(IdempotentReplay)
    async def _replay(request: Request, exc: IdempotentReplay) -> Response:
        stored = exc.response
        response = Response(content=stored.body, status_code=stored.status)
        for name, value in stored.headers:
            response.headers.append(name, value)
        response.headers[REPLAYED_HEADER] = "true"
        return response
