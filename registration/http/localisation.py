"""Problem messages in the caller's language: zh-Hans, zh-Hant, en, fr (DESIGN.md §1, §6).

The texts are data (`data/problem_messages.json`: code → language → title, optional detail);
this module picks the language from `Accept-Language` (RFC 9110 §12.5.4, quality values,
lookup per RFC 4647 §3.4) and the text for a problem's stable `code`. Only `title` and
`detail` are translated; `code`, field paths and field codes stay machine-readable. A detail
is replaced only where the catalogue has a generic one; specific details (naming the allowed
actions, say) stay as written, in English.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Final

LANGUAGES: Final = ("zh-Hans", "zh-Hant", "en", "fr")
# Regions that write Traditional Chinese when a tag names no script (RFC 5646 §2.2.3).
_TRADITIONAL_REGIONS: Final = frozenset({"tw", "hk", "mo"})


@cache
def catalogue() -> dict[str, dict[str, dict[str, str]]]:
    text = (
        resources.files("registration.http")
        .joinpath("data", "problem_messages.json")
        .read_text("utf-8")
    )
    data: dict[str, dict[str, dict[str, str]]] = json.loads(text)
    return data


def _language_of(tag: str) -> str | None:
    subtags = tag.strip().lower().split("-")
    if subtags[0] == "zh":
        rest = set(subtags[1:])
        if "hant" in rest or (rest & _TRADITIONAL_REGIONS and "hans" not in rest):
            return "zh-Hant"
        return "zh-Hans"
    if subtags[0] in ("en", "fr"):
        return subtags[0]
    return None


def negotiate(accept_language: str | None) -> str | None:
    """The supported language the caller prefers most, or None if it names none of ours."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")[:20]):
        tag, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag))
    for _, _, tag in sorted(ranked):
        language = _language_of(tag)
        if language is not None:
            return language
    return None


def problem_text(code: str, status: int, language: str, title: str, detail: str) -> tuple[str, str]:
    """(title, detail) for a problem in `language`, falling back to what was given."""
    texts = catalogue()
    entry = texts.get(code)
    if entry is None:
        fallback = texts.get(f"status:{status}", {}).get(language)
        return (fallback["title"] if fallback else title), detail
    localised = entry.get(language, {})
    return localised.get("title", title), localised.get("detail", detail)
