"""Automatic checks run at submission, and the instant-approval eligibility rule (DESIGN.md §2).

Hard errors stop submission; flags let it through but route it to an officer instead of the
instant path (for example a received USCC whose check character fails: some early, legally
issued codes do).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from registration.domain import catalogue
from registration.domain.application import ApplicationPayload, FieldError, check_consistency
from registration.domain.identifiers import (
    CnIdCard,
    IdentifierError,
    Passport,
    compare_mrz,
    validate_document,
    validate_registration,
)
from registration.domain.names import NameCheck


@dataclass(frozen=True)
class CheckReport:
    errors: list[FieldError] = field(default_factory=list)
    flags: list[FieldError] = field(default_factory=list)


def identity_findings(payload: ApplicationPayload, today: date) -> CheckReport:
    """Check every identity document and corporate registration number in the application."""
    errors: list[FieldError] = []
    flags: list[FieldError] = []
    for i, person in enumerate(payload.persons):
        where = f"persons[{i}].document"
        doc = person.document
        try:
            parsed = validate_document(doc.type, doc.number, doc.mrz, today=today)
        except IdentifierError as error:
            field_name = (
                f"{where}.{error.field}" if error.field in ("mrz", "number") else f"{where}.number"
            )
            errors.append(FieldError(field_name, error.message, error.code))
            continue
        if isinstance(parsed, CnIdCard):
            # GB 11643: the number encodes birth date and sex; the application must agree.
            if parsed.birth_date != person.birth_date:
                errors.append(
                    FieldError(
                        f"persons[{i}].birth_date",
                        "differs from the birth date in the ID card number",
                        "id_card_mismatch",
                    )
                )
            if parsed.sex != person.sex:
                errors.append(
                    FieldError(
                        f"persons[{i}].sex",
                        "differs from the sex encoded in the ID card number",
                        "id_card_mismatch",
                    )
                )
        if isinstance(parsed, Passport) and parsed.mrz is not None:
            mismatches = compare_mrz(
                parsed.mrz,
                document_number=doc.number,
                birth_date=person.birth_date,
                nationality=person.nationality,
                sex=person.sex,
            )
            errors.extend(
                FieldError(f"persons[{i}].{m.field}", m.message, m.code) for m in mismatches
            )
            if parsed.mrz.is_expired(today):
                errors.append(
                    FieldError(
                        f"{where}.mrz",
                        f"the passport expired on {parsed.mrz.expiry_date}",
                        "document_expired",
                    )
                )
    for i, holder in enumerate(payload.shareholders):
        if holder.entity is None:
            continue
        registration = holder.entity.registration
        where = f"shareholders[{i}].entity.registration.number"
        try:
            check = validate_registration(registration.scheme, registration.number)
        except IdentifierError as error:
            errors.append(FieldError(where, error.message, error.code))
            continue
        flags.extend(FieldError(where, flag.message, flag.code) for flag in check.flags)
    return CheckReport(errors=errors, flags=flags)


def run_automatic_checks(
    payload: ApplicationPayload,
    document_kinds: Collection[str],
    name_check: NameCheck,
    today: date,
) -> CheckReport:
    """Completeness, identifiers and the company name, as run at submission."""
    identity = identity_findings(payload, today)
    errors = [*check_consistency(payload), *identity.errors]
    errors.extend(
        FieldError("company.name.zh", reason.message, reason.code) for reason in name_check.reasons
    )
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
    return CheckReport(errors=errors, flags=identity.flags)


def case_ineligibility(company_type: str, articles_template: str, scope: list[str]) -> list[str]:
    """Why a case of this kind needs a human, from what a terminal knows before the details
    (company type, articles, business scope): the part of `instant_ineligibility` that
    `GET /api/v1/requirements` answers with."""
    reasons: list[str] = []
    known_type = catalogue.company_types().get(company_type)
    if known_type is None or not known_type.standard:
        reasons.append(f"company type {company_type} is not a standard type")
    if articles_template != "standard":
        reasons.append("articles of association are not the authority's standard text")
    catalogued = catalogue.business_scope()
    for item in scope:
        if item not in catalogued or catalogued[item].permit:
            reasons.append(f"business scope item {item!r} needs a permit")
    return reasons


def instant_ineligibility(payload: ApplicationPayload, report: CheckReport) -> list[str]:
    """Why this application needs a human; empty means the system may accept and approve it."""
    reasons = case_ineligibility(
        payload.company.type,
        payload.company.articles_of_association.template,
        list(payload.company.business_scope),
    )
    reasons.extend(f"{flag.field}: {flag.message}" for flag in report.flags)
    if report.errors:
        reasons.append("automatic checks failed")
    return reasons
