"""`bizreg feed`: the reference consumer of the public change feed.

    bizreg feed --url https://registry.example --after CURSOR         print events (NDJSON)
    bizreg feed --url … --output events.ndjson                         append to a file and
                                                                       resume from its last line

Exactly once across crashes: with `--output`, the file is the consumer's only state. Each
event is appended as one line, cursor included, and flushed; on start the consumer drops a
torn last line (a crash mid-write) and resumes after the last complete one. So a consumer
killed at any instant and restarted sees every event once. It follows the stream
(`Accept: application/x-ndjson`), reconnects when the server ends it, and backs off on errors.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import IO

import click
import httpx


def last_cursor(path: Path) -> str | None:
    """The cursor of the last complete line of `path`; truncates a torn last line."""
    if not path.exists():
        return None
    with path.open("rb+") as handle:
        data = handle.read()
        end = data.rfind(b"\n") + 1
        if end < len(data):
            handle.truncate(end)
        lines = data[:end].splitlines()
    for line in reversed(lines):
        if line.strip():
            cursor: str = json.loads(line)["cursor"]
            return cursor
    return None


def consume(
    url: str,
    after: str | None,
    out: IO[str],
    *,
    stop_after: float | None = None,
    max_events: int | None = None,
) -> str | None:
    """Follow the feed from `after`, writing each event to `out`; returns the last cursor."""
    started, seen, backoff = time.monotonic(), 0, 0.5
    with httpx.Client(base_url=url, timeout=httpx.Timeout(30, read=60)) as http:
        while stop_after is None or time.monotonic() - started < stop_after:
            params = {"after": after} if after else {}
            try:
                with http.stream(
                    "GET", "/api/v1/feed", params=params, headers={"Accept": "application/x-ndjson"}
                ) as response:
                    if response.status_code in (400, 410):
                        problem = json.loads(response.read())
                        raise click.ClickException(
                            f"{problem.get('code')}: {problem.get('detail')}"
                            + (
                                f" (oldest cursor {problem['oldest_cursor']})"
                                if "oldest_cursor" in problem
                                else ""
                            )
                        )
                    response.raise_for_status()
                    backoff = 0.5
                    for line in response.iter_lines():
                        if not line.strip():
                            continue  # keep-alive
                        event = json.loads(line)
                        out.write(json.dumps(event, ensure_ascii=False) + "\n")
                        out.flush()
                        after = str(event["cursor"])
                        seen += 1
                        if max_events is not None and seen >= max_events:
                            return after
            except (httpx.TransportError, httpx.HTTPStatusError) as error:
                print(f"feed: {error}; retrying in {backoff:.1f} s", file=sys.stderr)
                time.sleep(backoff)
                backoff = min(backoff * 2, 30)
    return after


@click.command("feed")
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="The service.")
@click.option("--after", default=None, help="Resume after this cursor (default: the beginning).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Append events to this file and resume from its last line.",
)
@click.option("--seconds", type=float, default=None, help="Stop after this long.")
def feed(url: str, after: str | None, output: Path | None, seconds: float | None) -> None:
    """Follow the public change feed: every public licence event, once, in order."""
    if output is None:
        consume(url, after, sys.stdout, stop_after=seconds)
        return
    resume = last_cursor(output) or after
    with output.open("a", encoding="utf-8") as out:
        os.fsync(out.fileno())
        consume(url, resume, out, stop_after=seconds)
