"""`loads_bounded`: nesting is counted before parsing; too deep is a `ValueError`, never a
`RecursionError`."""

from __future__ import annotations

import json
import time

import pytest

from bank_adapter.json_depth import (
    MAX_JSON_DEPTH,
    JsonTooDeep,
    json_depth_exceeds,
    loads_bounded,
)


def _nested(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


def test_up_to_the_bound_parses_like_json_loads() -> None:
    text = _nested(MAX_JSON_DEPTH)
    assert loads_bounded(text) == json.loads(text)
    mixed = '{"a":' * 16 + "[" * 16 + "1" + "]" * 16 + "}" * 16
    assert loads_bounded(mixed) == json.loads(mixed)


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 200_000])
def test_deeper_is_refused_as_a_value_error(depth: int) -> None:
    with pytest.raises(JsonTooDeep):
        loads_bounded(_nested(depth))
    with pytest.raises(JsonTooDeep):
        loads_bounded(('{"a":' * depth).encode())  # unterminated as well: still refused


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"a": "[" * 100, "b": '\\"{' * 100, "c": ["]]]]" * 10]})
    assert not json_depth_exceeds(text)
    assert loads_bounded(text) == json.loads(text)
    # An escaped quote does not end the string; a string does not hide what follows it.
    assert json_depth_exceeds('["\\"[[["' + ",[" * 40 + "]" * 40 + "]")


def test_bytes_are_decoded_as_json_loads_decodes_them() -> None:
    text = '{"name": "张伟"}'
    for encoding in ("utf-8", "utf-16", "utf-32-le"):
        assert loads_bounded(text.encode(encoding)) == {"name": "张伟"}
    with pytest.raises(UnicodeDecodeError):
        loads_bounded(b'"\xff"')


def test_the_scan_is_linear_on_hostile_strings() -> None:
    # Unterminated strings full of escaped quotes: a backtracking pattern would be quadratic.
    hostile = '"' + '\\"' * 200_000 + "\\"
    started = time.perf_counter()
    assert not json_depth_exceeds(hostile)
    with pytest.raises(json.JSONDecodeError):
        loads_bounded(hostile)
    assert time.perf_counter() - started < 1.0


def test_the_hook_is_passed_through() -> None:
    assert loads_bounded('{"b": 1, "a": 2}', object_pairs_hook=list) == [("b", 1), ("a", 2)]
