"""The in-memory nonce store: new, replay, expiry, and one winner under concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

from bank_adapter import InMemoryNonceStore, NonceStore
from tests.bank_adapter.conftest import NOW


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


def test_is_a_nonce_store() -> None:
    assert isinstance(InMemoryNonceStore(), NonceStore)


def test_new_then_replay_then_expired() -> None:
    clock = Clock()
    store = InMemoryNonceStore(clock)
    until = NOW + timedelta(seconds=60)
    assert store.remember("k1", "n1", until) is True
    assert store.remember("k1", "n1", until) is False
    clock.now = until + timedelta(seconds=1)
    assert store.remember("k1", "n1", clock.now + timedelta(seconds=60)) is True


def test_nonces_are_per_key() -> None:
    store = InMemoryNonceStore(Clock())
    until = NOW + timedelta(seconds=60)
    assert store.remember("k1", "n1", until)
    assert store.remember("k2", "n1", until)


def test_expired_entries_are_dropped() -> None:
    clock = Clock()
    store = InMemoryNonceStore(clock)
    for i in range(100):
        store.remember("k", f"n{i}", NOW + timedelta(seconds=60))
    assert len(store) == 100
    clock.now = NOW + timedelta(minutes=5)
    store.remember("k", "fresh", clock.now + timedelta(seconds=60))
    assert len(store) == 1


def test_concurrent_duplicates_have_one_winner() -> None:
    store = InMemoryNonceStore(Clock())
    results: list[bool] = []
    barrier = threading.Barrier(16)

    def attempt() -> None:
        barrier.wait()
        results.append(store.remember("k", "same", NOW + timedelta(seconds=60)))

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 15 + [True]
