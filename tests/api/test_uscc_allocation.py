"""USCC allocation: every code valid, none ever twice, under threads and processes."""

from __future__ import annotations

import multiprocessing
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, select

from registration.db import create_db_engine
from registration.domain.identifiers import parse_uscc
from registration.models import UsccAllocation
from registration.services.uscc import CAPACITY, UsccSpaceExhausted, allocate_uscc, body_for

THREADS = 8
PER_THREAD = 25


@given(st.integers(min_value=1, max_value=CAPACITY - 1))
def test_every_sequence_number_gives_a_valid_distinct_body(n: int) -> None:
    body = body_for(n)
    assert body.startswith("MA")
    assert len(body) == 8
    assert body_for(n + 1 if n + 1 < CAPACITY else n - 1) != body


def test_bodies_outside_the_space_are_refused() -> None:
    with pytest.raises(UsccSpaceExhausted):
        body_for(0)
    with pytest.raises(UsccSpaceExhausted):
        body_for(CAPACITY)


def test_allocated_code_is_valid_and_stable_per_application(engine: Engine) -> None:
    with Session(engine) as session:
        code = allocate_uscc(session, "441900", "app-1")
        session.commit()
        assert allocate_uscc(session, "441900", "app-1") == code
    parsed = parse_uscc(code)
    assert code.startswith("91441900MA")
    assert parsed.value == code


def test_a_deleted_allocation_is_never_reused(engine: Engine) -> None:
    with Session(engine) as session:
        first = allocate_uscc(session, "441900", None)
        session.commit()
        session.delete(session.exec(select(UsccAllocation)).one())
        session.commit()
        assert allocate_uscc(session, "441900", None) != first


def test_a_rolled_back_number_is_not_handed_out_again_on_postgresql(engine: Engine) -> None:
    # SQLite rolls its counter back with the transaction: the code was never committed, so it
    # was never issued, and handing it out later is harmless. PostgreSQL sequences never go back.
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL sequence semantics")
    with Session(engine) as session:
        lost = allocate_uscc(session, "441900", None)
        session.rollback()
    with Session(engine) as session:
        assert allocate_uscc(session, "441900", None) != lost


def _allocate_many(url: str, count: int) -> list[str]:
    engine = create_db_engine(url)
    codes = []
    for _ in range(count):
        with Session(engine) as session:
            codes.append(allocate_uscc(session, "441900", None))
            session.commit()
    engine.dispose()
    return codes


def test_concurrent_allocation_from_threads_and_processes(
    engine: Engine, database_url: str
) -> None:
    results: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        codes = _allocate_many(database_url, PER_THREAD)
        with lock:
            results.extend(codes)

    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        process_batches = pool.starmap_async(_allocate_many, [(database_url, PER_THREAD)] * 2)
        threads = [threading.Thread(target=worker) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for batch in process_batches.get(timeout=120):
            results.extend(batch)

    assert len(results) == (THREADS + 2) * PER_THREAD
    assert len(set(results)) == len(results)
    for code in results:
        parse_uscc(code)  # raises if either check character is wrong
    with Session(engine) as session:
        stored = [row.uscc for row in session.exec(select(UsccAllocation))]
    assert sorted(stored) == sorted(results)
