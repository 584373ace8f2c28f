"""JSON logs carry the request id; every response carries it too."""

from __future__ import annotations

import io
import json
import logging

import pytest
from fastapi.testclient import TestClient

from registration import logs


def test_the_request_id_is_echoed_kept_when_sane_and_replaced_when_not(
    app_client: TestClient,
) -> None:
    fresh = app_client.get("/healthz").headers["x-request-id"]
    assert len(fresh) == 32
    assert app_client.get("/healthz").headers["x-request-id"] != fresh
    kept = app_client.get("/healthz", headers={"X-Request-Id": "bank-7.terminal-3:42"})
    assert kept.headers["x-request-id"] == "bank-7.terminal-3:42"
    for insane in ("a b", "x" * 65, "<script>"):
        replaced = app_client.get("/healthz", headers={"X-Request-Id": insane})
        assert replaced.headers["x-request-id"] != insane


def test_one_access_line_per_request_with_route_template_and_status(
    app_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bizreg.access"):
        app_client.get("/api/v1/licences/91441900MA0000015D")
    (record,) = [r for r in caplog.records if r.name == "bizreg.access"]
    fields = record.fields  # type: ignore[attr-defined]
    assert fields["route"] == "/api/v1/licences/{uscc}"
    assert fields["status"] == 404
    assert fields["method"] == "GET"
    assert fields["duration_ms"] >= 0


def test_json_lines_carry_the_request_id_and_the_traceback() -> None:
    stream = io.StringIO()
    logs.configure("json")
    handler = logging.getLogger().handlers[0]
    handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        token = logs.REQUEST_ID.set("req-123")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("bizreg.test").exception("failed", extra={"fields": {"n": 1}})
        logs.REQUEST_ID.reset(token)
        logging.getLogger("bizreg.test").warning("outside a request")
    finally:
        logging.getLogger().handlers[:] = []
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["request_id"] == "req-123"
    assert first["message"] == "failed"
    assert first["level"] == "ERROR"
    assert first["n"] == 1
    assert "ValueError: boom" in first["exc"]
    assert second["request_id"] is None
