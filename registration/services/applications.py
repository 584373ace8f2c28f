"""Application use cases: create, edit, attach documents, and every workflow action.

Each public function is one use case and one transaction. Workflow steps go through
`domain.workflow.guard`; the status change and its event are written together, with a
conditional UPDATE on `revision` so that of two concurrent steps exactly one wins.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, Final

import pikepdf
from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from registration.changes import APPLICATION_CHANGED, ISSUANCE_DUE, notify
from registration.clock import china_today
from registration.db import utcnow
from registration.domain import attestation, catalogue, return_reasons
from registration.domain.application import (
    ApplicationPayload,
    FieldError,
    check_consistency,
    field_path,
    merge_findings,
    raw_findings,
)
from registration.domain.checks import CheckReport, instant_ineligibility, run_automatic_checks
from registration.domain.licence_lifecycle import LicenceStatus
from registration.domain.workflow import (
    EDITABLE_STATUSES,
    OFFICER_ROLES,
    Action,
    Role,
    Status,
    guard,
)
from registration.errors import (
    ApplicationNotFound,
    CategoryNotPermitted,
    ClientReferenceTaken,
    ConcurrentModification,
    DocumentNotFound,
    EncryptedPdf,
    LicenceNotActive,
    MalformedPdf,
    NotAPdf,
    NotEditable,
    PayloadInvalid,
    PayloadTooLarge,
    RoleNotPermitted,
    SeparationOfDuties,
    SubmissionChecksFailed,
    TooManyDocuments,
)
from registration.issuance.content import printability_errors
from registration.models import (
    Application,
    ApplicationDocument,
    ApplicationEvent,
    IdentityAttestation,
    IssuanceJob,
    Licence,
)
from registration.principal import SYSTEM, Principal
from registration.services import mail, names, notices, tracking, webhooks

DOCUMENT_KINDS = frozenset({"articles_of_association", "other"})
MAX_DOCUMENTS = 10
DEFAULT_REGION = "441900"


def validation_errors(error: ValidationError, prefix: str = "") -> list[FieldError]:
    """Pydantic's errors as our field errors, with paths like `shareholders[0].share_percent`."""
    return [
        FieldError(field_path(item["loc"], prefix), item["msg"], item["type"])
        for item in error.errors()
    ]


def parse_payload(data: Any) -> ApplicationPayload:
    try:
        return ApplicationPayload.model_validate(data)
    except ValidationError as error:
        # With the catalogue's verdict on what did parse: every error in one round.
        errors = merge_findings(validation_errors(error), raw_findings(data))
        raise PayloadInvalid("the application does not match the schema", errors=errors) from None


def _require_client(principal: Principal) -> None:
    if not principal.is_client:
        raise RoleNotPermitted("only the submitting API client acts on an application's content")


def _check_payload(
    principal: Principal, payload: ApplicationPayload, channel: str | None = None
) -> None:
    """`channel`: the company's own channel, for an amendment filed through another channel's
    client by the company's attested legal representative (the company keeps its catalogue:
    type, currency, documents)."""
    errors = []
    expected = channel or principal.channel
    if payload.channel != expected:
        errors.append(
            FieldError(
                field="channel",
                code="channel_mismatch",
                message=f"this application is for channel {expected}",
            )
        )
    errors.extend(check_consistency(payload))
    if errors:
        raise PayloadInvalid("the application breaks the registration rules", errors=errors)


def create_application(
    session: Session,
    principal: Principal,
    payload: ApplicationPayload,
    idempotency_key: str | None,
    *,
    amends_uscc: str | None = None,
    company_channel: str | None = None,
    tracking_code: str | None = None,
    client_reference: str | None = None,
    application_id: str | None = None,
) -> Application:
    """A new draft with its tracking reference; `tracking_code` (from `tracking.new_code`) is
    the code the caller shows the investor — only its hash is stored."""
    _require_client(principal)
    _check_payload(principal, payload, company_channel)
    if client_reference is not None:
        _refuse_taken_reference(session, principal.subject, client_reference)
    now = utcnow()
    application = Application(
        id=application_id or str(uuid.uuid4()),
        client_id=principal.subject,
        channel=payload.channel,
        language=payload.language,
        status=Status.DRAFT.value,
        company_name_zh=payload.company.name.zh,
        company_type=payload.company.type,
        amends_uscc=amends_uscc,
        payload=payload.model_dump(mode="json", exclude_unset=True),
        revision=1,
        created_at=now,
        updated_at=now,
        client_reference=client_reference,
    )
    tracking.assign(application, tracking_code)
    session.add(application)
    session.add(
        _event(
            application.id,
            1,
            Action.CREATE,
            Status.DRAFT,
            Status.DRAFT,
            principal,
            [],
            idempotency_key,
            now,
        )
    )
    try:
        session.commit()
    except IntegrityError:
        # Two creates raced for one client reference: the loser names the winner.
        session.rollback()
        if client_reference is None:
            raise
        _refuse_taken_reference(session, principal.subject, client_reference)
        raise
    return application


