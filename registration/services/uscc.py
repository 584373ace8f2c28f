"""Allocation of unified social credit codes (GB 32100-2015) for issued licences.

Code = `9` (market regulation) + `1` (enterprise) + region (GB/T 2260) + 8-character body +
GB 11714 organisation check character + GB 32100 check character. The body is `MA` followed by
the allocation sequence number in base 31 over the USCC alphabet, the pattern the market
regulation administration has used for new enterprises since 2015; it yields 31^6 (887 million)
codes per region. The sequence is the autoincrement key of `uscc_allocation`: the database
hands each transaction its own number, so concurrent issuance never collides, and a committed
number is never reused, not even after its row is deleted. (PostgreSQL never hands out a
rolled-back number again; SQLite rolls its counter back with the transaction, which is harmless:
that code was never committed, so never issued.)
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session, select

from registration.db import utcnow
from registration.domain.identifiers import USCC_ALPHABET, compute_uscc
from registration.models import UsccAllocation

BODY_PREFIX = "MA"
_BODY_DIGITS = 6
CAPACITY = len(USCC_ALPHABET) ** _BODY_DIGITS


class UsccSpaceExhausted(RuntimeError):
    pass


def body_for(sequence: int) -> str:
    if not 0 < sequence < CAPACITY:
        raise UsccSpaceExhausted(f"sequence {sequence} is outside 1..{CAPACITY - 1}")
    digits = []
    for _ in range(_BODY_DIGITS):
        sequence, remainder = divmod(sequence, len(USCC_ALPHABET))
        digits.append(USCC_ALPHABET[remainder])
    return BODY_PREFIX + "".join(reversed(digits))


def allocate_uscc(session: Session, region_code: str, application_id: str | None) -> str:
    """Allocate the next code within the caller's transaction (not committed, nor flushed).

    An application gets at most one code (unique `application_id`): asking again returns it.
    """
    if application_id is not None:
        existing = session.exec(
            select(UsccAllocation).where(UsccAllocation.application_id == application_id)
        ).first()
        if existing is not None and existing.uscc is not None:
            return existing.uscc
    row = UsccAllocation(
        region_code=region_code, application_id=application_id, allocated_at=utcnow()
    )
    # The number first, then one INSERT with the code, which waits for the transaction's next
    # flush: a batch of licences inserts its allocations together.
    postgres = session.get_bind().dialect.name == "postgresql"
    number = session.execute(_NEXT_POSTGRES if postgres else _NEXT_SQLITE).scalar()
    if number is None:  # SQLite, before the table's first row: its counter does not exist yet
        session.add(row)
        session.flush()
        number = row.id
    assert number is not None
    row.id = number
    row.uscc = compute_uscc("9", "1", region_code, body_for(number))
    session.add(row)
    return row.uscc


_NEXT_POSTGRES = text("SELECT nextval(pg_get_serial_sequence('uscc_allocation', 'id'))")
# SQLite keeps an AUTOINCREMENT table's counter in `sqlite_sequence`, which "can be modified
# using ordinary UPDATE" (sqlite.org/autoinc.html); an INSERT with an explicit id leaves it at
# the larger of the two, so ids are never handed out twice either way.
_NEXT_SQLITE = text(
    "UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'uscc_allocation' RETURNING seq"
)
