"""Errors the service layer raises. Each carries a stable `code` and the HTTP status it maps to.

    ServiceError
    ├── NotFound                  404  the resource does not exist or is not visible to you
    ├── NotAuthenticated          401  no or invalid credentials
    ├── Forbidden                 403  authenticated, but this role may not do this
    ├── Conflict                  409  the resource's state does not allow it
    │   └── ConcurrentModification     someone else changed it first
    ├── PayloadInvalid            422  the request body breaks a rule; every field error listed
    ├── PayloadTooLarge           413
    ├── UnsupportedMediaType      415  the body is not in the media type the endpoint reads
    └── BadRequest                400  e.g. an upload that is not a PDF

Domain errors (`domain.workflow.WorkflowError`) stay framework-free and carry the same `code`,
`http_status` and `title` as plain class attributes; the API renders both trees alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registration.domain.application import FieldError


class ServiceError(Exception):
    http_status = 500
    code = "internal_error"
    title = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        errors: Sequence[FieldError] = (),
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.errors = list(errors)
        self.extra = extra or {}
        # Response header fields the error calls for, e.g. Retry-After (RFC 9110 §10.2.3).
        self.headers = headers or {}


class NotFound(ServiceError):
    http_status = 404
    code = "not_found"
    title = "Not found"


class NotAuthenticated(ServiceError):
    http_status = 401
    code = "not_authenticated"
    title = "Authentication required"


class Forbidden(ServiceError):
    http_status = 403
    code = "forbidden"
    title = "Forbidden"


class Conflict(ServiceError):
    http_status = 409
    code = "conflict"
    title = "Conflict"


class ConcurrentModification(Conflict):
    code = "concurrent_modification"
    title = "Changed concurrently"


class PayloadInvalid(ServiceError):
    http_status = 422
    code = "validation_failed"
    title = "Validation failed"


class PayloadTooLarge(ServiceError):
    http_status = 413
    code = "payload_too_large"
    title = "Payload too large"


class UnsupportedMediaType(ServiceError):
    http_status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


class BadRequest(ServiceError):
    http_status = 400
    code = "bad_request"
    title = "Bad request"


class ServiceUnavailable(ServiceError):
    """Overload, answered at once so the client retries later (RFC 9110 §15.6.4)."""

    http_status = 503
    code = "overloaded"
    title = "Service busy"

    def __init__(self, detail: str, *, code: str | None = None, retry_after: int = 1) -> None:
        super().__init__(
            detail,
            code=code,
            headers={"Retry-After": str(retry_after)},
            extra={"retry_after": retry_after},
        )
