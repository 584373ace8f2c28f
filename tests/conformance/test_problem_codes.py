"""docs/terminal-protocol.md lists every problem code the service can answer with."""

from __future__ import annotations

from conformance import problem_codes
from registration.errors import problem_classes


def test_the_specification_lists_every_problem_code() -> None:
    text = problem_codes.DOCUMENT.read_text("utf-8")
    assert problem_codes.document_with_table(text) == text, (
        "the table is stale: run python -m conformance.problem_codes"
    )
    listed = text.split(problem_codes.HEADING, 1)[1]
    for cls in problem_classes():
        assert f"| `{cls.code}` |" in listed, cls.code
