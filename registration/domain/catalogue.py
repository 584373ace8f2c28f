"""Catalogues shipped as data: company types, business scope items, channels.

The authority edits these JSON files, not code. They are loaded once per process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

GENERAL_CATEGORY = "general"


@dataclass(frozen=True)
class CompanyType:
    """A type the applicant chooses. `zh`/`en`/`fr` are its usual wording; the licence prints
    the wording derived from the shareholders (`registration.domain.enterprise_types`)."""

    code: str
    zh: str
    en: str
    fr: str
    standard: bool
    form: str  # enterprise_types.Form
    # The investors' origin the type stands for (an enterprise_types.Origin value; None: any).
    # A channel offers one type, so a foreign shareholder in a domestic company is refused.
    origin: str | None
    zh_hant: str | None = None


@dataclass(frozen=True)
class ScopeItem:
    expression: str
    en: str
    fr: str
    permit: bool
    category: str


@dataclass(frozen=True)
class Channel:
    code: str
    company_types: frozenset[str]
    currencies: frozenset[str]
    document_types: frozenset[str]
    languages: tuple[str, ...]
    client_role: str


def _load(name: str) -> dict[str, Any]:
    text = (
        resources.files("registration.domain").joinpath("catalogue_data", name).read_text("utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def company_types() -> dict[str, CompanyType]:
    return {
        code: CompanyType(code=code, **entry) for code, entry in _load("company_types.json").items()
    }


@cache
def business_scope() -> dict[str, ScopeItem]:
    return {
        expression: ScopeItem(expression=expression, **entry)
        for expression, entry in _load("business_scope.json").items()
    }


@cache
def channels() -> dict[str, Channel]:
    return {
        code: Channel(
            code=code,
            company_types=frozenset(entry["company_types"]),
            currencies=frozenset(entry["currencies"]),
            document_types=frozenset(entry["document_types"]),
            languages=tuple(entry["languages"]),
            client_role=entry["client_role"],
        )
        for code, entry in _load("channels.json").items()
    }


def approval_category(scope: list[str]) -> str:
    """The back-office category that approves an application with this business scope.

    A permit-requiring item sends the case to the office that grants that permit; the first such
    item in the applicant's order decides when several do (the others are noted for that office).
    """
    catalogue = business_scope()
    for expression in scope:
        item = catalogue.get(expression)
        if item is not None and item.permit:
            return item.category
    return GENERAL_CATEGORY
