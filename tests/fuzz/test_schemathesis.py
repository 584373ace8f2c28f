"""Property-based API testing from the service's own OpenAPI document (schemathesis): every
operation gets generated requests — as a signing terminal (RFC 9421, each request signed over
the exact bytes the app receives), as a bearer-token client and as an officer — and must never
answer 5xx, and must answer within its documented schema (issue 15).

Bounded (`MAX_EXAMPLES` per operation) so it runs in every `make test`."""

from __future__ import annotations

import secrets
from collections import Counter
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
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bank_adapter.http_signatures import sign_request
from bank_adapter.keys import PrivateKey
from registration.app import create_app
from registration.domain.workflow import Role
from registration.http.signatures import target_uri
from registration.issuance.authority import LicenceAuthority
from registration.services import clients
from registration.settings import Settings
from tests.terminals.support import new_key, public_pem

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


class SigningTerminal:
    """ASGI in front of the app: signs every request as a terminal does (Content-Digest,
    `@method @target-uri` and every meaningful header present), over the body as sent, so the
    generated requests reach the handlers instead of stopping at authentication."""

    def __init__(self, app: ASGIApp, base_url: str, key: PrivateKey, keyid: str) -> None:
        self.app, self.base_url, self.key, self.keyid = app, base_url, key, keyid
        self.signed = 0
        self.statuses: Counter[int] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        try:
            added = sign_request(
                scope["method"],
                target_uri(self.base_url, scope),
                headers,
                body,
                key=self.key,
                keyid=self.keyid,
            )
        except ValueError:
            added = {}  # a header no signature base can hold: sent unsigned, still no 5xx
        else:
            self.signed += 1
        replaced = {name.lower() for name in added}
        scope = dict(scope)
        scope["headers"] = [
            (k, v) for k, v in scope["headers"] if k.decode("latin-1").lower() not in replaced
        ] + [(k.lower().encode(), v.encode("latin-1")) for k, v in added.items()]
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def noting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.statuses[message["status"]] += 1
            await send(message)

        await self.app(scope, replay, noting_send)


@pytest.fixture
def signing_terminal(
    settings: Settings, engine: Any, authority: LicenceAuthority
) -> SigningTerminal:
    key = new_key("ed25519")
    client_id = f"yinzhengtong-fuzz-{secrets.token_hex(3)}"
    with Session(engine) as session:
        _, keys, _ = clients.register_client(
            session,
            client_id,
            "yinzhengtong",
            "Fuzzing bank",
            request_keys=[clients.KeySpec(public_pem(key), f"{client_id}-k1")],
            attestation_key=clients.KeySpec(public_pem(new_key("ecdsa-p256"))),
            by="tests",
        )
        keyid = keys[0].keyid
    quick = settings.model_copy(update={"max_wait_seconds": 1, "feed_stream_seconds": 1})
    return SigningTerminal(create_app(quick, authority=authority), settings.base_url, key, keyid)


@schemathesis.serializer("application/jose")
def _compact_jws(ctx: Any, value: Any) -> bytes:
    """Attestations travel as a compact JWS (`application/jose`): generated text as is."""
    return str(value).encode("utf-8", "replace")


def _operations(app: ASGIApp) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(app: ASGIApp, headers: dict[str, str]) -> tuple[int, list[str]]:
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


def test_as_a_signing_terminal(signing_terminal: SigningTerminal) -> None:
    cases, failures = _fuzz(signing_terminal, {})
    print(f"schemathesis: {cases} cases as a signing terminal ({signing_terminal.signed} signed)")
    print(f"answers by status: {sorted(signing_terminal.statuses.items())}")
    assert signing_terminal.signed >= cases * 0.9  # the requests really were signed
    # ... and were accepted as signed: they reached validation and the handlers
    assert signing_terminal.statuses[401] < cases * 0.1, signing_terminal.statuses
    assert not failures, "\n\n".join(failures)


def test_as_a_client(web_app: FastAPI) -> None:
    cases, failures = _fuzz(web_app, _credentials["client"])
    print(f"schemathesis: {cases} cases as a client")
    assert not failures, "\n\n".join(failures)


def test_as_an_officer(web_app: FastAPI) -> None:
    cases, failures = _fuzz(web_app, _credentials["officer"])
    print(f"schemathesis: {cases} cases as an officer")
    assert not failures, "\n\n".join(failures)
