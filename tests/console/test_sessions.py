"""The console's session: cookie flags, CSRF on every form, sign-out that really ends it, idle
timeout (clock injected), and the security headers on its pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from registration.db import utcnow
from registration.domain.workflow import Role
from registration.models import ConsoleSession, SecurityEvent
from tests.api.helpers import act, create
from tests.console.conftest import sign_in

Headers = dict[str, str]


def test_sign_in_sets_a_strict_http_only_cookie_and_stores_only_its_hash(
    app_client: TestClient, make_officer: Callable[..., str], engine: Engine
) -> None:
    username = make_officer(Role.FRONT_DESK)
    response = app_client.post(
        "/console/login",
        data={"username": username, "password": "console-test-password"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/console"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/console" in cookie
    assert "Secure" not in cookie  # development runs on plain http://127.0.0.1
    token = app_client.cookies.get("bizreg_console")
    with Session(engine) as session:
        rows = session.exec(select(ConsoleSession)).all()
        assert len(rows) == 1
        assert rows[0].token_hash != token
        assert token not in rows[0].token_hash
        assert {e.kind for e in session.exec(select(SecurityEvent))} == {"sign_in"}


def test_wrong_password_shows_the_form_again_with_a_message(
    app_client: TestClient, make_officer: Callable[..., str]
) -> None:
    username = make_officer(Role.FRONT_DESK)
    response = app_client.post(
        "/console/login", data={"username": username, "password": "not-the-password"}
    )
    assert response.status_code == 401
    assert "text/html" in response.headers["content-type"]
    assert "bizreg_console" not in response.headers.get("set-cookie", "")


def test_pages_need_a_session(app_client: TestClient) -> None:
    for path in ("/console", "/console/queue", "/console/licences"):
        response = app_client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/console/login"


def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(
    app_client: TestClient,
    make_officer: Callable[..., str],
    api_client_for: Callable[[str], Headers],
) -> None:
    bank = api_client_for("paris")
    app_id = create(app_client, bank, "paris")["id"]
    act(app_client, bank, app_id, "submit")
    csrf = sign_in(app_client, make_officer(Role.FRONT_DESK))
    for form in ({"action": "accept"}, {"action": "accept", "csrf": "forged-token"}):
        refused = app_client.post(f"/console/applications/{app_id}/act", data=form)
        assert refused.status_code == 403
        assert "text/html" in refused.headers["content-type"]
    status = app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json()["status"]
    assert status == "submitted"
    accepted = app_client.post(
        f"/console/applications/{app_id}/act",
        data={"action": "accept", "csrf": csrf},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"].endswith("?done=accept")
    status = app_client.get(f"/api/v1/applications/{app_id}", headers=bank).json()["status"]
    assert status == "accepted"


def test_signed_out_cookie_is_refused_even_when_replayed(
    app_client: TestClient, make_officer: Callable[..., str], engine: Engine
) -> None:
    csrf = sign_in(app_client, make_officer(Role.FRONT_DESK))
    stolen = app_client.cookies.get("bizreg_console")
    assert app_client.get("/console/queue").status_code == 200
    out = app_client.post("/console/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303
    app_client.cookies.set("bizreg_console", stolen or "", path="/console")
    replay = app_client.get("/console/queue", follow_redirects=False)
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/console/login")
    with Session(engine) as session:
        assert "sign_out" in {e.kind for e in session.exec(select(SecurityEvent))}


def test_idle_timeout_ends_the_session(
    app_client: TestClient, make_officer: Callable[..., str]
) -> None:
    app = app_client.app
    now = [utcnow()]
    app.state.clock = lambda: now[0]  # type: ignore[attr-defined]
    sign_in(app_client, make_officer(Role.FRONT_DESK))
    idle = app.state.settings.console_idle_timeout_seconds  # type: ignore[attr-defined]
    now[0] += timedelta(seconds=idle - 5)
    assert app_client.get("/console/queue").status_code == 200  # activity resets the clock
    now[0] += timedelta(seconds=idle - 5)
    assert app_client.get("/console/queue").status_code == 200
    now[0] += timedelta(seconds=idle + 1)
    expired = app_client.get("/console/queue", follow_redirects=False)
    assert expired.status_code == 303
    assert expired.headers["location"] == "/console/login?expired=1"
    now[0] += timedelta(seconds=1)  # and it stays ended
    assert app_client.get("/console/queue", follow_redirects=False).status_code == 303


def test_every_console_and_public_page_carries_the_security_headers(
    app_client: TestClient, make_officer: Callable[..., str]
) -> None:
    sign_in(app_client, make_officer(Role.REGISTRAR_ADMIN))
    for path in ("/console/login", "/console/licences", "/verify", "/docs", "/redoc"):
        response = app_client.get(path)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        if path.startswith("/console") or path == "/verify":
            assert "unsafe-inline" not in policy
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
    api = app_client.get("/healthz")
    assert api.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in api.headers  # development: no HSTS on http


def test_token_revocation_ends_an_api_token(
    app_client: TestClient, officer: Callable[..., Headers]
) -> None:
    headers = officer(Role.FRONT_DESK)
    assert app_client.get("/api/v1/queues/front-desk", headers=headers).status_code == 200
    assert app_client.post("/api/v1/auth/revoke", headers=headers).status_code == 204
    refused = app_client.get("/api/v1/queues/front-desk", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"


def test_the_auditor_reads_every_step_but_no_application(
    app_client: TestClient,
    make_officer: Callable[..., str],
    api_client_for: Callable[[str], Headers],
) -> None:
    bank = api_client_for("paris")
    app_id = create(app_client, bank, "paris")["id"]
    act(app_client, bank, app_id, "submit")
    sign_in(app_client, make_officer(Role.AUDITOR))
    history = app_client.get("/console/history", params={"action": "submit"})
    assert history.status_code == 200
    assert "东莞市塞纳食品科技有限公司" in history.text
    assert app_client.get(f"/console/applications/{app_id}").status_code == 403
    assert app_client.get("/console/queue", follow_redirects=False).status_code == 403
