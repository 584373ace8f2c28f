"""The console's pages and forms. Each action calls the same service as the API; a refusal comes
back to the page as a readable message, never as a stack trace.

    GET  /console/login, POST /console/login, POST /console/logout
    GET  /console                               the officer's home (their queue)
    GET  /console/queue?channel=&q=&page=       front desk: submitted; back office: accepted,
                                                own categories
    GET  /console/applications/{id}             payload, checks, attestations, documents, history
    POST /console/applications/{id}/claim|release|act
    GET  /console/applications/{id}/documents/{document_id}
    GET  /console/history?action=&page=         auditor, registrar: every application's steps
    GET  /console/licences?q=&page=, GET /console/licences/{uscc}
    POST /console/licences/{uscc}/revocation    propose | confirm (a second registrar) | cancel
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from registration.api.applications import document_response
from registration.api.deps import SessionDep, SettingsDep, client_address
from registration.api.problems import problem_of
from registration.console import views
from registration.console.session import (
    COOKIE,
    CheckedOfficerDep,
    OfficerDep,
    clear_cookie,
    now_of,
    set_cookie,
)
from registration.domain import catalogue, return_reasons
from registration.domain.application import FieldError
from registration.domain.workflow import TRANSITIONS, Action, Role, Status, WorkflowError
from registration.errors import (
    CsrfRejected,
    RoleNotPermitted,
    ServiceError,
    SessionExpired,
)
from registration.services import (
    applications,
    attestations,
    claims,
    console_sessions,
    queues,
    revocations,
)
from registration.services import licences as licence_service
from registration.services import sign_in as sign_in_service

router = APIRouter(prefix="/console", include_in_schema=False)
_STATIC = Path(__file__).with_name("static")
PAGE_SIZE = 20
_ACTIONS = {
    "accept": Action.ACCEPT,
    "return": Action.RETURN,
    "approve": Action.APPROVE,
    "reject": Action.REJECT,
    "withdraw": Action.WITHDRAW,
}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/assets/console.css")
def stylesheet() -> FileResponse:
    return FileResponse(_STATIC / "console.css", media_type="text/css")


@router.get("/login")
def login_form(request: Request, error: str | None = None, expired: int = 0) -> Response:
    return views.render(request, "login.html", _login_context(request, error, expired))


def _login_context(request: Request, error: str | None, expired: int) -> dict[str, Any]:
    language = views.language_of(request)
    return {
        "error": views.problem_text(error, language) if error else None,
        "expired": bool(expired),
    }


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    # Login CSRF: a browser tells where a form came from; only our own pages may sign in.
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise CsrfRejected("sign-in forms are accepted from this site only")
    address = client_address(request)
    now = now_of(request)
    try:
        officer = sign_in_service.sign_in(session, username, password, address, now=now)
    except ServiceError as error:
        context = _login_context(request, error.code, 0)
        page = views.render(request, "login.html", context, status_code=error.http_status)
        page.headers.update(error.headers)
        return page
    token = console_sessions.start(session, officer, address, now)
    response = _see_other("/console")
    set_cookie(response, token, settings.secure_cookies)
    return response


@router.post("/logout")
def logout(
    request: Request, session: SessionDep, settings: SettingsDep, officer: CheckedOfficerDep
) -> Response:
    console_sessions.end(
        session, request.cookies.get(COOKIE, ""), client_address(request), now_of(request)
    )
    response = _see_other("/console/login")
    clear_cookie(response, settings.secure_cookies)
    return response


@router.get("")
def home(officer: OfficerDep) -> Response:
    if officer.principal.role in (Role.FRONT_DESK, Role.BACK_OFFICE):
        return _see_other("/console/queue")
    return _see_other("/console/licences")


@router.get("/queue")
def queue(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    officer: OfficerDep,
    channel: Annotated[str | None, Query(max_length=20)] = None,
    q: Annotated[str | None, Query(max_length=50)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    principal = officer.principal
    rows, total = queues.work_queue(
        session, principal, PAGE_SIZE, (page - 1) * PAGE_SIZE, channel or None, q or None
    )
    now = now_of(request)
    limit_hours = (
        settings.front_desk_time_limit_hours
        if principal.role is Role.FRONT_DESK
        else settings.back_office_time_limit_hours
    )
    held = claims.holders(session, [a.id for a in rows], now)
    language = views.language_of(request)
    items = [
        {
            "id": a.id,
            "channel": a.channel,
            "name": a.company_name_zh,
            "category": a.category,
            "age": views.age_text(a.submitted_at, now, language),
            "overdue": views.is_overdue(a.submitted_at, now, limit_hours),
            "held_by": held.get(a.id),
        }
        for a in rows
    ]
    return views.render(
        request,
        "queue.html",
        {
            "items": items,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "channel": channel or "",
            "q": q or "",
            "channels": sorted(catalogue.channels()),
            "title_key": "queue_front_desk"
            if principal.role is Role.FRONT_DESK
            else "queue_back_office",
        },
        officer=officer,
        session=session,
    )


@router.get("/applications/{application_id}")
def application_page(
    request: Request,
    session: SessionDep,
    officer: OfficerDep,
    application_id: str,
    done: Annotated[str | None, Query(max_length=40)] = None,
    refused: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    principal = officer.principal
    application = applications.get_application(session, principal, application_id)
    language = views.language_of(request)
    now = now_of(request)
    holder = claims.holder(session, application_id, now)
    licence = licence_service.for_application(session, application_id)
    return views.render(
        request,
        "application.html",
        {
            "application": application,
            "payload": views.readable_payload(application.payload),
            "attestations": attestations.list_attestations(session, principal, application_id),
            "documents": applications.list_documents(session, application_id),
            "events": applications.list_events(session, principal, application_id),
            "holder": holder,
            "licence": licence,
            "actions": _actions_for(principal.role, Status(application.status)),
            "reasons": return_reasons.REASONS,
            "reason_rows": range(3),
            "done": done,
            "refused": views.problem_text(refused, language) if refused else None,
        },
        officer=officer,
        session=session,
    )


def _actions_for(role: Role, status: Status) -> list[str]:
    """The forms to show: those the workflow table allows this role now (it stays the judge)."""
    return [
        name
        for name, action in _ACTIONS.items()
        if (transition := TRANSITIONS.get((status, action))) is not None
        and role in transition.roles
    ]


@router.post("/applications/{application_id}/claim")
def claim(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    officer: CheckedOfficerDep,
    application_id: str,
) -> Response:
    applications.get_application(session, officer.principal, application_id)
    return _attempt(
        application_id,
        "claim",
        lambda: claims.claim(
            session,
            officer.principal,
            application_id,
            now_of(request),
            timedelta(seconds=settings.claim_ttl_seconds),
        ),
    )


@router.post("/applications/{application_id}/release")
def release(
    request: Request, session: SessionDep, officer: CheckedOfficerDep, application_id: str
) -> Response:
    applications.get_application(session, officer.principal, application_id)
    return _attempt(
        application_id,
        "release",
        lambda: claims.release(session, officer.principal, application_id, now_of(request)),
    )


@router.post("/applications/{application_id}/act")
async def act(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    officer: CheckedOfficerDep,
    application_id: str,
    action: Annotated[str, Form(max_length=20)],
) -> Response:
    form = await request.form()
    if action not in _ACTIONS:
        return _see_other(f"/console/applications/{quote(application_id)}?refused=bad_request")
    reasons = _reasons_from(form, views.language_of(request))

    def perform() -> None:
        claims.require_free_or_mine(session, officer.principal, application_id, now_of(request))
        applications.perform(
            session,
            officer.principal,
            application_id,
            _ACTIONS[action],
            reasons,
            region_code=settings.region_code,
        )
        claims.finish(session, application_id)
        worker = getattr(request.app.state, "issuance_worker", None)
        if worker is not None and _ACTIONS[action] is Action.APPROVE:
            worker.wake()

    return _attempt(application_id, action, perform)


def _reasons_from(form: Any, language: str) -> list[FieldError]:
    """Itemised reasons: up to three rows of (catalogue reason, free text)."""
    reasons = []
    for i in range(3):
        code = str(form.get(f"reason_{i}", ""))
        note = str(form.get(f"note_{i}", ""))[:400].strip()
        reason = return_reasons.BY_CODE.get(code)
        if reason is None:
            continue
        message = reason.text(language) + (f" {note}" if note else "")
        reasons.append(
            FieldError(field=reason.field or "application", message=message, code=reason.code)
        )
    return reasons


def _attempt(application_id: str, what: str, step: Any) -> Response:
    target = f"/console/applications/{quote(application_id)}"
    try:
        step()
    except (ServiceError, WorkflowError) as error:
        return _see_other(f"{target}?refused={error.code}")
    return _see_other(f"{target}?done={what}")


@router.get("/applications/{application_id}/documents/{document_id}")
def document(
    session: SessionDep, officer: OfficerDep, application_id: str, document_id: str
) -> Response:
    found = applications.document_content(session, officer.principal, application_id, document_id)
    return document_response(found)


@router.get("/licences")
def licence_list(
    request: Request,
    session: SessionDep,
    officer: OfficerDep,
    q: Annotated[str | None, Query(max_length=50)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    _require(officer, Role.REGISTRAR_ADMIN, Role.AUDITOR)
    rows, total = queues.licences(session, q or None, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return views.render(
        request,
        "licences.html",
        {
            "licences": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "q": q or "",
        },
        officer=officer,
        session=session,
    )


@router.get("/history")
def history(
    request: Request,
    session: SessionDep,
    officer: OfficerDep,
    action: Annotated[str | None, Query(max_length=20)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Every application's steps, newest first: the auditor's read-only view (events only,
    not the applications' personal data, DESIGN.md §5)."""
    _require(officer, Role.AUDITOR, Role.REGISTRAR_ADMIN)
    rows, total = queues.recent_events(
        session, PAGE_SIZE * 2, (page - 1) * PAGE_SIZE * 2, action or None
    )
    return views.render(
        request,
        "history.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // (PAGE_SIZE * 2))),
            "action": action or "",
            "actions": [a.value for a in Action],
        },
        officer=officer,
        session=session,
    )


