"""Reading licences: public status for anyone, the PDF for those entitled to it."""

from __future__ import annotations

from sqlmodel import Session, col, select

from registration.domain.workflow import OFFICER_ROLES
from registration.errors import NotFound
from registration.models import Licence
from registration.principal import Principal


def _versions(session: Session, uscc: str) -> list[Licence]:
    statement = select(Licence).where(Licence.uscc == uscc.upper()).order_by(col(Licence.version))
    return list(session.exec(statement))


def public_status(
    session: Session, uscc: str, version: int | None
) -> tuple[Licence, list[Licence]]:
    versions = _versions(session, uscc)
    chosen = [x for x in versions if version is None or x.version == version]
    if not chosen:
        raise NotFound(
            f"no licence {uscc}" + (f" version {version}" if version else ""),
            code="licence_not_found",
        )
    return chosen[-1], versions


def pdf_for(session: Session, principal: Principal, uscc: str, version: int | None) -> Licence:
    licence, _ = public_status(session, uscc, version)
    entitled = principal.role in OFFICER_ROLES or (
        principal.is_client and principal.subject == licence.client_id
    )
    if not entitled:
        # Same answer as a missing licence: the PDF (with personal data) is not public.
        raise NotFound(f"no licence {uscc} available to you", code="licence_not_found")
    return licence


def for_application(session: Session, application_id: str) -> Licence | None:
    return session.exec(select(Licence).where(Licence.application_id == application_id)).first()
