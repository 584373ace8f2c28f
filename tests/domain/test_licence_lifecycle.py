"""A licence's transition table and its guard (DESIGN.md §3)."""

from __future__ import annotations

import itertools
import pickle

import pytest

from registration.domain.licence_lifecycle import (
    TRANSITIONS,
    LicenceAction,
    LicenceStatus,
    LicenceTransitionNotAllowed,
    allowed_actions,
    guard,
)
from verification import LicenceStatus as ReportedStatus

# DESIGN.md §3, written out independently of the implementation's table.
EXPECTED = {
    ("active", "supersede"): "superseded",
    ("active", "revoke"): "revoked",
    ("active", "deregister"): "deregistered",
}


@pytest.mark.parametrize(
    ("status", "action"), list(itertools.product(LicenceStatus, LicenceAction))
)
def test_every_status_and_action(status: LicenceStatus, action: LicenceAction) -> None:
    expected = EXPECTED.get((status.value, action.value))
    if expected is None:
        with pytest.raises(LicenceTransitionNotAllowed) as refused:
            guard(status, action)
        assert refused.value.allowed == allowed_actions(status)
        return
    assert guard(status, action) is LicenceStatus(expected)


def test_table_has_no_entry_beyond_the_design() -> None:
    assert {(s.value, a.value): t.value for (s, a), t in TRANSITIONS.items()} == EXPECTED


def test_a_licence_leaves_active_for_good() -> None:
    for status in LicenceStatus:
        if status is not LicenceStatus.ACTIVE:
            assert allowed_actions(status) == []


def test_refusal_names_the_allowed_actions() -> None:
    with pytest.raises(LicenceTransitionNotAllowed, match=r"allowed: none$"):
        guard(LicenceStatus.REVOKED, LicenceAction.SUPERSEDE)
    assert allowed_actions(LicenceStatus.ACTIVE) == [
        LicenceAction.SUPERSEDE,
        LicenceAction.REVOKE,
        LicenceAction.DEREGISTER,
    ]


def test_the_statuses_are_the_ones_verification_reports() -> None:
    """One definition: verification (a library) owns it, the registry's rules reuse it."""
    assert LicenceStatus is ReportedStatus


def test_the_error_survives_pickling() -> None:
    """Worker processes report errors across process boundaries."""
    error = LicenceTransitionNotAllowed(LicenceStatus.SUPERSEDED, LicenceAction.REVOKE)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
