"""The table of every problem code for docs/terminal-protocol.md, from the service's catalogue.

    .venv/bin/python -m conformance.problem_codes   # rewrite the table in the document

`tests/conformance/test_problem_codes.py` fails when the document's table is not this one.
"""

from __future__ import annotations

import json
from pathlib import Path

from registration.errors import problem_classes

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "docs" / "terminal-protocol.md"
MESSAGES = ROOT / "registration" / "http" / "data" / "problem_messages.json"
HEADING = "## Every problem code"
# Besides every 429 and 503: answers after which the same request may succeed.
_RETRY = {"idempotency_in_progress", "internal_error"}


def table() -> str:
    messages = json.loads(MESSAGES.read_text("utf-8"))
    rows = {}
    for cls in problem_classes():
        if cls.code in rows:
            continue
        english = messages.get(cls.code, {}).get("en", {})
        meaning = english.get("detail") or english.get("title") or cls.title
        status = getattr(cls, "http_status", None) or getattr(cls, "status", "")
        again = status in (429, 503) or cls.code in _RETRY
        retry = "yes, after `Retry-After`" if again else "no: change the request"
        rows[cls.code] = (status, meaning.replace("|", "\\|").replace("\n", " "), retry)
    lines = ["| code | HTTP | meaning | retry |", "|---|---|---|---|"]
    for code, (status, meaning, retry) in sorted(rows.items(), key=lambda r: (str(r[1][0]), r[0])):
        lines.append(f"| `{code}` | {status} | {meaning} | {retry} |")
    return "\n".join(lines) + "\n"


def document_with_table(text: str) -> str:
    head, _, _ = text.partition(HEADING)
    intro = text.split(HEADING, 1)[1].split("| code |", 1)[0]
    intro = intro.replace("PROBLEM-CODES", "").rstrip()
    return head + HEADING + intro + "\n\n" + table()


if __name__ == "__main__":
    DOCUMENT.write_text(document_with_table(DOCUMENT.read_text("utf-8")), "utf-8")
    print(f"{DOCUMENT}: {table().count(chr(10)) - 2} problem codes")
