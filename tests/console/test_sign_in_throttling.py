"""Password guessing is slowed, then locked, per username and per address (both databases,
the clock injected, nothing sleeps); unknown usernames are answered exactly like known ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from registration.domain.security_events import SecurityEventKind
from registration.domain.sign_in_policy import DEFAULT_POLICY
from registration.domain.workflow import Role
from registration.errors import InvalidCredentials, SignInLocked, SignInThrottled
from registration.models import SecurityEvent
from registration.services import accounts, security_events
from registration.services.sign_in import sign_in
from tests.console.conftest import PASSWORD

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
ADDRESS = "192.0.2.10"


def _fail(session: Session, username: str, at: datetime, address: str = ADDRESS) -> None:
    with pytest.raises(InvalidCredentials):
        sign_in(session, username, "wrong-password-123", address, now=at)


@pytest.mark.parametrize("known", [True, False], ids=["known_user", "unknown_user"])
def test_delays_grow_then_lock_and_unknown_users_are_treated_alike(
    engine: Engine, known: bool
) -> None:
    with Session(engine) as session:
        if known:
            accounts.add_officer(session, "alice", Role.FRONT_DESK, PASSWORD, by="test")
        at = T0
        for _ in range(DEFAULT_POLICY.free_failures):  # the first few are answered at once
            _fail(session, "alice", at)
            at += timedelta(milliseconds=100)
        # Now each attempt must wait: 2 s after the 3rd failure, 4 s after the 4th, …
        with pytest.raises(SignInThrottled) as refused:
            sign_in(session, "alice", PASSWORD, ADDRESS, now=at)
        assert refused.value.http_status == 429
        assert refused.value.headers["Retry-After"] == "2"
        at += timedelta(seconds=2)
        _fail(session, "alice", at)
        with pytest.raises(SignInThrottled) as refused:
            sign_in(session, "alice", PASSWORD, ADDRESS, now=at + timedelta(seconds=1))
        assert refused.value.headers["Retry-After"] == "3"  # 4 s after the failure, 1 s gone
        # Keep guessing, waiting out each delay as told, until the lockout.
        for _ in range(3 * DEFAULT_POLICY.lockout_after):
            try:
                sign_in(session, "alice", "wrong-password-123", ADDRESS, now=at)
            except SignInLocked:
                break
            except SignInThrottled as throttled:
                at += timedelta(seconds=int(throttled.headers["Retry-After"]))
            except InvalidCredentials:
                at += timedelta(milliseconds=10)
        else:
            pytest.fail("never locked")
        failures = security_events.count_since(
            session, SecurityEventKind.SIGN_IN_FAILED, at - DEFAULT_POLICY.window, "alice"
        )
        assert failures == DEFAULT_POLICY.lockout_after
        with pytest.raises(SignInLocked) as locked:  # the right password does not help
            sign_in(session, "alice", PASSWORD, ADDRESS, now=at + timedelta(minutes=1))
        assert int(locked.value.headers["Retry-After"]) > 60
        kinds = {e.kind for e in session.exec(select(SecurityEvent)).all()}
        assert {"sign_in_failed", "locked_out"} <= kinds


def test_the_right_password_after_waiting_signs_in_and_is_recorded(engine: Engine) -> None:
    with Session(engine) as session:
        accounts.add_officer(session, "bob", Role.BACK_OFFICE, PASSWORD, ("general",), by="test")
        for i in range(DEFAULT_POLICY.free_failures + 1):
            _fail(session, "bob", T0 + timedelta(seconds=10 * i))
        later = T0 + timedelta(minutes=5)
        officer = sign_in(session, "bob", PASSWORD, ADDRESS, now=later)
        session.commit()
        assert officer.username == "bob"
        assert security_events.count_since(session, SecurityEventKind.SIGN_IN, T0, "bob") == 1


def test_one_address_guessing_many_usernames_is_throttled(engine: Engine) -> None:
    with Session(engine) as session:
        at = T0
        for i in range(DEFAULT_POLICY.address_free_failures):
            _fail(session, f"user{i}", at)  # a different name each time: no per-name delay
            at += timedelta(milliseconds=50)
        with pytest.raises(SignInThrottled):
            sign_in(session, "fresh-name", "whatever-password", ADDRESS, now=at)
        # Another address is not affected.
        _fail(session, "fresh-name", at, address="198.51.100.7")


def test_the_api_token_endpoint_is_throttled_with_retry_after(
    app_client: TestClient, engine: Engine
) -> None:
    with Session(engine) as session:
        accounts.add_officer(session, "carol", Role.FRONT_DESK, PASSWORD, by="test")
    answers = [
        app_client.post("/api/v1/auth/token", data={"username": "carol", "password": "nope-nope"})
        for _ in range(DEFAULT_POLICY.free_failures + 1)
    ]
    assert [a.status_code for a in answers] == [401] * DEFAULT_POLICY.free_failures + [429]
    assert answers[-1].json()["code"] == "sign_in_throttled"
    assert int(answers[-1].headers["Retry-After"]) >= 1
    unknown = [
        app_client.post("/api/v1/auth/token", data={"username": "nobody", "password": "nope-nope"})
        for _ in range(DEFAULT_POLICY.free_failures + 1)
    ]
    assert [a.status_code for a in unknown] == [a.status_code for a in answers]
    assert unknown[-1].json()["code"] == answers[-1].json()["code"]
