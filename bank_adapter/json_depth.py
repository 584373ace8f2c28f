"""JSON from strangers, with its nesting bounded before it is parsed.

`json.loads` recurses once per `[` / `{`: a few kilobytes of `[[[[…` exhaust the interpreter's
recursion limit and raise `RecursionError`, which is no `ValueError` and so escapes the
`except ValueError` of every caller as a 500 (and catching `RecursionError` itself is fragile:
how deep is too deep then depends on the stack already in use). `loads_bounded` counts the
nesting first, in one linear pass that skips string literals, and refuses anything deeper
than `MAX_JSON_DEPTH` with `JsonTooDeep`, a `ValueError`, so such input is refused the way
any other non-JSON is.

Nothing this protocol exchanges comes close: an attestation's claims nest three deep, an
application payload five.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final

__all__ = ["MAX_JSON_DEPTH", "JsonTooDeep", "json_depth_exceeds", "loads_bounded"]

MAX_JSON_DEPTH: Final = 32

# A string literal (an unterminated one runs to the end, so no input makes this backtrack),
# or an opening or closing bracket. Brackets inside strings are thereby skipped.
_TOKENS: Final = re.compile(r'"(?:[^"\\]|\\[\s\S]?)*(?:"|\Z)|[\[{]|[\]}]')


class JsonTooDeep(ValueError):
    """The JSON text nests arrays / objects deeper than allowed."""


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `text` opens more than `limit` arrays / objects inside one another.

    Meant for text about to be parsed: on malformed text it may over-count, which only
    refuses something the parser would have refused anyway.
    """
    depth = 0
    for token in _TOKENS.finditer(text):
        char = text[token.start()]
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth = max(depth - 1, 0)
    return False


def loads_bounded(
    data: str | bytes,
    *,
    max_depth: int = MAX_JSON_DEPTH,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> Any:
    """`json.loads`, refusing nesting deeper than `max_depth` with `JsonTooDeep` before parsing.

    Bytes are decoded as `json.loads` decodes them (UTF-8, -16 or -32, RFC 8259 §8.1); every
    failure is a `ValueError` (`UnicodeDecodeError`, `json.JSONDecodeError`, `JsonTooDeep`).
    """
    text = (
        data.decode(json.detect_encoding(data), "surrogatepass")
        if isinstance(data, bytes)
        else data
    )
    if json_depth_exceeds(text, max_depth):
        raise JsonTooDeep(f"JSON nested deeper than {max_depth} levels")
    return json.loads(text, object_pairs_hook=object_pairs_hook)
