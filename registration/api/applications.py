"""/api/v1/applications: integrators create and submit; officers accept, return, approve, reject."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import (
    APIRouter,
    Body,
    File,
    Form,
    Header,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from starlette.concurrency import run_in_threadpool

from registration.api.deps import (
    AUTHENTICATION_ERRORS,
    IDEMPOTENCY_ERRORS,
    IdempotencyKey,
    PrincipalDep,
    SessionDep,
    SettingsDep,
)
from registration.api.overload import OVERLOAD_ERRORS, RETRY_AFTER_SECONDS, slot_of
from registration.api.problems import problem_responses
from registration.api.schemas import (
    ApplicationOut,
    ApplicationSummary,
    DocumentOut,
    EventOut,
    ReasonsIn,
)
from registration.api.waiting import RevisionWatcher, requested_wait
from registration.domain.application import ApplicationPayload
from registration.domain.workflow import Action, ReasonsRequired, Status, TransitionNotAllowed
from registration.errors import (
    ApplicationNotFound,
    CategoryNotPermitted,
    ClientReferenceTaken,
    ConcurrentModification,
    DocumentNotFound,
    EncryptedPdf,
    LicenceNotActive,
    MalformedPdf,
    NameUnavailable,
    NotAPdf,
    NotEditable,
    PayloadInvalid,
    PayloadTooLarge,
    RoleNotPermitted,
    SeparationOfDuties,
    SubmissionChecksFailed,
    TooManyDocuments,
)
from registration.http import idempotency
from registration.http.idempotency import StoredResponse
from registration.models import Application
from registration.services import applications as service
from registration.services import licences, tracking

ClientReference = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        pattern=r"^[\x21-\x7e]+$",
        description="The client's own reference for the case (printable ASCII), unique per client",
    ),
]

router = APIRouter(
    prefix="/api/v1/applications",
    tags=["applications"],
    responses=problem_responses(*AUTHENTICATION_ERRORS, *OVERLOAD_ERRORS),
)
# What every route naming an application may answer: it is not there, or not yours to see.
_ONE = (ApplicationNotFound, RoleNotPermitted, PayloadInvalid)
_EDIT = (*_ONE, NotEditable, *IDEMPOTENCY_ERRORS)


def _out(
    session: SessionDep,
    application: Any,
    response: Response | None = None,
    *,
    created: bool = False,
) -> ApplicationOut:
    """The representation; with `response`, its ETag too (what `Prefer: wait` compares).
    A `created` application has no document and no licence: the database is not asked."""
    out = (
        ApplicationOut.of(application, [], None)
        if created
        else ApplicationOut.of(
            application,
            service.list_documents(session, application.id),
            licences.for_application(session, application.id),
        )
    )
    if response is not None:
        response.headers["ETag"] = etag_of(out)
    return out


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ApplicationOut,
    responses=problem_responses(
        RoleNotPermitted, PayloadInvalid, ClientReferenceTaken, *IDEMPOTENCY_ERRORS
    ),
)
def create_application(
    payload: ApplicationPayload,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    client_reference: ClientReference = None,
) -> ApplicationOut:
    """Create a draft application (bodies as in `shared/examples/application-*.json`).

    The response carries the investor's tracking reference and code (print or show both: the
    code is in no other response, and only its hash is kept; `POST …/tracking-code` issues a
    new one)."""
    code = tracking.new_code()
    application_id = str(uuid.uuid4())

    def created() -> StoredResponse:
        # The answer, rendered inside the create's commit (idempotency.respond_on_commit): a
        # retry after a lost response replays it, never 409 or a second application.
        row = session.get(Application, application_id)
        assert row is not None
        out = ApplicationOut.of(row, [], None)
        out.tracking_code = code
        body = json.dumps(
            out.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
        location = f"/api/v1/applications/{application_id}"
        headers = [
            ("content-type", "application/json"),
            ("location", location),
            ("etag", etag_of(out)),
        ]
        return StoredResponse(status.HTTP_201_CREATED, headers, body)

    idempotency.respond_on_commit(session, created)
    application = service.create_application(
        session,
        principal,
        payload,
        idempotency_key,
        tracking_code=code,
        client_reference=client_reference,
        application_id=application_id,
    )
    response.headers["Location"] = f"/api/v1/applications/{application.id}"
    out = _out(session, application, response, created=True)  # as a retry's replay has it
    out.tracking_code = code
    return out


@router.get(
    "",
    response_model=list[ApplicationSummary],
    responses=problem_responses(RoleNotPermitted, PayloadInvalid),
)
def list_own_applications(
    session: SessionDep,
    principal: PrincipalDep,
    client_reference: ClientReference = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ApplicationSummary]:
    """The calling client's own applications, newest first: by its `client_reference`, or by
    creation time (page back with `created_before` = the last row's `created_at`). How a
    terminal finds an application whose create response it never read."""
    rows = service.list_own(
        session,
        principal,
        client_reference=client_reference,
        created_after=created_after,
        created_before=created_before,
        limit=limit,
    )
    out = [ApplicationSummary.of(row) for row in rows]
    session.rollback()
    return out


def etag_of(application: ApplicationOut) -> str:
    """Changes with every workflow step (the revision) and with the licence's status."""
    licence = application.licence
    tail = f"-{licence.version}-{licence.status}" if licence else ""
    return f'"{application.revision}{tail}"'


def _read(session: SessionDep, principal: PrincipalDep, application_id: str) -> ApplicationOut:
    out = _out(session, service.get_application(session, principal, application_id))
    session.rollback()  # a read: end the transaction, the connection goes back to the pool
    return out


@router.get(
    "/{application_id}",
    response_model=ApplicationOut,
    responses={
        304: {"description": "`If-None-Match` named the current ETag (after any wait)"},
        **problem_responses(*_ONE),
    },
)
async def get_application(
    request: Request,
    response: Response,
    application_id: str,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    prefer: Annotated[
        list[str] | None,
        Header(
            description="`wait=N` (RFC 7240): answer when the application changes, or after "
            "N seconds (at most `BIZREG_MAX_WAIT_SECONDS`)"
        ),
    ] = None,
    if_none_match: Annotated[
        str | None,
        Header(description="The ETag you hold: with `wait`, wait for a change from it"),
    ] = None,
) -> Any:
    """The application. With `Prefer: wait=N` the answer waits until the application's
    status changes — from the version named by `If-None-Match`, or else from the one at
    arrival — or N seconds pass; a terminal learns of its licence without polling."""
    current = await run_in_threadpool(_read, session, principal, application_id)
    wait = requested_wait(prefer or [], settings.max_wait_seconds)
    if wait:
        unchanged = if_none_match is None or if_none_match.strip() == etag_of(current)
        if unchanged:
            await _wait_for_change(request, current, wait)
            current = await run_in_threadpool(_read, session, principal, application_id)
        response.headers["Preference-Applied"] = f"wait={wait}"
    etag = etag_of(current)
    if if_none_match is not None and if_none_match.strip() == etag:
        return Response(status_code=304, headers={"ETag": etag, **response.headers})
    response.headers["ETag"] = etag
    return current


async def _wait_for_change(request: Request, seen: ApplicationOut, seconds: int) -> None:
    """Park the request without a connection, a thread or a slot of the request cap."""
    slot = slot_of(request)
    if slot is not None:
        slot.release()
    watcher: RevisionWatcher = request.app.state.revision_watcher
    await watcher.wait_for_change(seen.id, seen.revision, seconds)
    if slot is not None:
        await slot.reacquire(timeout=RETRY_AFTER_SECONDS * 5)


@router.patch(
    "/{application_id}", response_model=ApplicationOut, responses=problem_responses(*_EDIT)
)
def update_application(
    application_id: str,
    patch: Annotated[
        dict[str, Any], Body(description="RFC 7396 JSON Merge Patch of the application")
    ],
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationOut:
    """Edit a draft or returned application; the result is validated as a whole."""
    application = service.update_application(
        session, principal, application_id, patch, idempotency_key
    )
    return _out(session, application, response)


@router.post(
    "/{application_id}/documents",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentOut,
    responses=problem_responses(
        *_EDIT, TooManyDocuments, NotAPdf, MalformedPdf, EncryptedPdf, PayloadTooLarge
    ),
)
async def add_document(
    application_id: str,
    file: Annotated[UploadFile, File(description="A PDF, e.g. the articles of association")],
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    kind: Annotated[str, Form()] = "articles_of_association",
    idempotency_key: IdempotencyKey = None,
) -> DocumentOut:
    content = await file.read(settings.max_upload_bytes + 1)
    if len(content) > settings.max_upload_bytes:
        raise PayloadTooLarge(f"documents are limited to {settings.max_upload_bytes} bytes")
    document = service.add_document(
        session,
        principal,
        application_id,
        kind=kind,
        filename=file.filename or "",
        content=content,
        max_bytes=settings.max_upload_bytes,
        idempotency_key=idempotency_key,
    )
    return DocumentOut.of(document)


@router.get(
    "/{application_id}/documents/{document_id}/content",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The document's bytes"},
        **problem_responses(*_ONE, DocumentNotFound),
    },
)
def document_content(
    application_id: str, document_id: str, session: SessionDep, principal: PrincipalDep
) -> Response:
    """An uploaded document, for officers who may read the application (a back office: its
    categories only). Served so that a browser shows it but never runs anything in it."""
    document = service.document_content(session, principal, application_id, document_id)
    return document_response(document)


def document_response(document: Any) -> Response:
    return Response(
        document.content,
        media_type=document.content_type,
        headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(document.filename)}",
            "X-Content-Type-Options": "nosniff",
            # Opened directly, the document can run nothing and reach nothing.
            "Content-Security-Policy": "sandbox; default-src 'none'; frame-ancestors 'self'",
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/{application_id}/events", response_model=list[EventOut], responses=problem_responses(*_ONE)
)
def list_events(
    application_id: str, session: SessionDep, principal: PrincipalDep
) -> list[EventOut]:
    return [EventOut.of(e) for e in service.list_events(session, principal, application_id)]


