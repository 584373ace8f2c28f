"""An issuance job's transition table and its guard."""

from __future__ import annotations

import itertools
import pickle

import pytest

from registration.domain.job_lifecycle import ALLOWED, JobStatus, JobTransitionNotAllowed, guard

# Written out independently of the implementation's table: a failed attempt stays pending.
EXPECTED = {("pending", "done")}


@pytest.mark.parametrize(("status", "target"), list(itertools.product(JobStatus, JobStatus)))
def test_every_pair_of_statuses(status: JobStatus, target: JobStatus) -> None:
    if (status.value, target.value) in EXPECTED:
        assert guard(status, target) is target
        return
    with pytest.raises(JobTransitionNotAllowed) as refused:
        guard(status, target)
    assert refused.value.allowed == sorted(ALLOWED[status])


def test_table_has_no_entry_beyond_the_design() -> None:
    assert set(ALLOWED) == set(JobStatus)
    assert {(s.value, t.value) for s, targets in ALLOWED.items() for t in targets} == EXPECTED


def test_refusal_names_the_allowed_transitions() -> None:
    with pytest.raises(
        JobTransitionNotAllowed, match=r"pending cannot become pending; allowed: done"
    ):
        guard(JobStatus.PENDING, JobStatus.PENDING)
    with pytest.raises(JobTransitionNotAllowed, match=r"allowed: none$"):
        guard(JobStatus.DONE, JobStatus.PENDING)


def test_the_error_survives_pickling() -> None:
    """Issuance runs in worker processes, which report errors across process boundaries."""
    error = JobTransitionNotAllowed(JobStatus.DONE, JobStatus.DONE)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
