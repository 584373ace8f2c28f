"""An ASGI app whose first process starts at once and every later one only after
`SLOW_START_SECONDS`: a supervisor's start-up can then be caught with one child listening
and the others still starting. Answers every request with its process id."""

from __future__ import annotations

import os
import time
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


def _pid(_request: Request) -> PlainTextResponse:
    return PlainTextResponse(str(os.getpid()))


def create() -> Starlette:
    marker = Path(os.environ["SLOW_START_MARKER"])
    try:
        with marker.open("x") as first:  # exclusive: exactly one process starts at once
            first.write(str(os.getpid()))
    except FileExistsError:
        time.sleep(float(os.environ["SLOW_START_SECONDS"]))
    return Starlette(routes=[Route("/", _pid)])
