"""The public register's search: one normalisation for names and queries, as the name check's.

Simplified, Traditional and Hong Kong spellings, full-width letters, case, spaces and
punctuation all fold away (`names.normalise_name`), so 東莞市塞納 finds 东莞市塞纳 and
"SEINE food" finds "Dongguan Seine Food Technology Co., Ltd.". Punctuation and symbols are
removed, which also removes every SQL LIKE wildcard (% and _) from a query.
"""

from __future__ import annotations

import re
from typing import Final

from registration.domain.names import normalise_name

MAX_QUERY_LENGTH: Final = 100
MIN_QUERY_LENGTH: Final = 2
_SEPARATOR: Final = "|"
_USCC_RE: Final = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


class QueryRefused(ValueError):
    pass


def search_key(zh: str, en: str | None, fr: str | None) -> str:
    """The names as the register compares them, one per language, separated by "|" (which
    normalisation removes, so no query can match across two names)."""
    parts = [normalise_name(x) for x in (zh, en, fr) if x]
    return (_SEPARATOR + _SEPARATOR.join(parts) + _SEPARATOR)[:400]


def parse_query(query: str) -> tuple[str, str]:
    """("uscc", code) or ("name", normalised text); raises QueryRefused with the reason."""
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryRefused(f"a search is at most {MAX_QUERY_LENGTH} characters")
    stripped = query.strip().upper()
    if _USCC_RE.match(stripped):
        return "uscc", stripped
    folded = normalise_name(query)
    if len(folded) < MIN_QUERY_LENGTH:
        raise QueryRefused(
            f"search by a unified social credit code or by {MIN_QUERY_LENGTH}+ letters or "
            "characters of a name (punctuation and symbols are ignored)"
        )
    return "name", folded