def _refuse_taken_reference(session: Session, client_id: str, reference: str) -> None:
    existing = session.exec(
        select(Application.id).where(
            Application.client_id == client_id, Application.client_reference == reference
        )
    ).first()
    if existing is not None:
        raise ClientReferenceTaken(
            f"application {existing} already has client reference {reference!r}",
            extra={"application_id": existing},
        )


def list_own(
    session: Session,
    principal: Principal,
    *,
    client_reference: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    limit: int = 50,
) -> list[Application]:
    """The calling client's applications, newest first (`created_before` pages back)."""
    _require_client(principal)
    statement = select(Application).where(Application.client_id == principal.subject)
    if client_reference is not None:
        statement = statement.where(Application.client_reference == client_reference)
    if created_after is not None:
        statement = statement.where(col(Application.created_at) > created_after)
    if created_before is not None:
        statement = statement.where(col(Application.created_at) < created_before)
    statement = statement.order_by(col(Application.created_at).desc(), col(Application.id))
    return list(session.exec(statement.limit(limit)))


# DESIGN.md §5: auditors read the audit log (events), not the applications' personal data.
CONTENT_READERS = (OFFICER_ROLES - {Role.AUDITOR}) | {Role.SYSTEM}
AUDIT_READERS = CONTENT_READERS | {Role.AUDITOR}


def get_application(
    session: Session,
    principal: Principal,
    application_id: str,
    *,
    readers: frozenset[Role] = CONTENT_READERS,
) -> Application:
    application = session.get(Application, application_id)
    # A client must not learn that another client's application exists: same 404 either way.
    if application is None or (principal.is_client and application.client_id != principal.subject):
        raise ApplicationNotFound(f"no application {application_id}")
    if not principal.is_client and principal.role not in readers:
        raise RoleNotPermitted(f"role {principal.role} may not read this")
    if not _visible_to_officer(principal, application):
        raise ApplicationNotFound(f"no application {application_id}")
    return application


def _visible_to_officer(principal: Principal, application: Application) -> bool:
    """A back office sees its own categories only, the front desk what was submitted (not the
    drafts banks are still preparing); others as their role allows."""
    if principal.role is Role.BACK_OFFICE:
        return application.category in principal.categories
    if principal.role is Role.FRONT_DESK:
        return application.status != Status.DRAFT.value
    return True


def document_content(
    session: Session, principal: Principal, application_id: str, document_id: str
) -> ApplicationDocument:
    """An uploaded document with its bytes, for the officers who may read the application."""
    if principal.is_client:
        raise RoleNotPermitted("documents are read by officers")
    get_application(session, principal, application_id)
    document = session.get(ApplicationDocument, document_id)
    if document is None or document.application_id != application_id:
        raise DocumentNotFound(f"no document {document_id} on application {application_id}")
    return document


def list_events(
    session: Session, principal: Principal, application_id: str
) -> list[ApplicationEvent]:
    get_application(session, principal, application_id, readers=AUDIT_READERS)
    statement = (
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == application_id)
        .order_by(col(ApplicationEvent.seq))
    )
    return list(session.exec(statement))


