"""Every route declares the problems it may answer with (polar's `responses=` from the error
classes): the OpenAPI document is what integrators code their error handling against."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registration.errors import problem_classes

PROBLEM = {"$ref": "#/components/schemas/Problem"}
# Outside the request cap (api/overload.py): a load balancer's probe must never be refused.
UNCAPPED = {"/healthz"}


@pytest.fixture
def operations(app_client: TestClient) -> list[tuple[str, dict[str, Any]]]:
    schema = app_client.get("/openapi.json").json()
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


def _expected_statuses(path: str, operation: dict[str, Any]) -> set[str]:
    expected = set() if path in UNCAPPED else {"503"}
    if operation.get("security"):
        expected.add("401")
    if operation.get("requestBody"):
        expected.add("422")
    if any(p["in"] == "path" for p in operation.get("parameters", [])):
        expected |= {"404", "422"}
    return expected


def test_every_operation_documents_its_problems(
    operations: list[tuple[str, dict[str, Any]]],
) -> None:
    assert len(operations) > 35
    missing = {
        name: sorted(_expected_statuses(name.split(" ", 1)[1], op) - set(op["responses"]))
        for name, op in operations
    }
    assert not {name: statuses for name, statuses in missing.items() if statuses}


def test_role_checked_operations_document_403(
    operations: list[tuple[str, dict[str, Any]]],
) -> None:
    # Every authenticated route but these refuses some role; these answer 404 instead, or
    # are open to every authenticated caller.
    open_to_all = {
        "GET /api/v1/names/check",
        "GET /api/v1/licences/{uscc}/pdf",
        "POST /api/v1/auth/revoke",
        "POST /api/v1/deregistrations/{deregistration_id}/withdraw",
    }
    undocumented = [
        name
        for name, op in operations
        if op.get("security") and name not in open_to_all and "403" not in op["responses"]
    ]
    assert not undocumented


def test_problems_are_documented_as_problem_json_naming_catalogued_codes(
    operations: list[tuple[str, dict[str, Any]]],
) -> None:
    codes = {cls.code for cls in problem_classes()}
    for name, operation in operations:
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            assert response["content"] == {"application/problem+json": {"schema": PROBLEM}}, (
                name,
                status,
            )
            named = set(re.findall(r"`([a-z_]+)`", response["description"]))
            assert named, (name, status)
            assert named <= codes, (name, status, named - codes)


def test_the_problem_schema_is_rfc_9457_with_our_code(app_client: TestClient) -> None:
    schemas = app_client.get("/openapi.json").json()["components"]["schemas"]
    problem = schemas["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code", "instance"}
    assert problem["additionalProperties"] is True  # extension members (RFC 9457 §3.2)
    # FastAPI's own 422 body is not what we send.
    assert "HTTPValidationError" not in schemas
