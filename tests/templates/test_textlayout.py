"""Line breaking: CJK anywhere, Latin at spaces, punctuation rules, nothing lost."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from templates.textlayout import wrap


def width(text: str) -> float:
    """Monospaced measure: ideographs 2 units, everything else 1."""
    return float(sum(2 if ord(char) > 0x2E7F else 1 for char in text))


def test_ideographs_break_anywhere_but_not_before_closing_punctuation() -> None:
    lines = wrap("日用百货销售；软件开发。", 12, width)
    assert lines == ["日用百货销", "售；软件开", "发。"]
    for line in lines[1:]:
        assert line[0] not in "；。，）"


def test_opening_bracket_stays_with_what_follows() -> None:
    lines = wrap("信息咨询服务（不含许可类）", 14, width)
    assert all(not line.endswith("（") for line in lines)
    assert "".join(lines) == "信息咨询服务（不含许可类）"


def test_latin_breaks_at_spaces_and_hyphens() -> None:
    assert wrap("Dongguan Lanhai Trading Co., Ltd.", 16, width) == [
        "Dongguan Lanhai",
        "Trading Co.,",
        "Ltd.",
    ]
    assert wrap("foreign-invested company", 10, width) == ["foreign-", "invested", "company"]


def test_a_word_longer_than_the_line_is_split_not_lost() -> None:
    url = "https://bizreg.example.cn/verify/91441900MA5FQ3KN54?v=1"
    lines = wrap(url, 20, width)
    assert "".join(lines) == url
    assert all(width(line) <= 20 for line in lines)


text_chars = st.sampled_from(list("东莞市港灣諮詢（）；。、abcé -/,."))


@given(st.text(text_chars, min_size=1, max_size=120), st.integers(min_value=6, max_value=60))
def test_nothing_is_lost_and_lines_fit(text: str, limit: int) -> None:
    lines = wrap(text, limit, width)
    assert re.sub(r"\s", "", "".join(lines)) == re.sub(r"\s", "", text)
    for line in lines:
        assert width(line) <= limit
        assert line == line.strip()
