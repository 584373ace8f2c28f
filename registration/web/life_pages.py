"""Public pages of a company's life: the register and the deregistration notices.

    GET  /register?q=&page=                  search the register (as GET /api/v1/register)
    GET  /deregistrations                    deregistrations in their notice period
    GET  /deregistrations/{id}               one notice, with the objection form
    POST /deregistrations/{id}/objections    lodge an objection (form; rate-limited)
    GET  /life-assets/life.css               the pages' stylesheet (no inline style: the CSP)

Localised in zh-Hans, zh-Hant, en and fr (`life_i18n`). Server-rendered, no script.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlmodel import col, select

from registration.api.deps import PrincipalDep, SessionDep, SettingsDep
from registration.api.deregistrations import DeregistrationOut, ObjectionIn
from registration.api.register import address_of
from registration.api.statistics import period
from registration.db import utcnow
from registration.domain.deregistration import DeregistrationStatus
from registration.domain.security_events import SecurityEventKind
from registration.domain.statistics import TARGETS
from registration.errors import ServiceError
from registration.http.localisation import LANGUAGES, problem_text
from registration.models import Deregistration
from registration.services import deregistrations, rate_limits, register, statistics
from registration.web import life_i18n
from registration.web.charts import count_chart, share_chart

router = APIRouter(include_in_schema=False)
_pages = Jinja2Templates(directory=Path(__file__).with_name("templates"))
_STATIC = Path(__file__).with_name("static")


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    language = life_i18n.choose_language(request)

    def t(key: str, **kw: object) -> str:
        return life_i18n.text(key, language).format(**kw)

    response = _pages.TemplateResponse(
        request,
        template,
        {
            "lang": language,
            "t": t,
            "languages": [
                (code, life_i18n.NAMES[code], str(request.url.include_query_params(lang=code)))
                for code in LANGUAGES
            ],
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(life_i18n.COOKIE, language, max_age=365 * 86400, samesite="lax")
    response.headers["Content-Language"] = language
    response.headers["Cache-Control"] = "no-store"
    return response


def _problem(request: Request, error: ServiceError) -> str:
    language = life_i18n.choose_language(request)
    title, detail = problem_text(error.code, error.http_status, language, error.title, error.detail)
    return f"{title}: {detail}"


@router.get("/life-assets/{name}")
def asset(name: str) -> FileResponse:
    path = _STATIC / name
    if name not in {"life.css"} or not path.is_file():
        return FileResponse(_STATIC / "life.css", status_code=404)
    return FileResponse(
        path, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"}
    )


@router.get("/register", response_class=HTMLResponse)
def register_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    q: str = "",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> HTMLResponse:
    context: dict[str, Any] = {"q": q, "page": page, "entries": None, "total": 0, "error": None}
    if not q:
        return render(request, "register.html", context)
    try:
        rate_limits.spend(
            session,
            SecurityEventKind.REGISTER_SEARCH,
            address_of(request),
            settings.register_searches_per_minute,
        )
        entries, total = register.search(session, q, page, 20)
    except ServiceError as error:
        context["error"] = _problem(request, error)
        return render(request, "register.html", context, error.http_status)
    context.update(
        entries=entries,
        total=total,
        pages=(total + 19) // 20,
        prev_url=str(request.url.include_query_params(page=page - 1)) if page > 1 else None,
        next_url=str(request.url.include_query_params(page=page + 1))
        if page * 20 < total
        else None,
    )
    return render(request, "register.html", context)


@router.get("/deregistrations", response_class=HTMLResponse)
def notices_page(request: Request, session: SessionDep) -> HTMLResponse:
    rows = session.exec(
        select(Deregistration)
        .where(Deregistration.status == DeregistrationStatus.NOTICE)
        .order_by(col(Deregistration.notice_ends_at))
        .limit(200)
    )
    notices = [DeregistrationOut.of(session, x) for x in rows]
    return render(request, "deregistrations.html", {"notices": notices})


def _notice(
    request: Request,
    session: SessionDep,
    deregistration_id: str,
    extra: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    try:
        row = deregistrations.get(session, deregistration_id)
    except ServiceError:
        return render(request, "deregistration.html", {"notice": None, **extra}, 404)
    notice = DeregistrationOut.of(session, row)
    is_open = row.status is DeregistrationStatus.NOTICE and utcnow() < row.notice_ends_at
    return render(
        request,
        "deregistration.html",
        {"notice": notice, "is_open": is_open, **extra},
        status_code,
    )


@router.get("/deregistrations/{deregistration_id}", response_class=HTMLResponse)
def notice_page(request: Request, session: SessionDep, deregistration_id: str) -> HTMLResponse:
    return _notice(request, session, deregistration_id, {"error": None, "token": None})


@router.post("/deregistrations/{deregistration_id}/objections", response_class=HTMLResponse)
def object_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    deregistration_id: str,
    contact: Annotated[str, Form(max_length=10_000)] = "",
    reason: Annotated[str, Form(max_length=10_000)] = "",
) -> HTMLResponse:
    try:
        body = ObjectionIn(contact=contact, reason=reason)
    except ValidationError as error:
        fields = ", ".join(str(x["loc"][0]) for x in error.errors())
        return _notice(
            request, session, deregistration_id, {"error": f"✗ {fields}", "token": None}, 422
        )
    address = address_of(request)
    try:
        rate_limits.spend(
            session, SecurityEventKind.OBJECTION_LODGED, address, settings.objections_per_minute
        )
        _, token = deregistrations.lodge_objection(
            session, deregistration_id, body.contact, body.reason, address, utcnow()
        )
    except ServiceError as error:
        return _notice(
            request,
            session,
            deregistration_id,
            {"error": _problem(request, error), "token": None},
            error.http_status,
        )
    return _notice(request, session, deregistration_id, {"error": None, "token": token}, 201)


@router.get("/statistics", response_class=HTMLResponse)
def statistics_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    channel: Annotated[str | None, Query(pattern=r"^[a-z_]{1,20}$")] = None,
) -> HTMLResponse:
    """Registrar and auditor (bearer token for now; the console's sessions will carry it)."""
    statistics.require_reader(principal)
    start, end = period(start, end)
    report = statistics.compute(session, start, end, channel, utcnow())
    language = life_i18n.choose_language(request)

    def t(key: str) -> str:
        return life_i18n.text(key, language)

    scopes = [(t("overall"), report.overall), *report.channels.items()]
    targets = TARGETS
    charts = [
        share_chart(t("instant"), [(n, x.instant_share) for n, x in scopes], targets["instant"]),
        share_chart(
            t("no_return"), [(n, x.no_return_share) for n, x in scopes], targets["no_return"]
        ),
        share_chart(t("no_visit"), [(n, x.no_visit_share) for n, x in scopes], targets["no_visit"]),
        count_chart(t("returns_by_reason"), sorted(report.overall.returns_by_reason.items())),
        count_chart(t("queues"), [(q.category, q.open) for q in report.queues]),
    ]
    csv_url = str(request.url.replace(path="/api/v1/statistics").include_query_params(format="csv"))
    return render(
        request,
        "statistics.html",
        {
            "report": report,
            "scopes": scopes,
            "charts": charts,
            "targets": targets,
            "csv_url": csv_url,
            "start": start.date().isoformat(),
            "end": end.date().isoformat(),
        },
    )