def list_documents(session: Session, application_id: str) -> list[ApplicationDocument]:
    """The documents' metadata; their content (up to the upload limit each) stays unloaded."""
    statement = (
        select(ApplicationDocument)
        .where(ApplicationDocument.application_id == application_id)
        .order_by(col(ApplicationDocument.uploaded_at))
        .options(defer(ApplicationDocument.content))  # type: ignore[arg-type]
    )
    return list(session.exec(statement))


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def update_application(
    session: Session,
    principal: Principal,
    application_id: str,
    patch: dict[str, Any],
    idempotency_key: str | None,
) -> Application:
    _require_client(principal)
    application = get_application(session, principal, application_id)
    _require_editable(application)
    payload = parse_payload(merge_patch(application.payload, patch))
    _check_payload(principal, payload, application.channel)
    status = Status(application.status)
    _record(
        session,
        application,
        Action.UPDATE,
        status,
        principal,
        [],
        idempotency_key,
        payload=payload.model_dump(mode="json", exclude_unset=True),
        language=payload.language,
        company_name_zh=payload.company.name.zh,
        company_type=payload.company.type,
    )
    session.commit()
    return application


def add_document(
    session: Session,
    principal: Principal,
    application_id: str,
    *,
    kind: str,
    filename: str,
    content: bytes,
    max_bytes: int,
    idempotency_key: str | None,
) -> ApplicationDocument:
    _require_client(principal)
    application = get_application(session, principal, application_id)
    _require_editable(application)
    if len(list_documents(session, application.id)) >= MAX_DOCUMENTS:
        raise TooManyDocuments(f"an application holds at most {MAX_DOCUMENTS} documents")
    if kind not in DOCUMENT_KINDS:
        raise PayloadInvalid(
            f"unknown document kind {kind!r}",
            errors=[
                FieldError("kind", f"one of {', '.join(sorted(DOCUMENT_KINDS))}", "unknown_kind")
            ],
        )
    if len(content) > max_bytes:
        raise PayloadTooLarge(f"documents are limited to {max_bytes} bytes")
    _require_pdf(content)
    now = utcnow()
    document = ApplicationDocument(
        id=str(uuid.uuid4()),
        application_id=application.id,
        kind=kind,
        filename=filename[:255] or "document.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by=principal.subject,
        uploaded_at=now,
    )
    session.add(document)
    reason = {"field": "documents", "message": f"{kind} {document.sha256}"}
    _record(
        session,
        application,
        Action.ATTACH_DOCUMENT,
        Status(application.status),
        principal,
        [reason],
        idempotency_key,
    )
    session.commit()
    return document


def _require_pdf(content: bytes) -> None:
    # A PDF may carry a few junk bytes before the header (ISO 32000-2 §7.5.2 tolerates 1024).
    if b"%PDF-" not in content[:1024]:
        raise NotAPdf("the upload is not a PDF")
    try:
        with pikepdf.open(io.BytesIO(content)) as pdf:
            if len(pdf.pages) == 0:
                raise MalformedPdf("the PDF has no pages")
            if pdf.is_encrypted:
                raise EncryptedPdf("encrypted PDFs cannot be archived")
    except pikepdf.PasswordError:
        raise EncryptedPdf("encrypted PDFs cannot be archived") from None
    except pikepdf.PdfError:
        raise MalformedPdf("the PDF is malformed") from None


def _require_editable(application: Application) -> None:
    if Status(application.status) not in EDITABLE_STATUSES:
        raise NotEditable(
            f"an application that is {application.status} cannot be changed",
            extra={"current_status": application.status},
        )


def perform(
    session: Session,
    principal: Principal,
    application_id: str,
    action: Action,
    reasons: Sequence[FieldError] = (),
    idempotency_key: str | None = None,
    *,
    region_code: str = DEFAULT_REGION,
) -> Application:
    """Apply one workflow action, with the checks that belong to it, in one transaction."""
    application = get_application(session, principal, application_id)
    status = Status(application.status)
    target = guard(status, action, principal.role, has_reasons=bool(reasons))
    # A catalogued reason keeps its code, so the investor reads it in their own language.
    reason_dicts = [
        {"field": r.field, "message": r.message}
        | ({"code": r.code} if r.code in return_reasons.BY_CODE else {})
        for r in reasons
    ]

    if action in (Action.SUBMIT, Action.RESUBMIT):
        _submit(session, application, action, principal, idempotency_key, region_code)
    elif action is Action.ACCEPT:
        _record(
            session,
            application,
            action,
            target,
            principal,
            reason_dicts,
            idempotency_key,
            accepted_by=principal.subject,
        )
    elif action in (Action.APPROVE, Action.REJECT, Action.RETURN):
        _require_category(principal, application)
        if (
            action is Action.APPROVE
            and principal.kind == "officer"
            and (application.accepted_by == principal.subject)
        ):
            raise SeparationOfDuties("the officer who accepted an application may not approve it")
        _record(session, application, action, target, principal, reason_dicts, idempotency_key)
    else:
        _record(session, application, action, target, principal, reason_dicts, idempotency_key)
    if target in (Status.WITHDRAWN, Status.REJECTED):
        names.release_for_application(session, application.id)
    session.commit()
    return application


