"""/track: the investor's page (phone-first, server-rendered, no script).

    GET  /track                      the form (reference and code, as on the bank's receipt)
    POST /track                      the case, in the application's language unless one is chosen
    POST /track/notices/{id}         a signed notice (PDF); the form repeats reference and code
    POST /track/licence              the licence (PDF)

Posted, not in the URL: the code never lands in a history, a log or a Referer. The same checks
and throttle as GET /api/v1/track (`services.tracking`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from registration.api.deps import SessionDep
from registration.api.register import address_of
from registration.api.track import tracked_licence, tracked_notice
from registration.errors import ServiceError
from registration.http.localisation import LANGUAGES, problem_text
from registration.services import case_view, tracking
from registration.web import life_i18n

router = APIRouter(include_in_schema=False)
_pages = Jinja2Templates(directory=Path(__file__).with_name("templates"))
FormText = Annotated[str, Form(max_length=64)]


def _duration(seconds: float, language: str) -> str:
    if seconds < 60:
        return life_i18n.text("unit_now", language)
    if seconds < 2 * 3600:
        return life_i18n.text("unit_minutes", language).format(n=max(1, round(seconds / 60)))
    if seconds < 2 * 86400:
        return life_i18n.text("unit_hours", language).format(n=round(seconds / 3600))
    return life_i18n.text("unit_days", language).format(n=round(seconds / 86400))


def _render(
    request: Request, language: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    def t(key: str, **kw: object) -> str:
        return life_i18n.text(key, language).format(**kw)

    response = _pages.TemplateResponse(
        request,
        "track.html",
        {
            "lang": language,
            "t": t,
            "duration": lambda s: _duration(s, language),
            # The switcher re-posts the form in another language (the code stays out of URLs).
            "languages": [(code, life_i18n.NAMES[code], "") for code in LANGUAGES],
            "switch_by_form": True,
            **context,
        },
        status_code=status_code,
    )
    response.headers["Content-Language"] = language
    response.headers["Cache-Control"] = "no-store"
    return response


def _explicit_language(request: Request, asked: str) -> str | None:
    if asked in LANGUAGES:
        return asked
    if request.query_params.get("lang") in LANGUAGES:
        return request.query_params["lang"]
    return None


@router.get("/track", response_class=HTMLResponse)
def track_form(request: Request, reference: str = "") -> HTMLResponse:
    language = life_i18n.choose_language(request)
    return _render(request, language, {"reference": reference[:40], "case": None, "error": None})


@router.post("/track", response_class=HTMLResponse)
def track_case(
    request: Request,
    session: SessionDep,
    reference: FormText,
    code: FormText,
    lang: Annotated[str, Form(max_length=10)] = "",
) -> HTMLResponse:
    explicit = _explicit_language(request, lang)
    try:
        application = tracking.find(session, tracking.Attempt(reference, code, address_of(request)))
    except ServiceError as error:
        language = explicit or life_i18n.choose_language(request)
        title, detail = problem_text(
            error.code, error.http_status, language, error.title, error.detail
        )
        failed = {"reference": reference, "case": None, "error": f"{title}: {detail}"}
        response = _render(request, language, failed, error.http_status)
        response.headers.update(error.headers)
        return response
    # The channel's language unless the investor picked one.
    case = case_view.view(session, application, explicit)
    session.commit()
    context: dict[str, Any] = {"reference": reference, "code": code, "case": case, "error": None}
    return _render(request, case.language, context)


@router.post("/track/notices/{notice_id}")
def track_notice(
    request: Request, session: SessionDep, notice_id: str, reference: FormText, code: FormText
) -> Response:
    attempt = tracking.Attempt(reference, code, address_of(request))
    return tracked_notice(session, attempt, notice_id)


@router.post("/track/licence")
def track_licence(
    request: Request, session: SessionDep, reference: FormText, code: FormText
) -> Response:
    return tracked_licence(session, tracking.Attempt(reference, code, address_of(request)))
