"""`bizreg serve`'s issuance processes: licences are signed beside the API, not inside it.

Rendering and signing a licence is ~20 ms of pure Python. As a thread of the API process it
competed with request handling for one interpreter, and under load approval → issued went from
25 ms to seconds. Each child here runs the same loop as `bizreg worker` with an engine and
authority of its own; the parent restarts a child that dies, stops them on shutdown (SIGTERM:
the job in hand is finished first), and a child whose parent vanished (kill -9) stops itself.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

from registration import logs
from registration.settings import Settings
from registration.workers.issuance import WakeEvent

log = logging.getLogger("bizreg.issuance")
_SUPERVISE_SECONDS = 1.0


def _child_main(
    settings_values: dict[str, Any], parent_pid: int, wake: WakeEvent, ready: Any
) -> None:
    from registration.db import create_db_engine
    from registration.issuance.authority import build_authority
    from registration.workers.issuance import IssuanceWorker

    settings = Settings(**settings_values)
    logs.configure(settings.log_format)
    engine = create_db_engine(settings.effective_database_url, pool_size=2, max_overflow=0)
    worker = IssuanceWorker(
        engine, build_authority(settings), settings.issuance_poll_seconds, wake_event=wake
    )
    signal.signal(signal.SIGTERM, lambda *_: worker.request_stop())
    # Ctrl-C reaches the whole process group; the parent decides when children stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def orphaned() -> None:
        while os.getppid() == parent_pid:
            time.sleep(_SUPERVISE_SECONDS)
        worker.stop()

    threading.Thread(target=orphaned, name="parent-watch", daemon=True).start()
    with ready.get_lock():
        ready.value += 1
    worker.run_forever()
    engine.dispose()


class IssuanceProcesses:
    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.count = count
        self._children: list[BaseProcess] = []
        self._stopping = threading.Event()
        self._context = multiprocessing.get_context("spawn")
        # Set by the API process on every approval: on SQLite, which has no NOTIFY, a child
        # would otherwise only notice at its next poll.
        self._wake = self._context.Event()
        # Children that have installed their stop handler (a child still starting up has no
        # job in hand, and SIGTERM simply ends it).
        self._ready = self._context.Value("i", 0)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._children = [self._spawn(i) for i in range(self.count)]
        if self.count:
            threading.Thread(
                target=self._supervise, name="issuance-supervisor", daemon=True
            ).start()

    def _spawn(self, index: int) -> BaseProcess:
        child = self._context.Process(
            target=_child_main,
            args=(self.settings.model_dump(), os.getpid(), self._wake, self._ready),
            name=f"bizreg-issuance-{index}",
        )
        child.start()
        return child

    def wait_ready(self, timeout: float) -> bool:
        """True once every child (restarts included) is running its loop."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._ready.value >= self.count:
                return True
            time.sleep(0.05)
        return False

    def _supervise(self) -> None:
        while not self._stopping.wait(_SUPERVISE_SECONDS):
            for index, child in enumerate(self._children):
                if not child.is_alive() and not self._stopping.is_set():
                    log.error("issuance process %s exited (%s); restarting", index, child.exitcode)
                    self._children[index] = self._spawn(index)

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        # SIGTERM: finish the job in hand, then exit; the wake stops them waiting for the next.
        stop_children(self._children, timeout, after_terminate=self._wake.set)


def stop_children(
    children: list[BaseProcess],
    timeout: float,
    after_terminate: Callable[[], None] | None = None,
) -> list[int | None]:
    """SIGTERM to every live child, then up to `timeout` in all for them to exit, SIGKILL for
    any still running; their exit codes."""
    for child in children:
        if child.is_alive():
            child.terminate()
    if after_terminate is not None:
        after_terminate()
    deadline = time.monotonic() + timeout
    for child in children:
        child.join(max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            child.kill()
            child.join()
    return [child.exitcode for child in children]