def record_system_step(
    session: Session,
    application: Application,
    action: Action,
    target: Status,
    reasons: Sequence[dict[str, Any]] = (),
    *,
    licence_uscc: str | None = None,
) -> None:
    """A step the system takes (issuance, withdrawing a stale case), guarded like any other;
    not committed here. `licence_uscc`: the code of the licence the step issued, for the
    bank's webhook."""
    expected_target = guard(
        Status(application.status), action, SYSTEM.role, has_reasons=bool(reasons)
    )
    if expected_target is not target:
        raise ValueError(f"{action} leads to {expected_target}, not {target}")
    _record(
        session, application, action, target, SYSTEM, list(reasons), None, licence_uscc=licence_uscc
    )


def _require_licence_in_force(session: Session, uscc: str) -> None:
    """An amendment of a licence revoked meanwhile must not be approved (nor then issued)."""
    statement = select(Licence).where(Licence.uscc == uscc).order_by(col(Licence.version).desc())
    current = session.exec(statement).first()
    if current is None or current.status is not LicenceStatus.ACTIVE:
        raise LicenceNotActive(
            f"licence {uscc} is no longer in force: this amendment cannot be approved"
        )


def _require_category(principal: Principal, application: Application) -> None:
    if principal.role is Role.BACK_OFFICE and application.category not in principal.categories:
        raise CategoryNotPermitted(
            f"this application is for back-office category {application.category}"
        )


def _submit(
    session: Session,
    application: Application,
    action: Action,
    principal: Principal,
    idempotency_key: str | None,
    region_code: str,
) -> None:
    payload, report, unattested, own = submission_findings(session, application, region_code)
    name_errors = (
        []
        if report.errors or unattested
        else names.hold_for_application(
            session,
            region_code,
            payload.company.name.zh,
            application.id,
            application.client_id,
            own_applications=own,
        )
    )
    if report.errors or unattested or name_errors:
        raise SubmissionChecksFailed(
            "the application cannot be submitted until these are fixed",
            errors=[*report.errors, *unattested, *name_errors],
        )
    category = catalogue.approval_category(payload.company.business_scope)
    flags = [asdict(flag) for flag in report.flags]
    _record(
        session,
        application,
        action,
        Status.SUBMITTED,
        principal,
        [],
        idempotency_key,
        category=category,
        flags=flags,
        submitted_at=utcnow(),
        accepted_by=None,
    )
    if not instant_ineligibility(payload, report):
        # Instant path: the system accepts and approves; each step is its own logged event.
        _record(
            session,
            application,
            Action.ACCEPT,
            Status.ACCEPTED,
            SYSTEM,
            [],
            None,
            accepted_by=SYSTEM.subject,
        )
        _record(session, application, Action.APPROVE, Status.APPROVED, SYSTEM, [], None)


def submission_findings(
    session: Session, application: Application, region_code: str
) -> tuple[ApplicationPayload, CheckReport, list[FieldError], list[str]]:
    """Every check submission runs, without holding the name or changing anything: the
    payload, the automatic checks (completeness, identifiers, name, printability), the
    attestation errors, and the applications whose name this one may share (its own)."""
    payload = parse_payload(application.payload)
    kinds = {d.kind for d in list_documents(session, application.id)}
    # An amendment may keep the company's own registered name.
    own = [application.id, *names.applications_of_licence(session, application.amends_uscc)]
    name_check = names.check(
        session,
        region_code,
        payload.company.name.zh,
        ignore_applications=own,
        ignore_client_reservation=application.client_id,
    )
    report = run_automatic_checks(payload, kinds, name_check, china_today())
    report.errors.extend(printability_errors(payload, china_today()))
    # DESIGN.md §6: the bank's identity check of each person who must be verified.
    unattested = _attestation_errors(session, application.id, payload)
    return payload, report, unattested, own


