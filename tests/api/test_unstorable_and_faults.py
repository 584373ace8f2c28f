"""No 500 for any input: characters the database cannot store are a 400 everywhere (one edge
check), and a database that cannot be reached is a 503 with Retry-After (both databases)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from registration.app import create_app
from registration.domain.workflow import Role
from registration.issuance.authority import LicenceAuthority
from registration.settings import Settings
from tests.conftest import example, row_counts

Headers = dict[str, str]


def _refused(response: object, where: str) -> None:
    assert response.status_code == 400, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["code"] == "unstorable_character"
    assert body["location"] == where


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/licences/a%00b",
        "/verify/a%00b",
        "/api/v1/applications/a%00b",
        "/api/v1/applications/a%00b/events",
        "/api/v1/clients/a%00b",
        "/api/v1/licences/91441900MA0000015D/pdf?v=%00",
        "/console/applications/a%00b",
        "/api/v1/names/check?name=%E4%B8%9C%00",
    ],
)
def test_nul_in_path_or_query_is_a_400_before_anything_runs(
    app_client: TestClient, path: str
) -> None:
    _refused(app_client.get(path), "query" if "?" in path else "path")


def test_nul_in_a_login_form_is_refused_without_touching_the_database(
    app_client: TestClient, engine: Engine
) -> None:
    before = row_counts(engine)
    _refused(
        app_client.post("/api/v1/auth/token", data={"username": "a\x00b", "password": "x" * 12}),
        "body",
    )
    _refused(
        app_client.post("/console/login", data={"username": "a\x00b", "password": "x" * 12}),
        "body",
    )
    assert row_counts(engine) == before


@pytest.mark.parametrize("bad", ["\x00", "\ud800"], ids=["nul", "lone_surrogate"])
def test_json_bodies_with_unstorable_characters_are_refused(
    app_client: TestClient,
    api_client_for: Callable[[str], Headers],
    officer: Callable[..., Headers],
    engine: Engine,
    bad: str,
) -> None:
    bank = api_client_for("paris")
    body = example("paris")
    body["company"]["domicile"] += bad
    before = row_counts(engine)
    raw = json.dumps(body)  # escapes both as \\u0000 / \\ud800, as any JSON encoder would
    created = app_client.post(
        "/api/v1/applications",
        content=raw.encode(),
        headers={**bank, "Content-Type": "application/json"},
    )
    _refused(created, "body")
    assert row_counts(engine) == before
    # A revocation reason is just as refused, before the role is even looked at.
    revoke = app_client.post(
        "/api/v1/licences/91441900MA0000015D/revoke",
        content=json.dumps({"reason": f"fraud{bad}"}).encode(),
        headers={**officer(Role.REGISTRAR_ADMIN), "Content-Type": "application/json"},
    )
    _refused(revoke, "body")


def test_ordinary_escapes_still_pass(
    app_client: TestClient, api_client_for: Callable[[str], Headers]
) -> None:
    """ensure_ascii JSON (every Chinese character escaped) is parsed, not refused."""
    bank = api_client_for("paris")
    raw = json.dumps(example("paris"), ensure_ascii=True)
    assert "\\u4e1c" in raw
    created = app_client.post(
        "/api/v1/applications",
        content=raw.encode(),
        headers={**bank, "Content-Type": "application/json"},
    )
    assert created.status_code == 201, created.text


def test_an_unreachable_database_is_a_503_with_retry_after(
    tmp_path: Path, database_url: str, authority: LicenceAuthority
) -> None:
    if database_url.startswith("postgresql"):
        # A port where nothing listens: the server is "down".
        unreachable = "postgresql+psycopg://postgres@127.0.0.1:9/bizreg?connect_timeout=1"
    else:
        unreachable = f"sqlite:///{tmp_path / 'no-such-dir' / 'bizreg.db'}"
    settings = Settings(data_dir=tmp_path / "var", database_url=unreachable)
    app = create_app(settings, authority=authority)
    with TestClient(app, raise_server_exceptions=False) as client:
        for response in (
            client.get("/api/v1/licences/91441900MA0000015D"),
            client.post("/api/v1/auth/token", data={"username": "a", "password": "b" * 12}),
            client.get("/healthz"),
        ):
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == "5"
            assert response.json()["code"] in ("database_unavailable", "overloaded")
            assert "Traceback" not in response.text
