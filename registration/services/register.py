"""The public register: find companies by USCC or name; only what their licence shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from registration.domain.deregistration import DeregistrationStatus
from registration.domain.register import QueryRefused, parse_query
from registration.errors import SearchQueryInvalid
from registration.models import Deregistration, Licence
from templates import LicenceDataError, read_licence_data

PAGE_SIZE_MAX = 50


@dataclass(frozen=True)
class Entry:
    licence: Licence
    printed: dict[str, Any] | None
    deregistration: Deregistration | None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(session: Session, query: str, page: int, size: int) -> tuple[list[Entry], int]:
    """The latest version of every licence matching `query`, by name then USCC, and the total."""
    try:
        kind, value = parse_query(query)
    except QueryRefused as error:
        raise SearchQueryInvalid(str(error)) from None
    latest = (
        select(Licence.uscc, func.max(Licence.version).label("version"))
        .group_by(col(Licence.uscc))
        .subquery()
    )
    statement = select(Licence).join(
        latest, (col(Licence.uscc) == latest.c.uscc) & (col(Licence.version) == latest.c.version)
    )
    if kind == "uscc":
        statement = statement.where(Licence.uscc == value)
    else:
        pattern = f"%{_escape_like(value)}%"
        statement = statement.where(col(Licence.search_key).like(pattern, escape="\\"))
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = list(
        session.exec(
            statement.order_by(col(Licence.company_name_zh), col(Licence.uscc))
            .offset((page - 1) * size)
            .limit(size)
        )
    )
    return [Entry(x, printed(x), open_deregistration(session, x.uscc)) for x in rows], int(total)


def printed(licence: Licence) -> dict[str, Any] | None:
    """The printed fields from the signed PDF's own data: all of it is on the licence."""
    try:
        return read_licence_data(licence.pdf)
    except LicenceDataError:
        return None


def open_deregistration(session: Session, uscc: str) -> Deregistration | None:
    return session.exec(
        select(Deregistration).where(
            Deregistration.uscc == uscc, Deregistration.status == DeregistrationStatus.NOTICE
        )
    ).first()
