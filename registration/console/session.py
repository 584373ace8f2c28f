"""The console's cookie session and its guards (dependencies), over `services.console_sessions`.

The cookie is `HttpOnly`, `SameSite=Strict` and, in production, `Secure`; its value is a random
token whose hash is the session's row. Every form carries the session's CSRF token, checked on
every POST before anything else happens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import Response

from registration.api.deps import SessionDep, SettingsDep
from registration.db import utcnow
from registration.models import ConsoleSession
from registration.principal import Principal
from registration.services import console_sessions

COOKIE = "bizreg_console"


def now_of(request: Request) -> datetime:
    """The console's clock: tests put a callable in `app.state.clock` to move time."""
    clock: Callable[[], datetime] = getattr(request.app.state, "clock", utcnow)
    return clock()


@dataclass(frozen=True)
class Officer:
    principal: Principal
    record: ConsoleSession

    @property
    def csrf(self) -> str:
        return self.record.csrf_token


def current_officer(request: Request, session: SessionDep, settings: SettingsDep) -> Officer:
    principal, record = console_sessions.resume(
        session,
        request.cookies.get(COOKIE, ""),
        now_of(request),
        idle=timedelta(seconds=settings.console_idle_timeout_seconds),
        lifetime=timedelta(seconds=settings.console_session_lifetime_seconds),
    )
    return Officer(principal, record)


OfficerDep = Annotated[Officer, Depends(current_officer)]


def checked_officer(officer: OfficerDep, csrf: Annotated[str | None, Form()] = None) -> Officer:
    """For POST forms: the session's officer, once the form's CSRF token matched."""
    console_sessions.check_csrf(officer.record, csrf)
    return officer


CheckedOfficerDep = Annotated[Officer, Depends(checked_officer)]


def set_cookie(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/console"
    )


def clear_cookie(response: Response, secure: bool) -> None:
    response.delete_cookie(COOKIE, path="/console", secure=secure, httponly=True, samesite="strict")
