"""Rendering the console's pages: the shared frame (navigation with queue counts, language,
the session's CSRF token) and the readable form of an application's payload."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from registration.console import texts
from registration.console.session import Officer
from registration.domain import catalogue
from registration.domain.workflow import Role
from registration.http import localisation
from registration.services import queues
from registration.web import i18n

_templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))


def language_of(request: Request) -> str:
    return i18n.choose_language(request)


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    officer: Officer | None = None,
    session: Session | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    language = language_of(request)
    nav: list[dict[str, Any]] = []
    if officer is not None and session is not None:
        nav = navigation(session, officer.principal.role)
    response = _templates.TemplateResponse(
        request,
        template,
        {
            "lang": language,
            "t": lambda key, **kw: texts.text(key, language).format(**kw),
            "toggle_url": str(
                request.url.include_query_params(lang="en" if language == "zh" else "zh")
            ),
            "officer": officer,
            "nav": nav,
            "counts": {
                "queue": queues.queue_size(session, officer.principal)
                if officer is not None and session is not None
                else 0
            },
            "path": request.url.path,
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, language, max_age=365 * 86400, samesite="strict", path="/")
    response.headers["Content-Language"] = "zh-CN" if language == "zh" else "en"
    response.headers["Cache-Control"] = "no-store"
    return response


def navigation(session: Session, role: Role) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if role is Role.FRONT_DESK:
        items.append({"key": "queue_front_desk", "href": "/console/queue", "count": True})
    if role is Role.BACK_OFFICE:
        items.append({"key": "queue_back_office", "href": "/console/queue", "count": True})
    if role in (Role.REGISTRAR_ADMIN, Role.AUDITOR):
        items.append({"key": "queue_licences", "href": "/console/licences", "count": False})
        items.append({"key": "queue_history", "href": "/console/history", "count": False})
    return items


def problem_text(code: str, language: str) -> tuple[str, str]:
    """A refusal's localised title and explanation, from the API's problem catalogue."""
    messages = localisation.catalogue().get(code, {})
    tag = "zh-Hans" if language == "zh" else "en"
    entry = messages.get(tag) or messages.get("en") or {"title": code, "detail": ""}
    return entry["title"], entry.get("detail", "")


def age_text(since: datetime | None, now: datetime, language: str) -> str:
    if since is None:
        return "—"
    age = now - since
    hours = int(age.total_seconds() // 3600)
    minutes = int(age.total_seconds() % 3600 // 60)
    if language == "zh":
        return f"{hours} 小时 {minutes} 分" if hours else f"{minutes} 分钟"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def is_overdue(since: datetime | None, now: datetime, limit_hours: int) -> bool:
    return since is not None and now - since > timedelta(hours=limit_hours)


def readable_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload arranged for reading: people with their roles, scope items with permit flags."""
    company = payload.get("company", {})
    scope_catalogue = catalogue.business_scope()
    persons = []
    roles_of: dict[str, list[str]] = {}
    if payload.get("legal_representative"):
        roles_of.setdefault(payload["legal_representative"], []).append("legal_representative")
    for ref in payload.get("directors", []) or []:
        roles_of.setdefault(ref, []).append("director")
    if payload.get("supervisor"):
        roles_of.setdefault(payload["supervisor"], []).append("supervisor")
    for person in payload.get("persons", []):
        document = person.get("document", {})
        persons.append(
            {
                "ref": person.get("ref"),
                "name": person.get("name"),
                "nationality": person.get("nationality"),
                "document": f"{document.get('type', '')} {document.get('number', '')}".strip(),
                "roles": roles_of.get(person.get("ref", ""), []),
            }
        )
    names = {p["ref"]: p["name"] for p in persons}
    shareholders = []
    for holder in payload.get("shareholders", []):
        who = names.get(holder.get("person", "")) or holder.get("entity", {}).get("name", "")
        contribution = holder.get("contribution", {})
        shareholders.append(
            {
                "name": who,
                "share": holder.get("share_percent"),
                "contribution": "{} {}".format(
                    contribution.get("amount", ""), contribution.get("currency", "")
                ),
            }
        )
    scope = []
    for item in company.get("business_scope", []):
        entry = scope_catalogue.get(item)
        scope.append({"text": item, "permit": bool(entry and entry.permit)})
    capital = company.get("registered_capital", {})
    return {
        "name": company.get("name", {}),
        "type": company.get("type"),
        "capital": f"{capital.get('amount', '')} {capital.get('currency', '')}",
        "term": company.get("business_term_years"),
        "domicile": company.get("domicile"),
        "scope": scope,
        "articles": (company.get("articles_of_association") or {}).get("template", ""),
        "persons": persons,
        "shareholders": shareholders,
    }
