"""Revocation with four eyes: a registrar proposes it with a reason, a second registrar confirms
(the licence is revoked then, by the confirming registrar, with the proposed reason) or either
cancels. One pending proposal per licence; the proposer can never confirm their own."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from registration.domain.workflow import Role
from registration.errors import (
    LicenceNotFound,
    RevocationPending,
    RoleNotPermitted,
    SeparationOfDuties,
)
from registration.models import Licence, RevocationRequest
from registration.principal import Principal
from registration.services import ledger
from registration.services import licences as licence_service

CONFIRMED = "confirmed"
CANCELLED = "cancelled"


def _require_registrar(principal: Principal) -> None:
    if principal.role is not Role.REGISTRAR_ADMIN:
        raise RoleNotPermitted("revocations are proposed and confirmed by registrars")


def pending(session: Session, uscc: str) -> RevocationRequest | None:
    statement = select(RevocationRequest).where(
        RevocationRequest.uscc == uscc, col(RevocationRequest.outcome).is_(None)
    )
    return session.exec(statement).first()


def propose(
    session: Session, principal: Principal, uscc: str, reason: str, now: datetime
) -> RevocationRequest:
    _require_registrar(principal)
    if session.exec(select(Licence.id).where(Licence.uscc == uscc)).first() is None:
        raise LicenceNotFound(f"no licence {uscc}")
    if pending(session, uscc) is not None:
        raise RevocationPending(f"a revocation of {uscc} is already waiting for confirmation")
    request = RevocationRequest(
        uscc=uscc, reason=reason, proposed_by=principal.subject, proposed_at=now
    )
    session.add(request)
    ledger.record_admin(
        session, "licence.revocation_proposed", f"licence:{uscc}", principal.subject
    )
    session.commit()
    return request


def confirm(session: Session, principal: Principal, uscc: str, now: datetime) -> RevocationRequest:
    """The second registrar: revokes the licence through the licence lifecycle."""
    _require_registrar(principal)
    request = _pending_locked(session, uscc)
    if request.proposed_by == principal.subject:
        raise SeparationOfDuties("a second registrar must confirm a revocation")
    request.outcome = CONFIRMED
    request.decided_by = principal.subject
    request.decided_at = now
    session.add(request)
    licence_service.revoke(session, principal, uscc, request.reason)  # commits both
    return request


def cancel(session: Session, principal: Principal, uscc: str, now: datetime) -> None:
    _require_registrar(principal)
    request = _pending_locked(session, uscc)
    request.outcome = CANCELLED
    request.decided_by = principal.subject
    request.decided_at = now
    session.add(request)
    ledger.record_admin(
        session, "licence.revocation_cancelled", f"licence:{uscc}", principal.subject
    )
    session.commit()


def _pending_locked(session: Session, uscc: str) -> RevocationRequest:
    statement = (
        select(RevocationRequest)
        .where(RevocationRequest.uscc == uscc, col(RevocationRequest.outcome).is_(None))
        .with_for_update()
    )
    request = session.exec(statement).first()
    if request is None:
        raise LicenceNotFound(f"no revocation of {uscc} is waiting for confirmation")
    return request
