"""The authority's sealed notices: queued with the workflow step they record, signed by the
issuance worker through the licence's PAdES pipeline, listed on the application.

Queued in the step's transaction (`queue`, called by `services.applications`), so a committed
acceptance, return, rejection or approval always has its notice; signing happens after, in the
worker (`sign_pending`), because the authority's keys live there and a step must not wait for
a signature. Each notice is signed once: rows are claimed with `FOR UPDATE SKIP LOCKED` on
PostgreSQL and written only while still unsigned.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, Protocol

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from registration.changes import ISSUANCE_DUE, notify
from registration.clock import CHINA_TIME
from registration.db import utcnow
from registration.domain import investor_texts, return_reasons
from registration.errors import NoticeNotFound
from registration.models import Application, Notice
from registration.services import tracking
from registration.settings import Settings
from templates import NOTICE_FORMAT, NoticeReason, NoticeText, render_notice
from templates.errors import LicenceTemplateError

log = logging.getLogger("bizreg.notices")

# The status a step enters → the notice that records it.
KIND_OF_STATUS: Final = {
    "accepted": "acceptance",
    "returned": "return",
    "rejected": "rejection",
    "approved": "approval",
}
_KIND_LETTER: Final = {
    "acceptance": "S",
    "return": "B",
    "rejection": "J",
    "approval": "Z",
    "withdrawal": "C",
}
_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class NoticeSigner(Protocol):
    def sign_notice(self, pdf: bytes, *, title: str, number: str) -> bytes: ...


def languages_for(application_language: str) -> tuple[str, ...]:
    """Simplified Chinese (the authority's language) first, then the investor's, then English."""
    chosen = ["zh-Hans"]
    for language in (investor_texts.language_of(application_language), "en"):
        if language not in chosen:
            chosen.append(language)
    return tuple(chosen)


def _number(kind: str, at: datetime) -> str:
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(6))
    return f"DGTZ-{at.astimezone(CHINA_TIME):%Y%m%d}-{_KIND_LETTER[kind]}-{suffix}"


def queue(
    session: Session,
    application: Application,
    seq: int,
    status: str,
    reasons: Sequence[dict[str, Any]],
    at: datetime,
    *,
    by_system: bool = False,
) -> Notice | None:
    """The notice of the step that entered `status`, if that step has one (a withdrawal only
    when the system withdrew a stale case: the applicant's own needs no notice). Never
    commits."""
    kind = "withdrawal" if status == "withdrawn" and by_system else KIND_OF_STATUS.get(status)
    if kind is None:
        return None
    number = _number(kind, at)
    statement = {
        "format": NOTICE_FORMAT,
        "kind": kind,
        "number": number,
        "issue_date": at.astimezone(CHINA_TIME).date().isoformat(),
        "application": {
            "reference": tracking.display_reference(application.tracking_reference)
            if application.tracking_reference
            else None,
            "company_name_zh": application.company_name_zh,
            "status": status,
            "event_seq": seq,
        },
        "reasons": [
            {k: r[k] for k in ("field", "code", "message") if r.get(k) is not None} for r in reasons
        ],
    }
    notice = Notice(
        id=str(uuid.uuid4()),
        number=number,
        application_id=application.id,
        seq=seq,
        kind=kind,
        languages=list(languages_for(application.language)),
        statement=statement,
        created_at=at,
    )
    session.add(notice)
    notify(session, ISSUANCE_DUE)  # the issuance worker signs notices too: wake it now
    return notice


def _reason_lines(reason: dict[str, Any], languages: Sequence[str]) -> tuple[str, ...]:
    """The catalogue's sentence in each language, then the officer's own words once."""
    catalogued, note = return_reasons.split(reason)
    if catalogued is None:
        return (note,)
    return (*(catalogued.text(language) for language in languages), *((note,) if note else ()))


def notice_text(notice: Notice, settings: Settings, languages: Sequence[str]) -> NoticeText:
    s = notice.statement

    def each(key: str) -> tuple[str, ...]:
        return tuple(investor_texts.text(key, language) for language in languages)

    def label(key: str) -> str:
        return " / ".join(dict.fromkeys(each(key)))

    authority = {"zh": settings.authority_name_zh, "en": settings.authority_name_en}
    url = f"{settings.public_base_url.rstrip('/')}/verify"
    data = {**s, "languages": list(languages), "authority": authority, "verification_url": url}
    return NoticeText(
        kind=notice.kind,
        number=notice.number,
        issue_date=datetime.fromisoformat(s["issue_date"]).date(),
        languages=tuple(languages),
        titles=tuple(dict.fromkeys(each(f"notice.{notice.kind}"))),
        statements=tuple(dict.fromkeys(each(f"notice.statement.{notice.kind}"))),
        labels={
            key: label(f"notice.{key}")
            for key in ("number", "company", "reference", "date", "reasons", "field", "verify")
        }
        | {"not_a_licence": label("notice.not_a_licence")},
        company_name=s["application"]["company_name_zh"],
        reference=s["application"].get("reference") or "—",
        reasons=tuple(
            NoticeReason(field=r.get("field") or "—", lines=_reason_lines(r, languages))
            for r in s.get("reasons", [])
        ),
        authority=settings.authority_name_zh,
        verification_url=url,
        data=data,
    )


def render(notice: Notice, settings: Settings) -> bytes:
    """The unsigned PDF; with fewer languages if the reasons do not fit with all of them."""
    languages = list(notice.languages)
    while True:
        try:
            return render_notice(notice_text(notice, settings, languages))
        except LicenceTemplateError:
            if len(languages) <= 1:
                raise
            languages.pop()


def sign_pending(engine: Engine, signer: NoticeSigner, settings: Settings, limit: int = 10) -> int:
    """Render and sign the notices waiting for it; returns how many this call signed."""
    signed = 0
    with Session(engine) as session:
        statement = (
            select(Notice)
            .where(col(Notice.signed_at).is_(None))
            .order_by(col(Notice.created_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        for notice in list(session.exec(statement)):
            try:
                pdf = signer.sign_notice(
                    render(notice, settings),
                    title=investor_texts.text(f"notice.{notice.kind}", "zh-Hans"),
                    number=notice.number,
                )
            except LicenceTemplateError:
                log.exception("notice %s cannot be rendered", notice.number)
                continue
            result = session.execute(
                update(Notice)
                .where(col(Notice.id) == notice.id, col(Notice.signed_at).is_(None))
                .values(
                    pdf=pdf,
                    sha256=hashlib.sha256(pdf).hexdigest(),
                    size=len(pdf),
                    signed_at=utcnow(),
                )
            )
            signed += result.rowcount  # type: ignore[attr-defined]
        if signed:  # an idle worker's look commits nothing (closing rolls back)
            session.commit()
    return signed


def for_application(session: Session, application_id: str) -> list[Notice]:
    statement = (
        select(Notice).where(Notice.application_id == application_id).order_by(col(Notice.seq))
    )
    return list(session.exec(statement))


def signed_pdf(session: Session, application_id: str, notice_id: str) -> tuple[str, bytes]:
    """The file name and bytes of one of the application's signed notices."""
    notice = session.get(Notice, notice_id[:36])
    if notice is None or notice.application_id != application_id or notice.pdf is None:
        raise NoticeNotFound("this application has no signed notice with that id")
    return f"{notice.number}.pdf", notice.pdf


def by_number(session: Session, number: str) -> Notice | None:
    return session.exec(select(Notice).where(Notice.number == number[:32])).first()
