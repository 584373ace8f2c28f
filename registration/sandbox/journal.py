"""What each client did, as the sandbox saw it: one JSON line per API request (and per webhook
receipt) in `<data dir>/sandbox-journal.jsonl`.

The recorder sits outside the app, so it sees refusals too. The `keyid` and `nonce` it notes
come from the request's Signature-Input before anything verified them; grading trusts them only
for answers that prove the signature verified (2xx/3xx, or a `replayed_nonce` refusal, which the
service gives only after the signature checked out)."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_KEYID: Final = re.compile(r'keyid="([^"]{1,256})"')
_NONCE: Final = re.compile(r'nonce="([^"]{1,128})"')
_CODE: Final = re.compile(rb'"code"\s*:\s*"([a-z_]{1,64})"')
_MAX_SNIFFED: Final = 64 * 1024


@dataclass(frozen=True)
class Entry:
    at: str
    kind: str  # "request" | "receipt"
    method: str = ""
    path: str = ""
    status: int = 0
    code: str | None = None  # the problem's code, for 4xx/5xx
    keyid: str | None = None
    nonce: str | None = None
    idempotency_key: str | None = None
    replayed: bool = False  # Idempotent-Replayed: true
    client_id: str | None = None  # receipts: the authenticated client
    event_id: str | None = None  # receipts: the webhook the client says it verified
    event_keyid: str | None = None  # receipts: the authority key it verified it with


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, entry: Entry) -> None:
        line = json.dumps(asdict(entry), ensure_ascii=False) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as journal:
            journal.write(line)

    def entries(self) -> list[Entry]:
        if not self.path.exists():
            return []
        with self._lock:
            lines = self.path.read_text("utf-8").splitlines()
        return [Entry(**json.loads(line)) for line in lines if line.strip()]


def now() -> str:
    return datetime.now(UTC).isoformat()


class Recorder:
    """ASGI middleware: a journal entry for every request under /api/."""

    def __init__(self, app: ASGIApp, journal: Journal) -> None:
        self.app = app
        self.journal = journal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith("/api/"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        signature_input = headers.get("signature-input", "")
        keyid, nonce = _KEYID.search(signature_input), _NONCE.search(signature_input)
        status, replayed, problem = 0, False, False
        body = bytearray()

        async def noting_send(message: Message) -> None:
            nonlocal status, replayed, problem
            if message["type"] == "http.response.start":
                status = message["status"]
                answer = {k.decode("latin-1").lower(): v for k, v in message.get("headers", [])}
                replayed = answer.get("idempotent-replayed") == b"true"
                problem = answer.get("content-type", b"").startswith(b"application/problem")
            elif message["type"] == "http.response.body" and problem:
                body.extend(message.get("body", b"")[: _MAX_SNIFFED - len(body)])
            await send(message)

        try:
            await self.app(scope, receive, noting_send)
        finally:
            code = _CODE.search(bytes(body))
            self.journal.append(
                Entry(
                    at=now(),
                    kind="request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    code=code.group(1).decode() if code else None,
                    keyid=keyid.group(1) if keyid else None,
                    nonce=nonce.group(1) if nonce else None,
                    idempotency_key=headers.get("idempotency-key"),
                    replayed=replayed,
                )
            )
