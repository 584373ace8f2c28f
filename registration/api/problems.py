"""RFC 9457 problem details for every error, with a stable machine-readable `code`; and how
routes declare theirs in OpenAPI (`responses=problem_responses(ApplicationNotFound, ...)`)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from registration.domain.application import (
    FieldError,
    field_path,
    merge_findings,
    raw_findings,
)
from registration.domain.workflow import WorkflowError
from registration.errors import (
    BadRequest,
    Forbidden,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    PayloadInvalid,
    PayloadTooLarge,
    ServiceError,
    UnsupportedMediaType,
)
from registration.http import localisation

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("bizreg.api")


class FieldProblem(BaseModel):
    field: str = Field(examples=["shareholders[0].share_percent"])
    message: str
    code: str = Field(description="Stable, per field: what is wrong with it")


class Problem(BaseModel):
    """An RFC 9457 problem: the body of every error response."""

    # Problems may add members of their own (RFC 9457 §3.2): current_status and
    # allowed_actions (409 transition_not_allowed), retry_after (503), application_id.
    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["/problems/application_not_found"])
    title: str = Field(description="In the Accept-Language asked for, where we have it")
    status: int
    detail: str
    code: str = Field(description="Stable and machine-readable; `type` ends with it")
    instance: str = Field(description="The request's path")
    errors: list[FieldProblem] = Field(
        default_factory=list, description="Every field at fault, where the body broke rules"
    )


ProblemClass = type[ServiceError] | type[WorkflowError]


def problem_responses(*errors: ProblemClass) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of a route that may answer with these errors, one entry per
    status naming its codes."""
    codes: dict[int, list[str]] = {}
    for error in errors:
        named = codes.setdefault(error.http_status, [])
        if error.code not in named:
            named.append(error.code)
    return {
        status: {
            "model": Problem,
            "description": f"{HTTPStatus(status).phrase}: " + ", ".join(f"`{c}`" for c in named),
        }
        for status, named in sorted(codes.items())
    }


def _problems_in_their_media_type(openapi: Callable[[], dict[str, Any]]) -> Callable[[], Any]:
    """FastAPI files a response model under the route's media type; problems are sent as
    application/problem+json (RFC 9457 §3), so their schemas move there."""
    problem_schema = {"$ref": "#/components/schemas/Problem"}

    def generate() -> dict[str, Any]:
        schema = openapi()
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for response in operation.get("responses", {}).values():
                    content = response.get("content", {})
                    # Filed under the route's own media type (JSON, text, a CRL…).
                    for media_type, body in list(content.items()):
                        if body.get("schema") == problem_schema and media_type != PROBLEM_JSON:
                            content[PROBLEM_JSON] = content.pop(media_type)
        return schema

    return generate


def problem(
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    language = localisation.negotiate(request.headers.get("accept-language"))
    if language is not None:
        # Titles in the caller's language; a detail only where the English one is generic.
        title, localised_detail = localisation.problem_text(code, status, language, title, detail)
        detail = detail if language == "en" else localised_detail
        headers = {**(headers or {}), "Content-Language": language, "Vary": "Accept-Language"}
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message, "code": e.code} for e in errors]
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _request_validation_errors(error: RequestValidationError) -> list[FieldError]:
    result = []
    for item in error.errors():
        loc = list(item.get("loc", ()))
        if loc and loc[0] == "body":
            loc = loc[1:]
        result.append(FieldError(field_path(loc), str(item.get("msg")), str(item.get("type"))))
    return result


def _with_catalogue_findings(request: Request, exc: RequestValidationError) -> list[FieldError]:
    """An application payload that fails the schema also gets the catalogue's verdict on what
    did parse (unknown scope items, a type or currency the channel does not offer…): every
    error in one round, not the schema's first and the catalogue's after the fix."""
    errors = _request_validation_errors(exc)
    if request.method == "POST" and request.url.path.rstrip("/") == "/api/v1/applications":
        errors = merge_findings(errors, raw_findings(exc.body))
    return errors


# The router's and the body parser's own refusals (unknown path, wrong method, unreadable
# body), answered with the code of the catalogue's class for that status.
_HTTP_CODES = {
    cls.http_status: cls.code
    for cls in (
        BadRequest,
        NotAuthenticated,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        PayloadTooLarge,
        UnsupportedMediaType,
    )
}


def problem_of(request: Request, exc: ServiceError | WorkflowError) -> JSONResponse:
    """The problem every catalogued error answers with: its own status, code and title."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else {}
    headers.update(exc.headers)
    return problem(
        request, exc.http_status, exc.code, exc.title, exc.detail, exc.errors, headers, **exc.extra
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.openapi = _problems_in_their_media_type(app.openapi)  # type: ignore[method-assign]

    @app.exception_handler(WorkflowError)
    @app.exception_handler(ServiceError)
    async def _refused(request: Request, exc: ServiceError | WorkflowError) -> JSONResponse:
        return problem_of(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(
            request,
            PayloadInvalid.http_status,
            PayloadInvalid.code,
            PayloadInvalid.title,
            "the request does not match the schema",
            _with_catalogue_findings(request, exc),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return problem(
            request,
            exc.status_code,
            code,
            str(exc.detail),
            str(exc.detail),
            headers=dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return internal_error(request)


def internal_error(request: Request) -> JSONResponse:
    """500, logged with the traceback under a correlation id the caller also gets, so a report
    of the id finds the traceback; the caller never sees the traceback itself."""
    correlation_id = uuid.uuid4().hex
    log.exception("unhandled error %s on %s %s", correlation_id, request.method, request.url.path)
    return problem(
        request,
        ServiceError.http_status,
        ServiceError.code,
        ServiceError.title,
        f"an unexpected error occurred; it has been logged as {correlation_id}",
        correlation_id=correlation_id,
    )
