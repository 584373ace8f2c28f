"""The investor's view of a case (public, with the tracking reference and code), and the
notices of an application (its client and officers).

    GET  /api/v1/track?reference=&code=[&lang=]          the case: timeline, what to fix, notices
    GET  /api/v1/track/notices/{id}?reference=&code=     a signed notice (PDF)
    GET  /api/v1/track/licence?reference=&code=          the licence once issued (PDF)
    GET  /api/v1/applications/{id}/notices               the notices, for the client or officers
    GET  /api/v1/applications/{id}/notices/{nid}/pdf     one of them
    POST /api/v1/applications/{id}/tracking-code         a new code (the old one stops working)
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from registration.api.deps import AUTHENTICATION_ERRORS, PrincipalDep, SessionDep
from registration.api.overload import OVERLOAD_ERRORS
from registration.api.problems import problem_responses
from registration.api.register import address_of
from registration.errors import (
    ApplicationNotFound,
    LicenceNotFound,
    NoticeNotFound,
    PayloadInvalid,
    RoleNotPermitted,
    TrackingNotFound,
    TrackingThrottled,
)
from registration.models import Notice
from registration.services import applications, case_view, licences, notices, tracking

router = APIRouter(tags=["tracking"], responses=problem_responses(*OVERLOAD_ERRORS))

Reference = Annotated[str, Query(min_length=1, max_length=40, description="e.g. DG-7K2M-9QXA-3F")]
Code = Annotated[str, Query(min_length=1, max_length=64, description="as printed by the bank")]
Language = Annotated[str | None, Query(pattern=r"^(zh-Hans|zh-Hant|en|fr)$")]
_TRACK_ERRORS = (TrackingNotFound, TrackingThrottled, PayloadInvalid)
_PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}


def pdf_download(filename: str, content: bytes) -> Response:
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/api/v1/track", responses=problem_responses(*_TRACK_ERRORS))
def track(
    request: Request,
    session: SessionDep,
    reference: Reference,
    code: Code,
    lang: Language = None,
) -> dict[str, Any]:
    """Public: the case the reference and code open. A wrong code answers exactly as an
    unknown reference (404 `tracking_not_found`); repeated failures are refused with 429."""
    application = tracking.find(session, tracking.Attempt(reference, code, address_of(request)))
    out = case_view.view(session, application, lang).to_json()
    session.commit()
    return out


@router.get(
    "/api/v1/track/notices/{notice_id}",
    response_class=Response,
    responses=_PDF | problem_responses(*_TRACK_ERRORS, NoticeNotFound),
)
def track_notice(
    request: Request, session: SessionDep, notice_id: str, reference: Reference, code: Code
) -> Response:
    attempt = tracking.Attempt(reference, code, address_of(request))
    return tracked_notice(session, attempt, notice_id)


def tracked_notice(session: SessionDep, attempt: tracking.Attempt, notice_id: str) -> Response:
    """A signed notice of the case `attempt` opens (the API's and the page's download)."""
    application = tracking.find(session, attempt)
    download = pdf_download(*notices.signed_pdf(session, application.id, notice_id))
    session.commit()
    return download


@router.get(
    "/api/v1/track/licence",
    response_class=Response,
    responses=_PDF | problem_responses(*_TRACK_ERRORS, LicenceNotFound),
)
def track_licence(
    request: Request, session: SessionDep, reference: Reference, code: Code
) -> Response:
    return tracked_licence(session, tracking.Attempt(reference, code, address_of(request)))


def tracked_licence(session: SessionDep, attempt: tracking.Attempt) -> Response:
    """The licence of the case `attempt` opens, once issued."""
    application = tracking.find(session, attempt)
    licence = licences.for_application(session, application.id)
    session.commit()
    if licence is None:
        raise LicenceNotFound("no licence has been issued for this application yet")
    return pdf_download(f"{licence.uscc}-v{licence.version}.pdf", licence.pdf)


class NoticeOut(BaseModel):
    id: str
    number: str
    kind: str
    seq: int
    created_at: datetime
    signed_at: datetime | None
    sha256: str | None
    pdf_url: str | None

    @classmethod
    def of(cls, notice: Notice) -> NoticeOut:
        url = f"/api/v1/applications/{notice.application_id}/notices/{notice.id}/pdf"
        return cls(
            id=notice.id,
            number=notice.number,
            kind=notice.kind,
            seq=notice.seq,
            created_at=notice.created_at,
            signed_at=notice.signed_at,
            sha256=notice.sha256,
            pdf_url=url if notice.pdf is not None else None,
        )


_ONE = (*AUTHENTICATION_ERRORS, ApplicationNotFound, RoleNotPermitted, PayloadInvalid)


@router.get(
    "/api/v1/applications/{application_id}/notices",
    tags=["applications"],
    response_model=list[NoticeOut],
    responses=problem_responses(*_ONE),
)
def list_notices(
    session: SessionDep, principal: PrincipalDep, application_id: str
) -> list[NoticeOut]:
    """The authority's notices of this application, oldest first (`pdf_url` once signed)."""
    application = applications.get_application(session, principal, application_id)
    out = [NoticeOut.of(n) for n in notices.for_application(session, application.id)]
    session.rollback()
    return out


@router.get(
    "/api/v1/applications/{application_id}/notices/{notice_id}/pdf",
    tags=["applications"],
    response_class=Response,
    responses=_PDF | problem_responses(*_ONE, NoticeNotFound),
)
def notice_pdf(
    session: SessionDep, principal: PrincipalDep, application_id: str, notice_id: str
) -> Response:
    application = applications.get_application(session, principal, application_id)
    download = pdf_download(*notices.signed_pdf(session, application.id, notice_id))
    session.rollback()
    return download


class TrackingCodeOut(BaseModel):
    tracking_reference: str
    tracking_code: str


@router.post(
    "/api/v1/applications/{application_id}/tracking-code",
    tags=["applications"],
    response_model=TrackingCodeOut,
    responses=problem_responses(*_ONE),
)
def new_tracking_code(
    session: SessionDep, principal: PrincipalDep, application_id: str
) -> TrackingCodeOut:
    """A new tracking code for the investor (the client that created the application only);
    the previous code stops working at once."""
    reference, code = applications.new_tracking_code(session, principal, application_id)
    return TrackingCodeOut(tracking_reference=reference, tracking_code=code)
