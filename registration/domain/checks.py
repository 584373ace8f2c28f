"""Automatic checks run at submission, and the instant-approval eligibility rule (DESIGN.md §2).

Hard errors stop submission; flags let it through but route it to an officer instead of the
instant path (for example a received USCC whose check character fails: some early, legally
issued codes do).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from registration.domain import catalogue
from registration.domain.application import ApplicationPayload, FieldError, check_consistency


@dataclass(frozen=True)
class CheckReport:
    errors: list[FieldError] = field(default_factory=list)
    flags: list[FieldError] = field(default_factory=list)


def run_automatic_checks(
    payload: ApplicationPayload, document_kinds: Collection[str]
) -> CheckReport:
    errors = list(check_consistency(payload))
    if (
        payload.company.articles_of_association.template == "uploaded"
        and "articles_of_association" not in document_kinds
    ):
        errors.append(
            FieldError(
                field="company.articles_of_association",
                code="document_missing",
                message="upload the articles of association (PDF) or choose the standard template",
            )
        )
    return CheckReport(errors=errors)


def instant_ineligibility(payload: ApplicationPayload, report: CheckReport) -> list[str]:
    """Why this application needs a human; empty means the system may accept and approve it."""
    reasons: list[str] = []
    company_type = catalogue.company_types().get(payload.company.type)
    if company_type is None or not company_type.standard:
        reasons.append(f"company type {payload.company.type} is not a standard type")
    if payload.company.articles_of_association.template != "standard":
        reasons.append("articles of association are not the authority's standard text")
    scope = catalogue.business_scope()
    for item in payload.company.business_scope:
        if item not in scope or scope[item].permit:
            reasons.append(f"business scope item {item!r} needs a permit")
    reasons.extend(f"{flag.field}: {flag.message}" for flag in report.flags)
    if report.errors:
        reasons.append("automatic checks failed")
    return reasons
