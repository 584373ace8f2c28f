"""Property-based API testing from the service's own OpenAPI document (schemathesis): every
operation gets generated requests — as an authenticated client and as an officer — and must
never answer 5xx, and must answer within its documented schema (issue 15).

Bounded (`MAX_EXAMPLES` per operation) so it runs in every `make test`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from registration.app import create_app
from registration.domain.workflow import Role
from registration.issuance.authority import LicenceAuthority
from registration.settings import Settings

MAX_EXAMPLES = 5
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)
_credentials: dict[str, dict[str, str]] = {}


@pytest.fixture
def web_app(
    settings: Settings,
    engine: Any,
    authority: LicenceAuthority,
    api_client_for: Callable[[str], dict[str, str]],
    officer: Callable[..., dict[str, str]],
) -> FastAPI:
    _credentials["client"] = api_client_for("yinzhengtong")
    _credentials["officer"] = officer(Role.REGISTRAR_ADMIN)
    # Long polls and streams answer within a second: generated `wait=600` must not stall a case.
    quick = settings.model_copy(update={"max_wait_seconds": 1, "feed_stream_seconds": 1})
    return create_app(quick, authority=authority)


@schemathesis.serializer("application/jose")
def _compact_jws(ctx: Any, value: Any) -> bytes:
    """Attestations travel as a compact JWS (`application/jose`): generated text as is."""
    return str(value).encode("utf-8", "replace")


def _operations(app: FastAPI) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(app: FastAPI, headers: dict[str, str]) -> tuple[int, list[str]]:
    """Every operation, `MAX_EXAMPLES` generated requests each; (cases run, failures)."""
    failures: list[str] = []
    cases = 0
    for operation in _operations(app):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            nonlocal cases
            cases += 1
            case.validate_response(case.call(headers=headers), checks=CHECKS)

        try:
            run()
        except Exception as failure:
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}"[:600])
    return cases, failures


def test_as_a_client(web_app: FastAPI) -> None:
    cases, failures = _fuzz(web_app, _credentials["client"])
    print(f"schemathesis: {cases} cases as a client")
    assert not failures, "\n\n".join(failures)


def test_as_an_officer(web_app: FastAPI) -> None:
    cases, failures = _fuzz(web_app, _credentials["officer"])
    print(f"schemathesis: {cases} cases as an officer")
    assert not failures, "\n\n".join(failures)