def _action_endpoint(action: Action, summary: str) -> None:
    def endpoint(
        request: Request,
        response: Response,
        application_id: str,
        session: SessionDep,
        principal: PrincipalDep,
        settings: SettingsDep,
        body: Annotated[ReasonsIn | None, Body()] = None,
        idempotency_key: IdempotencyKey = None,
    ) -> ApplicationOut:
        reasons = [r.as_field_error() for r in body.reasons] if body else []
        application = service.perform(
            session,
            principal,
            application_id,
            action,
            reasons,
            idempotency_key,
            region_code=settings.region_code,
        )
        if application.status == Status.APPROVED.value:
            worker = getattr(request.app.state, "issuance_worker", None)
            if worker is not None:
                worker.wake()
        return _out(session, application, response)

    endpoint.__name__ = f"{action.value}_application"
    router.add_api_route(
        f"/{{application_id}}/{action.value}",
        endpoint,
        methods=["POST"],
        response_model=ApplicationOut,
        summary=summary,
        responses=problem_responses(
            *_ONE,
            TransitionNotAllowed,
            ReasonsRequired,
            SeparationOfDuties,
            CategoryNotPermitted,
            SubmissionChecksFailed,
            NameUnavailable,
            LicenceNotActive,
            ConcurrentModification,
            *IDEMPOTENCY_ERRORS,
        ),
    )


for _action, _summary in [
    (Action.SUBMIT, "Submit a draft (runs the automatic checks; may be approved instantly)"),
    (Action.RESUBMIT, "Resubmit a returned application after edits"),
    (Action.WITHDRAW, "Withdraw an application that is not yet decided"),
    (Action.ACCEPT, "Front desk: accept a complete application"),
    (Action.RETURN, "Front desk / back office: return with itemised reasons"),
    (Action.APPROVE, "Back office: approve (not by the officer who accepted)"),
    (Action.REJECT, "Back office: reject with itemised reasons"),
]:
    _action_endpoint(_action, _summary)
