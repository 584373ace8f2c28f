"""Refuse characters the database cannot store, at the edge, for every endpoint at once.

PostgreSQL text cannot hold U+0000, and no UTF-8 column can hold a lone surrogate (U+D800–
U+DFFF, which JSON's `\\ud800` escapes can produce). Left alone they surface deep in a use case
as a driver error — a 500 after part of the work was done. Here they are a 400
`unstorable_character` before anything runs: in the path, the query, a header, a JSON body or a
form body. Uploaded files (multipart) may legitimately contain NUL bytes and pass through; a
text field of such a form that reaches the database with one is caught by the safety net in
`install_unstorable_handlers`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import StatementError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registration.api.problems import internal_error, problem_of
from registration.errors import UnstorableCharacter

_ESCAPED_NUL_OR_SURROGATE = re.compile(rb"\\u(0000|d[89a-f][0-9a-f]{2})", re.IGNORECASE)
_FORM_NUL = re.compile(rb"%00", re.IGNORECASE)


def unstorable(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text)


def _walk(value: Any) -> bool:
    if isinstance(value, str):
        return unstorable(value)
    if isinstance(value, dict):
        return any(_walk(k) or _walk(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_walk(v) for v in value)
    return False


def _json_unstorable(body: bytes) -> bool:
    if b"\x00" in body:
        return True
    if not _ESCAPED_NUL_OR_SURROGATE.search(body):
        return False
    try:
        return _walk(json.loads(body))
    except ValueError:
        return False  # not JSON at all: the endpoint's own parser says so


class RefuseUnstorable:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = self._in_request_line(scope)
        if where:
            await self._refuse(scope, send, where)
            return
        content_type = dict(scope.get("headers") or []).get(b"content-type", b"").lower()
        if not (b"json" in content_type or b"x-www-form-urlencoded" in content_type):
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)  # disconnected: let the app see it
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        bad = (
            _json_unstorable(body)
            if b"json" in content_type
            else bool(_FORM_NUL.search(body)) or b"\x00" in body
        )
        if bad:
            await self._refuse(scope, send, "body")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    def _in_request_line(scope: Scope) -> str | None:
        if unstorable(scope.get("path", "")):
            return "path"
        query: bytes = scope.get("query_string", b"")
        if b"\x00" in query or _FORM_NUL.search(query):
            return "query"
        for _, value in scope.get("headers") or []:
            if b"\x00" in value:
                return "header"
        return None

    async def _refuse(self, scope: Scope, send: Send, where: str) -> None:
        error = UnstorableCharacter(
            f"the request's {where} contains a character that cannot be stored "
            "(U+0000 or a lone surrogate)",
            extra={"location": where},
        )
        body = json.dumps(
            {
                "type": f"/problems/{error.code}",
                "title": error.title,
                "status": error.http_status,
                "detail": error.detail,
                "code": error.code,
                "instance": scope.get("path", "").replace("\x00", "\\u0000"),
                "location": where,
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": error.http_status,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def install_unstorable_handlers(app: FastAPI) -> None:
    """The safety net: a value the edge could not see (a multipart text field) that the
    driver refuses is still the caller's 400, not our 500; the transaction is rolled back."""

    @app.exception_handler(StatementError)
    async def _statement(request: Request, exc: StatementError) -> JSONResponse:
        original = exc.orig
        if isinstance(original, UnicodeEncodeError) or (
            isinstance(original, ValueError) and "NUL" in str(original)
        ):
            return problem_of(
                request,
                UnstorableCharacter("a value contains a character that cannot be stored"),
            )
        return internal_error(request)
