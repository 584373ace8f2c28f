"""The problem catalogue (registration/errors.py) is the only source of problem codes: each code
has one status and one title, a message in every language, and no code is raised outside it."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import bank_adapter
from registration import errors
from registration.domain.identifiers.common import IdentifierError
from registration.domain.workflow import WorkflowError
from registration.errors import (
    Conflict,
    NotAuthenticated,
    PayloadInvalid,
    ServiceError,
    problem_classes,
)
from registration.http.localisation import LANGUAGES, catalogue

SOURCE = Path(errors.__file__).parent
# Calls whose `code` is a field error's code (listed in a problem's `errors`), not a problem's:
# a field error itself, and a company name's refusal reason, which becomes one.
FIELD_CODE_CALLS = {"FieldError", "Reason"}


def _codes() -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for cls in problem_classes():
        entry = (cls.http_status, cls.title)
        assert found.setdefault(cls.code, entry) == entry, (cls, found[cls.code], entry)
    return found


def test_each_code_has_one_status_and_one_title() -> None:
    codes = _codes()
    assert len(codes) > 50
    assert codes["role_not_permitted"] == (403, "Role not permitted")


def test_every_code_has_a_message_in_every_language() -> None:
    messages = catalogue()
    for code, (status, _) in _codes().items():
        # A code without texts of its own is read with its status's (localisation.problem_text).
        entry = messages.get(code) or messages.get(f"status:{status}")
        assert entry is not None, code
        assert set(entry) == set(LANGUAGES), code
        assert all(entry[language]["title"] for language in LANGUAGES), code


def test_every_message_belongs_to_a_catalogued_code() -> None:
    codes = _codes()
    statuses = {f"status:{status}" for status, _ in codes.values()}
    stale = {key for key in catalogue() if key not in codes and key not in statuses}
    assert not stale


def test_no_error_takes_a_code_at_its_raise_site() -> None:
    for cls in problem_classes():
        if issubclass(cls, ServiceError):
            assert "code" not in inspect.signature(cls).parameters, cls


def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (
            ".".join(path.relative_to(SOURCE.parent).with_suffix("").parts),
            ast.parse(path.read_text("utf-8")),
        )
        for path in sorted(SOURCE.rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def test_no_code_string_is_passed_outside_field_errors() -> None:
    loose = []
    for module, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _name(node.func) in FIELD_CODE_CALLS:
                continue
            code_args = [k.value for k in node.keywords if k.arg == "code"]
            if _name(node.func) == "problem" and len(node.args) > 2:
                code_args.append(node.args[2])  # problem(request, status, code, ...)
            loose += [
                (module, node.lineno)
                for value in code_args
                if isinstance(value, ast.Constant | ast.JoinedStr)
            ]
    assert not loose


def test_every_class_declaring_a_code_is_catalogued() -> None:
    catalogued = set(problem_classes())
    outside = []
    for module, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            declares = any(
                isinstance(target, ast.Name) and target.id == "code"
                for statement in node.body
                if isinstance(statement, ast.Assign)
                or (isinstance(statement, ast.AnnAssign) and statement.value is not None)
                for target in (
                    statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                )
            )
            if not declares:
                continue
            cls = getattr(importlib.import_module(module), node.name)
            # An identifier's failure is a field error's code, listed inside a problem.
            if not issubclass(cls, Exception) or issubclass(cls, IdentifierError):
                continue
            if cls not in catalogued:
                outside.append((module, node.name))
    assert not outside


def _leaves(root: type[bank_adapter.BankAdapterError]) -> list[type[Exception]]:
    subclasses = root.__subclasses__()
    return [leaf for sub in subclasses for leaf in (_leaves(sub) or [sub])]


@pytest.mark.parametrize(
    "refusal", _leaves(bank_adapter.RequestSignatureError), ids=lambda cls: cls.__name__
)
def test_every_request_signature_refusal_is_a_catalogued_401(refusal: type[Exception]) -> None:
    code = getattr(refusal, "code")  # noqa: B009
    assert NotAuthenticated.catalogued(code).code == code


@pytest.mark.parametrize(
    "refusal", _leaves(bank_adapter.AttestationError), ids=lambda cls: cls.__name__
)
def test_every_attestation_refusal_is_catalogued(refusal: type[Exception]) -> None:
    code = getattr(refusal, "code")  # noqa: B009
    # A replayed attestation is a conflict with one already recorded, not a bad payload.
    family: type[ServiceError] = (
        Conflict if refusal is bank_adapter.AttestationReplayed else PayloadInvalid
    )
    assert family.catalogued(code).code == code


def test_workflow_errors_are_part_of_the_catalogue() -> None:
    assert set(WorkflowError.__subclasses__()) <= set(problem_classes())
