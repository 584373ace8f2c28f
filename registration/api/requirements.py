"""What a case needs, and pre-flight of a draft.

GET  /api/v1/requirements?channel=&company_type=&scope=…     public: the catalogue's rules
POST /api/v1/applications/{id}/preflight                     the draft's client or officers
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from registration.api.deps import AUTHENTICATION_ERRORS, PrincipalDep, SessionDep, SettingsDep
from registration.api.overload import OVERLOAD_ERRORS
from registration.api.problems import problem_responses
from registration.domain.requirements import (
    MAX_SCOPE_ITEMS,
    RequirementsQueryError,
    requirements,
)
from registration.errors import (
    ApplicationNotFound,
    NotEditable,
    PayloadInvalid,
    RequirementsQueryInvalid,
    RoleNotPermitted,
)
from registration.services import preflight as service

router = APIRouter(tags=["requirements"], responses=problem_responses(*OVERLOAD_ERRORS))

ScopeItems = Annotated[
    list[str],
    Query(
        max_length=MAX_SCOPE_ITEMS,
        description="business scope items, repeated or comma-separated (catalogue wording)",
    ),
]


@router.get(
    "/api/v1/requirements", responses=problem_responses(RequirementsQueryInvalid, PayloadInvalid)
)
def get_requirements(
    channel: Annotated[str, Query(min_length=1, max_length=40)],
    company_type: Annotated[str | None, Query(max_length=40)] = None,
    scope: ScopeItems = [],  # noqa: B006 (FastAPI copies defaults per request)
) -> dict[str, Any]:
    """Public (the catalogue's rules, nothing about anyone): which fields, identity documents,
    attestations and uploads this case needs, and whether it qualifies for instant approval
    (else the back-office category that decides it, and why)."""
    items = [part.strip() for value in scope for part in value.split(",") if part.strip()]
    try:
        return requirements(channel, company_type, items).to_json()
    except RequirementsQueryError as error:
        raise RequirementsQueryInvalid(
            "this case is not in the catalogue: see errors", errors=error.errors
        ) from None


@router.post(
    "/api/v1/applications/{application_id}/preflight",
    tags=["applications"],
    responses=problem_responses(
        *AUTHENTICATION_ERRORS, ApplicationNotFound, RoleNotPermitted, NotEditable, PayloadInvalid
    ),
)
def preflight(
    session: SessionDep, principal: PrincipalDep, settings: SettingsDep, application_id: str
) -> dict[str, Any]:
    """Every submission check on the current draft — completeness, identifiers, the name
    (without holding it), printability, attestations — with nothing changed: the predicted
    path (instant, or manual with its back-office category), every problem, and the expected
    time to licence from the category's recent licences."""
    return service.preflight(session, principal, application_id, settings.region_code).to_json()
