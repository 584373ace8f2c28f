"""The transition table, its guard, and the event-log projection."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registration.domain.workflow import (
    TRANSITIONS,
    Action,
    BrokenEventLog,
    EventRecord,
    ReasonsRequired,
    Role,
    RoleNotPermitted,
    Status,
    TransitionNotAllowed,
    allowed_actions,
    guard,
    replay,
)

WORKFLOW_ACTIONS = [
    a for a in Action if a not in (Action.CREATE, Action.UPDATE, Action.ATTACH_DOCUMENT)
]

# DESIGN.md §2, written out independently of the implementation's table.
EXPECTED = {
    ("draft", "submit"): ("submitted", {"applicant", "terminal"}),
    ("submitted", "accept"): ("accepted", {"front_desk", "system"}),
    ("submitted", "return"): ("returned", {"front_desk", "back_office"}),
    ("accepted", "return"): ("returned", {"front_desk", "back_office"}),
    ("returned", "resubmit"): ("submitted", {"applicant", "terminal"}),
    ("accepted", "approve"): ("approved", {"back_office", "system"}),
    ("accepted", "reject"): ("rejected", {"back_office"}),
    ("approved", "issue"): ("issued", {"system"}),
    # The system withdraws stale drafts and returned applications (issue 12).
    ("draft", "withdraw"): ("withdrawn", {"applicant", "terminal", "system"}),
    ("submitted", "withdraw"): ("withdrawn", {"applicant", "terminal"}),
    ("returned", "withdraw"): ("withdrawn", {"applicant", "terminal", "system"}),
    ("accepted", "withdraw"): ("withdrawn", {"applicant", "terminal"}),
}


@pytest.mark.parametrize(
    ("status", "action", "role"), list(itertools.product(Status, WORKFLOW_ACTIONS, Role))
)
def test_every_status_action_role(status: Status, action: Action, role: Role) -> None:
    expected = EXPECTED.get((status.value, action.value))
    if expected is None:
        with pytest.raises(TransitionNotAllowed) as refused:
            guard(status, action, role, has_reasons=True)
        assert refused.value.allowed == allowed_actions(status)
        return
    target, roles = expected
    if role.value not in roles:
        with pytest.raises(RoleNotPermitted):
            guard(status, action, role, has_reasons=True)
        return
    assert guard(status, action, role, has_reasons=True).value == target


def test_table_has_no_entry_beyond_the_design() -> None:
    assert {(s.value, a.value) for s, a in TRANSITIONS} == set(EXPECTED)


@pytest.mark.parametrize(
    "key", [("submitted", "return"), ("accepted", "return"), ("accepted", "reject")]
)
def test_return_and_reject_need_reasons(key: tuple[str, str]) -> None:
    status, action = Status(key[0]), Action(key[1])
    with pytest.raises(ReasonsRequired):
        guard(status, action, Role.BACK_OFFICE, has_reasons=False)


def test_terminal_statuses_allow_nothing() -> None:
    for status in (Status.ISSUED, Status.REJECTED, Status.WITHDRAWN):
        assert allowed_actions(status) == []


@given(
    st.lists(
        st.tuples(st.sampled_from([*WORKFLOW_ACTIONS, Action.UPDATE]), st.sampled_from(list(Role))),
        max_size=30,
    )
)
def test_replay_reproduces_the_status_of_any_legal_history(
    steps: list[tuple[Action, Role]],
) -> None:
    status = Status.DRAFT
    log = [EventRecord(Action.CREATE, Status.DRAFT, Status.DRAFT)]
    for action, role in steps:
        if action is Action.UPDATE:
            if status in (Status.DRAFT, Status.RETURNED):
                log.append(EventRecord(action, status, status))
            continue
        try:
            target = guard(status, action, role, has_reasons=True)
        except (TransitionNotAllowed, RoleNotPermitted):
            continue  # a refused step leaves no event
        log.append(EventRecord(action, status, target))
        status = target
    assert replay(log) is status


@pytest.mark.parametrize(
    "log",
    [
        [],
        [EventRecord(Action.SUBMIT, Status.DRAFT, Status.SUBMITTED)],
        [
            EventRecord(Action.CREATE, Status.DRAFT, Status.DRAFT),
            EventRecord(Action.APPROVE, Status.DRAFT, Status.APPROVED),
        ],
        [
            EventRecord(Action.CREATE, Status.DRAFT, Status.DRAFT),
            EventRecord(Action.SUBMIT, Status.DRAFT, Status.SUBMITTED),
            EventRecord(Action.UPDATE, Status.SUBMITTED, Status.SUBMITTED),
        ],
        [
            EventRecord(Action.CREATE, Status.DRAFT, Status.DRAFT),
            EventRecord(Action.SUBMIT, Status.RETURNED, Status.SUBMITTED),
        ],
    ],
)
def test_replay_refuses_a_broken_log(log: list[EventRecord]) -> None:
    with pytest.raises(BrokenEventLog):
        replay(log)


def test_workflow_errors_survive_pickling() -> None:
    """Worker processes report errors across process boundaries."""
    import pickle

    for error in (
        TransitionNotAllowed(Status.ISSUED, Action.ISSUE),
        RoleNotPermitted(Role.AUDITOR, Action.APPROVE, Status.ACCEPTED),
        ReasonsRequired(Action.REJECT),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
