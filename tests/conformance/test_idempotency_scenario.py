"""The idempotency scenario of conformance/vectors/idempotency.json, step by step, against the
service itself with a signing terminal: what the vector promises is what the service does."""

from __future__ import annotations

import json
from typing import Any

import httpx

from bank_adapter.http_signatures import sign_request
from conformance import generate
from tests.conftest import example
from tests.terminals.conftest import MakeTerminal, Terminal

SCENARIO = json.loads((generate.VECTORS / "idempotency.json").read_text("utf-8"))["scenario"]


def _check(response: httpx.Response, expect: dict[str, Any]) -> None:
    assert response.status_code == expect["status"], response.text
    if "code" in expect:
        assert response.json()["code"] == expect["code"]
    if "replayed" in expect:
        replayed = response.headers.get("idempotent-replayed") == "true"
        assert replayed is expect["replayed"]


def test_the_idempotency_scenario(make_terminal: MakeTerminal) -> None:
    terminal = make_terminal("yinzhengtong")
    body = example("yinzhengtong")
    other = example("yinzhengtong")
    other["company"]["domicile"] = "广东省东莞市东城街道东纵大道2号"
    path = "/api/v1/applications"
    steps = {
        "create with key K and body B": lambda: terminal.request(
            "POST", path, json_body=body, headers={"Idempotency-Key": "K"}
        ),
        "same key K, same body B (a retry)": lambda: terminal.request(
            "POST", path, json_body=body, headers={"Idempotency-Key": "K"}
        ),
        "same key K, body B' (different)": lambda: terminal.request(
            "POST", path, json_body=other, headers={"Idempotency-Key": "K"}
        ),
        "same key K on another path": lambda: terminal.request(
            "POST",
            "/api/v1/names/reservations",
            json_body={"name": "东莞市青松咨询有限公司"},
            headers={"Idempotency-Key": "K"},
        ),
        "new key K2, same body B": lambda: terminal.request(
            "POST", path, json_body=body, headers={"Idempotency-Key": "K2"}
        ),
        "Idempotency-Key not covered by the signature": lambda: terminal.request(
            "POST",
            path,
            json_body=body,
            headers={"Idempotency-Key": "K3"},
            tamper=lambda request: _resign_without_the_key(request, terminal),
        ),
        "Idempotency-Key longer than 255 characters": lambda: terminal.request(
            "POST", path, json_body=body, headers={"Idempotency-Key": "K" * 256}
        ),
    }
    assert [step["step"] for step in SCENARIO] == list(steps)
    answers: list[httpx.Response] = []
    for step in SCENARIO:
        response = steps[step["step"]]()
        _check(response, step["expect"])
        if "same_body_as" in step["expect"]:
            assert response.json() == answers[step["expect"]["same_body_as"]].json()
        if step["expect"].get("new_application"):
            assert response.json()["id"] != answers[0].json()["id"]
        answers.append(response)


def _resign_without_the_key(request: httpx.Request, terminal: Terminal) -> None:
    """A terminal that forgot to cover its Idempotency-Key: signed over everything else."""
    request.headers.update(
        sign_request(
            request.method,
            str(request.url),
            request.headers.multi_items(),
            request.content,
            key=terminal.key,
            keyid=terminal.keyid,
            cover_meaningful_fields=False,
        )
    )
