"""The public verification pages (server-rendered HTML, no script needed).

    GET  /verify              upload form
    POST /verify              verify the uploaded PDF, show the verdict (same report as the API)
    GET  /verify/{uscc}?v=N   where a licence's QR code leads: the registry's public status and
                              data for that version

Chinese or English by `?lang=`, a cookie, or Accept-Language (see `i18n`). Verdicts are green
(in force / authentic), red (invalid / not in force) or amber (cannot be confirmed), always
with the reason in words.
"""

from __future__ import annotations

import functools
import io
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]

from registration.api.deps import SessionDep
from registration.api.verify import verify_upload
from registration.domain.licence_lifecycle import LicenceStatus
from registration.errors import ServiceError
from registration.models import Licence
from registration.services import audit, checkpoints
from registration.services import licences as licence_service
from registration.web import i18n
from templates import LicenceDataError, read_licence_data
from templates.fonts import FONT_FILE
from verification import VerificationReport, explain, verdict_title

router = APIRouter(include_in_schema=False)
_pages = Jinja2Templates(directory=Path(__file__).with_name("templates"))


def _money(amount: object) -> str:
    """1000000.00 → 1,000,000.00 (exact: the amount is a decimal string)."""
    try:
        return f"{Decimal(str(amount)):,}"
    except InvalidOperation:
        return str(amount)


_pages.env.filters["money"] = _money

# Colour of each verdict: a reader must not need to read the words to know whether to trust.
_TONE = {
    "in_force": "good",
    "authentic": "good",
    "not_in_force": "bad",
    "invalid": "bad",
    "indeterminate": "warn",
}


def _render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    language = i18n.choose_language(request)
    response = _pages.TemplateResponse(
        request,
        template,
        {
            "lang": language,
            "t": lambda key, **kw: i18n.text(key, language).format(**kw),
            "other_lang": "en" if language == "zh" else "zh",
            # The toggle keeps the rest of the query (a QR link's ?v=N).
            "toggle_url": str(
                request.url.include_query_params(lang="en" if language == "zh" else "zh")
            ),
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, language, max_age=365 * 86400, samesite="lax")
    response.headers["Content-Language"] = "zh-CN" if language == "zh" else "en"
    response.headers["Cache-Control"] = "no-store"
    return response


@functools.cache
def _cjk_font() -> bytes:
    """The licence typeface's first face as a TrueType file (browsers do not load .ttc
    collections), for readers whose system has no Chinese font. Built once, ~4.6 MB."""
    collection = TTCollection(str(FONT_FILE))
    out = io.BytesIO()
    collection.fonts[0].save(out)
    return out.getvalue()


@router.get("/verify/assets/cjk.ttf")
def cjk_font() -> Response:
    # Only fetched when no local CJK font matches (see base.html's @font-face).
    return Response(
        _cjk_font(),
        media_type="font/ttf",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


_STATIC = Path(__file__).with_name("static")


@router.get("/verify/assets/site.css")
def site_css() -> FileResponse:
    return FileResponse(_STATIC / "site.css", media_type="text/css")


@router.get("/verify", response_class=HTMLResponse)
def upload_form(request: Request) -> HTMLResponse:
    return _render(request, "verify.html", {"report": None, "error": None})


@router.post("/verify", response_class=HTMLResponse)
def upload(
    request: Request,
    session: SessionDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    if file is None or not file.filename:
        return _render(request, "verify.html", {"report": None, "error": "no_file"}, 400)
    try:
        report = verify_upload(request, session, file.file)
    except ServiceError as error:  # too large, not a PDF: the form again, with the reason
        return _render(
            request, "verify.html", {"report": None, "error": error.code}, error.http_status
        )
    return _render(request, "verify.html", _report_context(report, request, file.filename))


def _report_context(
    report: VerificationReport, request: Request, filename: str | None
) -> dict[str, Any]:
    language = i18n.choose_language(request)
    verdict = report.verdict.value
    return {
        "report": report,
        "error": None,
        "filename": filename,
        "tone": _TONE[verdict],
        "verdict_title": i18n.text("notice_title", language)
        if report.kind == "notice" and verdict == "authentic"
        else verdict_title(verdict, language),
        "reason_text": explain(
            report.reason,
            language,
            report.sub_indication.value if report.sub_indication else None,
            _changed_on(report),
        ),
        "problems": [explain(code, language) for code in report.problems if code != report.reason],
        "data": report.licence.data if report.licence else None,
        "notice": report.notice.data if report.notice else None,
    }


def _changed_on(report: VerificationReport) -> date | None:
    registry = report.registry
    if registry is None or registry.status_changed_at is None:
        return None
    return registry.status_changed_at.date()


@router.get("/verify/{uscc}", response_class=HTMLResponse)
def licence_status(
    request: Request,
    uscc: str,
    session: SessionDep,
    v: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The page a licence's QR code opens: the registry's record of that version."""
    try:
        licence, versions = licence_service.public_status(session, uscc, v)
    except ServiceError as error:
        return _render(request, "status.html", {"licence": None, "uscc": uscc}, error.http_status)
    # A row that disagrees with the transparency log is not shown as the registry's word.
    cache = checkpoints.tree_cache(request.app.state.engine)
    problem = audit.licence_log_problem(
        session, licence, functools.partial(cache.current, session), request.app.state.settings
    )
    return _render(
        request,
        "status.html",
        {
            "licence": licence,
            "uscc": licence.uscc,
            "versions": versions,
            "inconsistent": problem is not None,
            "in_force": licence.status is LicenceStatus.ACTIVE and problem is None,
            "data": _public_data(licence),
        },
    )


def _public_data(licence: Licence) -> dict[str, Any] | None:
    """The printed fields, from the issued PDF's own licence.json (all of it is printed on the
    licence, which the company must display at its premises)."""
    try:
        return read_licence_data(licence.pdf)
    except LicenceDataError:
        return None
