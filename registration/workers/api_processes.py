"""`bizreg serve --workers N`: N API processes, each listening on the port with a socket of its
own (SO_REUSEPORT), so that the kernel spreads new connections across them.

uvicorn's own `--workers` shares one listening socket among its processes, and whichever wakes
first accepts every pending connection (asyncio and uvloop both drain the queue). Terminals
connect in bursts and keep their connections: under 20 signing terminals one API process used
0.85 of a core and the other 0.13 (`bench/load.py`), and one interpreter was the ceiling.

The parent binds nothing: it refuses a port something already answers on, starts the children,
restarts one that dies, and on SIGTERM or SIGINT asks each to stop (uvicorn's graceful
shutdown: requests in flight finish) and exits 0 when they did. A child whose parent vanished
(kill -9) stops itself.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from multiprocessing.process import BaseProcess
from typing import Any

from registration.workers.processes import stop_children

log = logging.getLogger("bizreg.serve")
# uvicorn's HTTP parser. Not httptools, though it parses faster: it drops the body of a request
# that offers an h2c upgrade, which Java's HttpClient does by default on http:// (a bank's POST
# arrived empty). uvloop, the event loop, is used when installed.
HTTP_PARSER = "h11"
_SUPERVISE_SECONDS = 0.5
_STARTUP_SECONDS = 120.0
_BACKLOG = 2048


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket of this process's own on host:port, shared with its siblings by the kernel."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
        sock.listen(_BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def port_answers(host: str, port: int) -> bool:
    """Whether something already accepts connections there (another server, or an earlier
    `bizreg serve` whose sockets would silently share the port with ours)."""
    wildcard = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}  # noqa: S104 (compared)
    target = wildcard.get(host, host)
    with contextlib.suppress(OSError), socket.create_connection((target, port), timeout=1):
        return True
    return False


def _child_main(app: str, host: str, port: int, parent_pid: int, ready: Any, index: int) -> None:
    import uvicorn

    sock = listening_socket(host, port)
    config = uvicorn.Config(app, factory=True, http=HTTP_PARSER, log_config=None, access_log=False)
    server = uvicorn.Server(config)

    def orphaned() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        server.should_exit = True

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.02)
        if server.started:
            ready[index] = 1

    threading.Thread(target=orphaned, name="parent-watch", daemon=True).start()
    threading.Thread(target=announce, name="announce-ready", daemon=True).start()
    # uvicorn handles SIGTERM and SIGINT while it serves (graceful shutdown), then raises the
    # signal again with these handlers back: no-ops, so a clean stop exits 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    server.run(sockets=[sock])


class ApiProcesses:
    def __init__(self, app_factory: str, host: str, port: int, count: int) -> None:
        """`app_factory`: the import string of a function returning the ASGI app, which each
        child calls (so it reads its settings from the environment)."""
        self.app_factory = app_factory
        self.host, self.port, self.count = host, port, count
        self._context = multiprocessing.get_context("spawn")
        # One flag per child, set once it listens: a child that dies after it was ready is
        # restarted, even while its siblings are still starting; one that never was is a
        # failed start.
        self._ready = self._context.Array("b", count)
        self._children: list[BaseProcess] = []
        self._stop = threading.Event()

    def _spawn(self, index: int) -> BaseProcess:
        self._ready[index] = 0
        child = self._context.Process(
            target=_child_main,
            args=(self.app_factory, self.host, self.port, os.getpid(), self._ready, index),
            name=f"bizreg-api-{index}",
        )
        child.start()
        return child

    def run(self) -> int:
        """Serve until SIGTERM or SIGINT; the exit status for the command."""
        if port_answers(self.host, self.port):
            log.error("%s:%s already answers: is another server running?", self.host, self.port)
            return 1
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self._stop.set())
        self._children = [self._spawn(i) for i in range(self.count)]
        try:
            if not self._started() and not self._stop.is_set():
                return 1
            log.info("%s API processes listening on %s:%s", self.count, self.host, self.port)
            while not self._stop.wait(_SUPERVISE_SECONDS):
                self._restart_exited()
        finally:
            # SIGTERM: uvicorn lets the requests in flight finish.
            codes = stop_children(self._children, timeout=30.0)
        return 0 if all(code == 0 for code in codes) else 1

    def _started(self) -> bool:
        """Every child listening, or False as soon as one could not start (port taken, app
        failing to load): restarting it would only fail again."""
        deadline = time.monotonic() + _STARTUP_SECONDS
        while not all(self._ready[:]):
            failed = [
                child
                for index, child in enumerate(self._children)
                if not child.is_alive() and not self._ready[index]
            ]
            if failed or self._stop.is_set() or time.monotonic() > deadline:
                if failed:
                    log.error("an API process could not start (exit status %s)", failed[0].exitcode)
                return False
            self._restart_exited()
            time.sleep(0.05)
        return True

    def _restart_exited(self) -> None:
        """Start again every child that exited (while starting, `_started` has already refused
        the ones that never listened)."""
        for index, child in enumerate(self._children):
            if not child.is_alive() and not self._stop.is_set():
                log.error("API process %s exited (%s); restarting", index, child.exitcode)
                self._children[index] = self._spawn(index)
