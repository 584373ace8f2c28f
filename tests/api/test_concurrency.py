"""Concurrent workflow steps on one application: exactly one wins, the log stays a legal history.

Runs on both databases; on PostgreSQL (READ COMMITTED) this is where a check-then-update would
let both steps through.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from registration.domain.application import ApplicationPayload
from registration.domain.workflow import Action, EventRecord, Role, Status, WorkflowError, replay
from registration.errors import Conflict
from registration.principal import Principal
from registration.services import accounts, applications
from tests.conftest import example, unique_name
from tests.terminals.support import attest_directly

ROUNDS = 20


def _perform(session: Session, *, principal: Principal, app_id: str, action: Action) -> object:
    return applications.perform(session, principal, app_id, action)


def _race(engine: Engine, steps: list[Callable[[Session], object]]) -> list[str]:
    barrier = threading.Barrier(len(steps))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(step: Callable[[Session], object]) -> None:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                step(session)
                result = "ok"
            except (Conflict, WorkflowError) as error:
                result = type(error).__name__
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(s,)) for s in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("rival", ["accept", "withdraw"])
def test_two_concurrent_steps_one_wins(engine: Engine, rival: str) -> None:
    with Session(engine) as session:
        accounts.add_client(session, "bank", "paris", "Bank")
    bank = Principal(kind="client", subject="bank", role=Role.TERMINAL, channel="paris")
    desk = [Principal(kind="officer", subject=f"desk{i}", role=Role.FRONT_DESK) for i in range(2)]
    for round_ in range(ROUNDS):
        data = example("paris")
        data["company"]["name"]["zh"] = unique_name(round_)
        payload = ApplicationPayload.model_validate(data)
        with Session(engine, expire_on_commit=False) as session:
            app_id = applications.create_application(session, bank, payload, None).id
        attest_directly(engine, bank, app_id)
        with Session(engine, expire_on_commit=False) as session:
            applications.perform(session, bank, app_id, Action.SUBMIT)

        rival_principal, rival_action = (
            (desk[1], Action.ACCEPT) if rival == "accept" else (bank, Action.WITHDRAW)
        )
        outcomes = _race(
            engine,
            [
                functools.partial(_perform, principal=desk[0], app_id=app_id, action=Action.ACCEPT),
                functools.partial(
                    _perform, principal=rival_principal, app_id=app_id, action=rival_action
                ),
            ],
        )

        wins = outcomes.count("ok")
        with Session(engine) as session:
            events = applications.list_events(session, desk[0], app_id)
            status = applications.get_application(session, desk[0], app_id).status
        if rival == "accept":
            assert wins == 1, outcomes  # a second accept is never legal
        else:
            # Withdrawing an accepted application is legal, so both may win if they ran one
            # after the other; never may a withdrawal be lost under an acceptance.
            assert wins in (1, 2), outcomes
            assert wins == 1 or status == "withdrawn"
        assert len(events) == 2 + wins
        assert (
            replay(
                EventRecord(Action(e.action), Status(e.from_status), Status(e.to_status))
                for e in events
            ).value
            == status
        )