def _attestation_errors(
    session: Session, application_id: str, payload: ApplicationPayload
) -> list[FieldError]:
    """`attestation_missing` / `attested_person_mismatch` for each person not attested as the
    application is now (the match is re-run from the stored attestations: an edit voids one)."""
    rows = session.exec(
        select(IdentityAttestation).where(IdentityAttestation.application_id == application_id)
    )
    facts = [
        attestation.AttestedFacts(
            r.document_type, r.document_key, r.person_name, r.birth_date, r.nationality
        )
        for r in rows
    ]
    return attestation.attestation_errors(payload, facts)


def _enter_approved(session: Session, application: Application, now: datetime) -> None:
    if application.amends_uscc is not None:
        _require_licence_in_force(session, application.amends_uscc)
    # The issuance job is born with the approval, in the same transaction: no approved
    # application can be left without a job to issue its licence.
    session.add(IssuanceJob(application_id=application.id, created_at=now, not_before=now))
    notify(session, ISSUANCE_DUE)


# What entering a status does besides the step itself, in the step's transaction. Every step
# also appends its event, wakes `Prefer: wait` requests (NOTIFY on commit) and, when the status
# changes, queues the client's webhook (transactional outbox) — see `_record`.
ON_ENTER: Final[dict[Status, Callable[[Session, Application, datetime], None]]] = {
    Status.APPROVED: _enter_approved,
}


def _record(
    session: Session,
    application: Application,
    action: Action,
    target: Status,
    principal: Principal,
    reasons: list[dict[str, Any]],
    idempotency_key: str | None,
    *,
    licence_uscc: str | None = None,
    **values: Any,
) -> None:
    now = utcnow()
    expected = application.revision
    source = Status(application.status)
    changes = {"status": target.value, "revision": expected + 1, "updated_at": now, **values}
    result = session.execute(
        update(Application)
        .where(col(Application.id) == application.id, col(Application.revision) == expected)
        .values(**changes)
        # The loop below sets the new values on `application`, the session's only copy of
        # the row: SQLAlchemy's own synchronisation ("evaluate") compiled the WHERE clause
        # into a Python evaluator and matched it against the session at every step.
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentModification(
            "the application was changed by someone else; reload and try again"
        )
    for key, value in changes.items():
        set_committed_value(application, key, value)
    if target in ON_ENTER:
        ON_ENTER[target](session, application, now)
    session.add(
        _event(
            application.id,
            expected + 1,
            action,
            source,
            target,
            principal,
            reasons,
            idempotency_key,
            now,
        )
    )
    notify(session, APPLICATION_CHANGED, application.id)
    if source is not target:
        # The authority's written notice of the step (issue 12), linked from the webhook; and
        # the investor's e-mail: all in the step's transaction.
        notice = notices.queue(
            session,
            application,
            expected + 1,
            target.value,
            reasons,
            now,
            by_system=principal.role is Role.SYSTEM,
        )
        webhooks.queue_status_change(
            session,
            application,
            expected + 1,
            source.value,
            target.value,
            reasons,
            now,
            notice_id=notice.id if notice else None,
            licence_uscc=licence_uscc,
        )
        mail.queue_status_change(session, application, expected + 1, target.value, reasons, now)


def _event(
    application_id: str,
    seq: int,
    action: Action,
    source: Status,
    target: Status,
    principal: Principal,
    reasons: list[dict[str, Any]],
    idempotency_key: str | None,
    at: datetime,
) -> ApplicationEvent:
    return ApplicationEvent(
        application_id=application_id,
        seq=seq,
        action=action.value,
        from_status=source.value,
        to_status=target.value,
        actor=principal.subject,
        role=principal.role.value,
        reasons=reasons,
        idempotency_key=idempotency_key,
        at=at,
    )


def new_tracking_code(
    session: Session, principal: Principal, application_id: str
) -> tuple[str, str]:
    """A fresh tracking code for the application's own client; the old code stops working."""
    _require_client(principal)
    application = get_application(session, principal, application_id)
    if application.client_id != principal.subject:
        raise ApplicationNotFound(f"no application {application_id}")
    code = tracking.assign(application)
    session.add(application)
    session.commit()
    return tracking.display_reference(application.tracking_reference or ""), code
