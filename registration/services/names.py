"""Company names: check, reserve for two months, hold for a submitted application, register.

Uniqueness is settled by the database: `company_name` has a unique index on (region, trade
key), so of two concurrent reservations or submissions of equivalent names exactly one insert
succeeds and the other gets a 409.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from registration.db import utcnow
from registration.domain.application import FieldError
from registration.domain.names import NAME_KEY_VERSION, ExistingName, NameCheck, check_name
from registration.errors import NameRefused, NameUnavailable, RoleNotPermitted
from registration.models import CompanyName, Licence
from registration.principal import Principal
from registration.services.unique import flush_or_conflict

RESERVED, HELD, REGISTERED = "reserved", "held", "registered"
RESERVATION_MONTHS = 2


def add_months(moment: datetime, months: int) -> datetime:
    """Same day `months` later, clamped to the month's end (31 Dec + 2 months = 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _taken(session: Session, region_code: str, name: str, now: datetime) -> list[CompanyName]:
    """Names in the region that could conflict with `name`, expired reservations excluded."""
    probe = check_name(name, [], region_code=region_code)
    if not probe.key:
        return []
    statement = select(CompanyName).where(
        CompanyName.region_code == region_code,
        or_(col(CompanyName.trade_key) == probe.trade_key, col(CompanyName.name_key) == probe.key),
    )
    return [row for row in session.exec(statement) if not _expired(row, now)]


def _expired(row: CompanyName, now: datetime) -> bool:
    return row.kind == RESERVED and row.expires_at is not None and row.expires_at <= now


def check(
    session: Session,
    region_code: str,
    name: str,
    *,
    ignore_applications: Collection[str] = (),
    ignore_client_reservation: str | None = None,
) -> NameCheck:
    taken = _taken(session, region_code, name, utcnow())
    return _check(taken, region_code, name, ignore_applications, ignore_client_reservation)


def _check(
    taken: list[CompanyName],
    region_code: str,
    name: str,
    ignore_applications: Collection[str],
    ignore_client_reservation: str | None,
) -> NameCheck:
    existing = [
        ExistingName(row.name, "reserved" if row.kind == RESERVED else "registered")
        for row in taken
        if row.application_id not in ignore_applications
        and not (
            ignore_client_reservation
            and row.kind == RESERVED
            and row.client_id == ignore_client_reservation
        )
    ]
    return check_name(name, existing, region_code=region_code)


def _refusal(result: NameCheck) -> Exception:
    errors = [FieldError("name", r.message, r.code) for r in result.reasons]
    if any(r.code in ("identical_name", "similar_name") for r in result.reasons):
        return NameUnavailable(
            "the name is taken or confusingly similar to a taken one",
            errors=errors,
            extra={"similar": result.similar},
        )
    return NameRefused("the name breaks the naming rules", errors=errors)


def reserve(session: Session, principal: Principal, region_code: str, name: str) -> CompanyName:
    if not principal.is_client:
        raise RoleNotPermitted("names are reserved by API clients for their applicants")
    result = check(session, region_code, name)
    if not result.available:
        raise _refusal(result)
    now = utcnow()
    row = CompanyName(
        id=str(uuid.uuid4()),
        region_code=region_code,
        name=name,
        name_key=result.key,
        trade_key=result.trade_key,
        key_version=NAME_KEY_VERSION,
        kind=RESERVED,
        client_id=principal.subject,
        created_at=now,
        expires_at=add_months(now, RESERVATION_MONTHS),
    )
    _insert(session, row, now)
    session.commit()
    return row


def _insert(session: Session, row: CompanyName, now: datetime) -> None:
    # An expired reservation still occupies the unique key: clear it in the same transaction.
    session.execute(
        delete(CompanyName).where(
            col(CompanyName.region_code) == row.region_code,
            col(CompanyName.trade_key) == row.trade_key,
            col(CompanyName.kind) == RESERVED,
            col(CompanyName.expires_at) <= now,
        )
    )
    session.add(row)
    flush_or_conflict(session, NameUnavailable("an equivalent name was taken a moment ago"))


def hold_for_application(
    session: Session,
    region_code: str,
    name: str,
    application_id: str,
    client_id: str,
    *,
    own_applications: Collection[str] = (),
) -> list[FieldError]:
    """At submission: consume the client's reservation of the name, or take the free name.

    `own_applications` (an amendment's earlier applications) may already hold the name as
    registered: then there is nothing to take. Returns itemised reasons if the name cannot be
    held; flushes but does not commit.
    """
    now = utcnow()
    session.execute(
        delete(CompanyName).where(
            col(CompanyName.application_id) == application_id, col(CompanyName.name) != name
        )
    )
    # One look at the names that could conflict serves the check and the choice of the row to
    # take (it was three identical queries, each re-deriving the name's keys).
    taken = _taken(session, region_code, name, now)
    result = _check(taken, region_code, name, [application_id, *own_applications], client_id)
    if not result.available:
        return [FieldError("company.name.zh", r.message, r.code) for r in result.reasons]
    if any(
        row.application_id in own_applications and row.trade_key == result.trade_key
        for row in taken
    ):
        return []
    mine = [
        row
        for row in taken
        if row.application_id == application_id
        or (
            row.kind == RESERVED
            and row.client_id == client_id
            and row.trade_key == result.trade_key
        )
    ]
    if mine:
        # Conditional: of two submissions consuming one reservation at once, one wins; the
        # other finds the row no longer an unassigned reservation and gets a 409.
        row = mine[0]
        consumed = session.execute(
            update(CompanyName)
            .where(
                col(CompanyName.id) == row.id,
                or_(
                    col(CompanyName.application_id) == application_id,
                    (col(CompanyName.kind) == RESERVED) & col(CompanyName.application_id).is_(None),
                ),
            )
            .values(kind=HELD, application_id=application_id, expires_at=None, name=name)
        )
        if consumed.rowcount != 1:  # type: ignore[attr-defined]
            raise NameUnavailable("the reserved name was taken a moment ago")
        return []
    _insert(
        session,
        CompanyName(
            id=str(uuid.uuid4()),
            region_code=region_code,
            name=name,
            name_key=result.key,
            trade_key=result.trade_key,
            key_version=NAME_KEY_VERSION,
            kind=HELD,
            client_id=client_id,
            application_id=application_id,
            created_at=now,
        ),
        now,
    )
    return []


def release_for_application(session: Session, application_id: str) -> None:
    """A withdrawn or rejected application frees its name."""
    session.execute(
        delete(CompanyName).where(
            col(CompanyName.application_id) == application_id, col(CompanyName.kind) == HELD
        )
    )


def register_for_application(
    session: Session, application_id: str, replaces: Collection[str] = ()
) -> None:
    """An issued licence makes its held name registered; an amendment that took a new name
    frees the name its earlier applications registered."""
    statement = select(CompanyName).where(CompanyName.application_id == application_id)
    held = list(session.exec(statement))
    for row in held:
        row.kind = REGISTERED
        session.add(row)
    if held and replaces:
        session.execute(
            delete(CompanyName).where(
                col(CompanyName.application_id).in_(list(replaces)),
                col(CompanyName.kind) == REGISTERED,
            )
        )


def applications_of_licence(session: Session, uscc: str | None) -> list[str]:
    """The applications that produced the versions of licence `uscc` (none for a new company)."""
    if uscc is None:
        return []
    statement = select(Licence.application_id).where(Licence.uscc == uscc)
    return list(session.exec(statement))
