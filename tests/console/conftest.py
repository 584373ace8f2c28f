"""Console fixtures: officers with known passwords, signed in through the sign-in form."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from registration.domain.workflow import Role
from registration.services import accounts

PASSWORD = "console-test-password"


@pytest.fixture
def make_officer(engine: Engine) -> Callable[..., str]:
    def make(role: Role, categories: tuple[str, ...] = (), username: str | None = None) -> str:
        username = username or f"{role.value}-{secrets.token_hex(3)}"
        with Session(engine) as session:
            accounts.add_officer(session, username, role, PASSWORD, categories, by="test")
        return username

    return make


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the CSRF token of the first page."""
    response = client.post(
        "/console/login", data={"username": username, "password": password}, follow_redirects=True
    )
    assert response.status_code == 200, response.text
    return csrf_of(response.text)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)