@router.get("/licences/{uscc}")
def licence_page(
    request: Request,
    session: SessionDep,
    officer: OfficerDep,
    uscc: str,
    done: Annotated[str | None, Query(max_length=40)] = None,
    refused: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    _require(officer, Role.REGISTRAR_ADMIN, Role.AUDITOR)
    current, versions = licence_service.public_status(session, uscc, None)
    language = views.language_of(request)
    return views.render(
        request,
        "licence.html",
        {
            "licence": current,
            "versions": versions,
            "events": licence_service.history(session, current.uscc),
            "proposal": revocations.pending(session, current.uscc),
            "done": done,
            "refused": views.problem_text(refused, language) if refused else None,
        },
        officer=officer,
        session=session,
    )


@router.post("/licences/{uscc}/revocation")
def revocation(
    request: Request,
    session: SessionDep,
    officer: CheckedOfficerDep,
    uscc: str,
    step: Annotated[str, Form(pattern="^(propose|confirm|cancel)$")],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Four eyes: one registrar proposes (with the public reason), another confirms."""
    target = f"/console/licences/{quote(uscc)}"
    now = now_of(request)
    try:
        if step == "propose":
            if len(reason.strip()) < 3:
                return _see_other(f"{target}?refused=reasons_required")
            revocations.propose(session, officer.principal, uscc, reason.strip(), now)
        elif step == "confirm":
            revocations.confirm(session, officer.principal, uscc, now)
        else:
            revocations.cancel(session, officer.principal, uscc, now)
    except (ServiceError, WorkflowError) as error:
        return _see_other(f"{target}?refused={error.code}")
    return _see_other(f"{target}?done={step}")


def _require(officer: Any, *roles: Role) -> None:
    if officer.principal.role not in roles:
        raise RoleNotPermitted(f"this page is for {', '.join(r.value for r in roles)}")


def install(app: FastAPI) -> None:
    """Console refusals as pages: an ended session goes back to sign-in, anything else is shown
    in words. The API's paths keep their RFC 9457 problems."""

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceError | WorkflowError)
        if not request.url.path.startswith("/console"):
            return problem_of(request, exc)
        if isinstance(exc, SessionExpired):
            had_session = COOKIE in request.cookies
            return _see_other("/console/login?expired=1" if had_session else "/console/login")
        language = views.language_of(request)
        title, detail = views.problem_text(exc.code, language)
        response = views.render(
            request,
            "refused.html",
            {"title": title, "detail": detail},
            status_code=exc.http_status,
        )
        response.headers.update(getattr(exc, "headers", {}))
        return response

    app.add_exception_handler(ServiceError, refused)
    app.add_exception_handler(WorkflowError, refused)
    app.include_router(router)
