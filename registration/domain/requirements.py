"""What a case needs before a terminal collects anything (the seed's guided case selection,
结构精简化): fields, identity documents, attestations, uploads, and whether it qualifies for
instant approval — answered from the same sources submission checks use (the payload model,
the catalogues, `checks.case_ineligibility`, `attestation.persons_to_attest`'s roles), so the
answer cannot drift from what submission enforces."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final

from registration.domain import catalogue
from registration.domain.application import ApplicationPayload, FieldError
from registration.domain.checks import case_ineligibility

MAX_SCOPE_ITEMS: Final = 50


@dataclass(frozen=True)
class Requirements:
    channel: str
    company_type: str
    languages: tuple[str, ...]
    currencies: tuple[str, ...]
    identity_documents: tuple[str, ...]
    required_fields: tuple[str, ...]
    attestations: tuple[str, ...]
    uploads: tuple[dict[str, str], ...]
    instant: bool
    category: str
    needs_human_because: tuple[str, ...]
    scope: tuple[dict[str, Any], ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "company_type": self.company_type,
            "languages": list(self.languages),
            "currencies": list(self.currencies),
            "identity_documents": list(self.identity_documents),
            "required_fields": list(self.required_fields),
            "attestations": list(self.attestations),
            "uploads": list(self.uploads),
            "instant_approval": self.instant,
            "category": self.category,
            "needs_human_because": list(self.needs_human_because),
            "scope": list(self.scope),
        }


class RequirementsQueryError(ValueError):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    for option in schema.get("anyOf", ()):
        if option.get("type") != "null":
            return _resolve(option, defs)
    return schema


def _required(schema: dict[str, Any], defs: dict[str, Any], prefix: str) -> list[str]:
    schema = _resolve(schema, defs)
    if schema.get("type") == "array":
        return _required(schema.get("items", {}), defs, prefix + "[]")
    paths: list[str] = []
    for name in schema.get("required", ()):
        path = f"{prefix}.{name}" if prefix else name
        paths.append(path)
        paths.extend(_required(schema["properties"][name], defs, path))
    return paths


@cache
def required_fields() -> tuple[str, ...]:
    """Every field the payload model requires, as paths (`persons[].document.number`)."""
    schema = ApplicationPayload.model_json_schema()
    return tuple(_required(schema, schema.get("$defs", {}), ""))


def requirements(channel: str, company_type: str | None, scope: list[str]) -> Requirements:
    """What this channel's case of `company_type` with `scope` needs; every problem with the
    question at once (`RequirementsQueryError`)."""
    errors: list[FieldError] = []
    known = catalogue.channels().get(channel)
    if known is None:
        offered = ", ".join(sorted(catalogue.channels()))
        errors.append(FieldError("channel", f"unknown channel (one of {offered})", "unknown"))
    chosen_type = company_type
    if known is not None:
        if chosen_type is None and len(known.company_types) == 1:
            chosen_type = next(iter(known.company_types))
        if chosen_type not in known.company_types:
            offered = ", ".join(sorted(known.company_types))
            errors.append(
                FieldError(
                    "company_type",
                    f"not offered on channel {channel} (offered: {offered})",
                    "unknown",
                )
            )
    if len(scope) > MAX_SCOPE_ITEMS:
        errors.append(FieldError("scope", f"at most {MAX_SCOPE_ITEMS} items", "too_many"))
    catalogued = catalogue.business_scope()
    for i, item in enumerate(scope[:MAX_SCOPE_ITEMS]):
        if item not in catalogued:
            errors.append(
                FieldError(f"scope[{i}]", "not in the business scope catalogue", "unknown")
            )
    if errors or known is None or chosen_type is None:
        raise RequirementsQueryError(errors)
    blockers = case_ineligibility(chosen_type, "standard", scope)
    return Requirements(
        channel=channel,
        company_type=chosen_type,
        languages=known.languages,
        currencies=tuple(sorted(known.currencies)),
        identity_documents=tuple(sorted(known.document_types)),
        required_fields=required_fields(),
        # DESIGN.md §6, as `attestation.persons_to_attest` applies it at submission.
        attestations=("legal_representative", "shareholder (natural person)"),
        uploads=(
            {
                "kind": "articles_of_association",
                "when": "company.articles_of_association.template is 'uploaded' (PDF); the "
                "standard template needs no upload and keeps instant approval possible",
            },
        ),
        instant=not blockers,
        category=catalogue.approval_category(scope),
        needs_human_because=tuple(blockers),
        scope=tuple(
            {
                "item": item,
                "en": catalogued[item].en,
                "fr": catalogued[item].fr,
                "permit": catalogued[item].permit,
                "category": catalogued[item].category,
            }
            for item in scope
        ),
    )
