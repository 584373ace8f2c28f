"""A webhook's delivery transition table and its guard."""

from __future__ import annotations

import itertools
import pickle

import pytest

from registration.domain.webhook_lifecycle import (
    ALLOWED,
    WebhookStatus,
    WebhookTransitionNotAllowed,
    guard,
)

# Written out independently of the implementation's table: a retry stays pending.
EXPECTED = {("pending", "delivered"), ("pending", "failed")}


@pytest.mark.parametrize(
    ("status", "target"), list(itertools.product(WebhookStatus, WebhookStatus))
)
def test_every_pair_of_statuses(status: WebhookStatus, target: WebhookStatus) -> None:
    if (status.value, target.value) in EXPECTED:
        assert guard(status, target) is target
        return
    with pytest.raises(WebhookTransitionNotAllowed) as refused:
        guard(status, target)
    assert refused.value.allowed == sorted(ALLOWED[status])


def test_table_has_no_entry_beyond_the_design() -> None:
    assert set(ALLOWED) == set(WebhookStatus)
    assert {(s.value, t.value) for s, targets in ALLOWED.items() for t in targets} == EXPECTED


def test_refusal_names_the_allowed_transitions() -> None:
    with pytest.raises(
        WebhookTransitionNotAllowed,
        match=r"pending cannot become pending; allowed: delivered, failed",
    ):
        guard(WebhookStatus.PENDING, WebhookStatus.PENDING)
    with pytest.raises(WebhookTransitionNotAllowed, match=r"allowed: none$"):
        guard(WebhookStatus.FAILED, WebhookStatus.DELIVERED)


def test_the_error_survives_pickling() -> None:
    error = WebhookTransitionNotAllowed(WebhookStatus.DELIVERED, WebhookStatus.FAILED)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
