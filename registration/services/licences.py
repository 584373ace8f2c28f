"""Reading licences: public status for anyone, the PDF for those entitled to it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from registration.db import utcnow
from registration.domain.application import ApplicationPayload
from registration.domain.deregistration import FEED_LICENCE_REVOKED, DeregistrationStatus
from registration.domain.licence_lifecycle import (
    LicenceAction,
    LicenceStatus,
    LicenceTransitionNotAllowed,
    allowed_actions,
    guard,
)
from registration.domain.workflow import OFFICER_ROLES, Role
from registration.errors import (
    AmendmentBeingIssued,
    AmendmentInProgress,
    ConcurrentModification,
    DeregistrationPending,
    LicenceNotActive,
    LicenceNotFound,
    RoleNotPermitted,
)
from registration.models import Application, Deregistration, Licence, LicenceEvent
from registration.principal import SYSTEM, Principal
from registration.services import applications, feed


def _versions(session: Session, uscc: str) -> list[Licence]:
    statement = select(Licence).where(Licence.uscc == uscc.upper()).order_by(col(Licence.version))
    return list(session.exec(statement))


def public_status(
    session: Session, uscc: str, version: int | None
) -> tuple[Licence, list[Licence]]:
    versions = _versions(session, uscc)
    chosen = [x for x in versions if version is None or x.version == version]
    if not chosen:
        raise LicenceNotFound(f"no licence {uscc}" + (f" version {version}" if version else ""))
    return chosen[-1], versions


def pdf_for(
    session: Session,
    principal: Principal,
    uscc: str,
    version: int | None,
    *,
    entitled: bool = False,
) -> Licence:
    licence, _ = public_status(session, uscc, version)
    if entitled:  # an attested legal representative (`company_access`)
        return licence
    # Auditors read the audit log, not the licence's personal data (DESIGN.md §5).
    entitled = principal.role in OFFICER_ROLES - {Role.AUDITOR} or (
        principal.is_client and principal.subject == licence.client_id
    )
    if not entitled:
        # Same answer as a missing licence: the PDF (with personal data) is not public.
        raise LicenceNotFound(f"no licence {uscc} available to you")
    return licence


def licence_facts(licence: Licence) -> dict[str, object]:
    """What the feed says of a licence: only what the licence itself shows."""
    return {
        "uscc": licence.uscc,
        "version": licence.version,
        "company_name_zh": licence.company_name_zh,
        "issued_at": licence.issued_at.isoformat(),
    }


def for_application(session: Session, application_id: str) -> Licence | None:
    return session.exec(select(Licence).where(Licence.application_id == application_id)).first()


def revoke(session: Session, principal: Principal, uscc: str, reason: str) -> Licence:
    """Revoke the licence in force. The signed PDF is never touched: verification reports it."""
    if principal.role is not Role.REGISTRAR_ADMIN:
        raise RoleNotPermitted("only the registrar administration revokes licences")
    versions = _versions(session, uscc)
    if not versions:
        raise LicenceNotFound(f"no licence {uscc}")
    current = versions[-1]
    not_active = LicenceNotActive(
        f"licence {uscc} is {current.status}, not active",
        extra={"current_status": current.status},
    )
    # Checked before the amendment below, which only matters for a licence that can be revoked.
    if LicenceAction.REVOKE not in allowed_actions(current.status):
        raise not_active
    being_issued = session.exec(
        select(Application.id).where(
            Application.amends_uscc == current.uscc, Application.status == "approved"
        )
    ).first()
    if being_issued is not None:
        # Its version n+1 is being signed right now; revoke that one in a moment instead.
        raise AmendmentBeingIssued(
            f"amendment {being_issued} of licence {uscc} is being issued; retry shortly",
            extra={"application_id": being_issued},
        )
    now = utcnow()
    try:
        _leave(session, current, LicenceAction.REVOKE, principal, reason, now)
    except LicenceTransitionNotAllowed:
        raise not_active from None
    feed.publish(
        session,
        FEED_LICENCE_REVOKED,
        current.uscc,
        {**licence_facts(current), "reason": reason},
        now,
    )
    session.commit()
    session.refresh(current)
    return current


OPEN_STATUSES = ("draft", "submitted", "returned", "accepted", "approved")


def start_amendment(
    session: Session,
    principal: Principal,
    uscc: str,
    payload: ApplicationPayload,
    idempotency_key: str | None,
    *,
    entitled: bool = False,
    company_channel: str | None = None,
) -> Application:
    """A change to a registered company: an application whose approval issues version n+1 of
    the same licence (same USCC) and supersedes the one in force. `entitled`: the caller
    proved it acts for the company (`company_access`), whatever client registered it."""
    versions = _versions(session, uscc)
    owner = bool(versions) and principal.is_client and versions[-1].client_id == principal.subject
    if not versions or not (owner or entitled):
        raise LicenceNotFound(f"no licence {uscc} of yours to amend")
    # Lock the licence in force: two concurrent amendment requests queue here, and the second
    # then sees the first one's open application.
    current = session.exec(
        select(Licence).where(Licence.id == versions[-1].id).with_for_update()
    ).one()
    if current.status is not LicenceStatus.ACTIVE:
        raise LicenceNotActive(
            f"licence {uscc} is {current.status}: only a licence in force can be amended",
            extra={"current_status": current.status},
        )
    deregistering = session.exec(
        select(Deregistration.id).where(
            Deregistration.uscc == current.uscc,
            Deregistration.status == DeregistrationStatus.NOTICE,
        )
    ).first()
    if deregistering is not None:
        raise DeregistrationPending(
            f"licence {uscc} is being deregistered; withdraw that first",
            extra={"deregistration_id": deregistering},
        )
    pending = session.exec(
        select(Application.id).where(
            Application.amends_uscc == current.uscc, col(Application.status).in_(OPEN_STATUSES)
        )
    ).first()
    if pending is not None:
        raise AmendmentInProgress(
            f"amendment {pending} of licence {uscc} is still open",
            extra={"application_id": pending},
        )
    return applications.create_application(
        session,
        principal,
        payload,
        idempotency_key,
        amends_uscc=current.uscc,
        company_channel=company_channel,
    )


def supersede(session: Session, uscc: str, by_version: int, at: datetime) -> list[str]:
    """Mark the version in force superseded by `by_version`; returns the earlier versions'
    application ids. A licence revoked meanwhile is not amended (409)."""
    earlier = [x for x in _versions(session, uscc) if x.version < by_version]
    gone = LicenceNotActive(f"licence {uscc} is no longer in force")
    if not earlier:
        raise gone
    reason = f"superseded by version {by_version}"
    try:
        _leave(session, earlier[-1], LicenceAction.SUPERSEDE, SYSTEM, reason, at)
    except LicenceTransitionNotAllowed:
        raise gone from None
    return [x.application_id for x in earlier]


def _leave(
    session: Session,
    licence: Licence,
    action: LicenceAction,
    principal: Principal,
    reason: str,
    at: datetime,
) -> None:
    """The one way a licence changes status: the guard on the status read, a conditional UPDATE
    on that same status (of a revocation and an amendment racing, exactly one wins) and its
    event, in the caller's transaction. Raises LicenceTransitionNotAllowed, changing nothing."""
    source = licence.status
    target = guard(source, action)
    result = session.execute(
        update(Licence)
        .where(col(Licence.id) == licence.id, col(Licence.status) == source)
        .values(status=target, status_reason=reason, status_changed_at=at)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentModification(f"licence {licence.uscc} changed meanwhile")
    session.add(
        LicenceEvent(
            licence_id=licence.id,
            action=action,
            from_status=source,
            to_status=target,
            actor=principal.subject,
            role=principal.role.value,
            reason=reason,
            at=at,
        )
    )


def deregister(
    session: Session, principal: Principal, uscc: str, reason: str, at: datetime
) -> Licence:
    """The company is deregistered: its licence in force leaves `active` for good, through the
    lifecycle table, in the caller's transaction (not committed)."""
    versions = _versions(session, uscc)
    if not versions:
        raise LicenceNotFound(f"no licence {uscc}")
    current = versions[-1]
    try:
        _leave(session, current, LicenceAction.DEREGISTER, principal, reason, at)
    except LicenceTransitionNotAllowed:
        raise LicenceNotActive(
            f"licence {uscc} is {current.status}, not active",
            extra={"current_status": current.status},
        ) from None
    return current


def current_licence(session: Session, uscc: str) -> Licence:
    versions = _versions(session, uscc)
    if not versions:
        raise LicenceNotFound(f"no licence {uscc}")
    return versions[-1]


def latest_version(session: Session, uscc: str) -> int:
    versions = _versions(session, uscc)
    if not versions:
        raise LicenceNotFound(f"no licence {uscc}")
    return versions[-1].version


def history(session: Session, uscc: str) -> list[LicenceEvent]:
    """Every lifecycle event of every version of the licence, oldest first."""
    ids = [licence.id for licence in _versions(session, uscc)]
    statement = (
        select(LicenceEvent)
        .where(col(LicenceEvent.licence_id).in_(ids))
        .order_by(col(LicenceEvent.at), col(LicenceEvent.id))
    )
    return list(session.exec(statement))
