"""A `bizreg sandbox serve` process on a free port, for the Python and the Java clients."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

BIZREG = str(Path(sys.executable).parent / "bizreg")


@dataclass
class Running:
    url: str
    described: dict[str, Any]
    data: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_sandbox(data: Path) -> Iterator[Running]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIZREG_")}
    process = subprocess.Popen(
        [BIZREG, "sandbox", "serve", "--port", str(port), "--data", str(data)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout else ""
                raise AssertionError(f"the sandbox did not start: {output}")
            time.sleep(0.2)
        described = json.loads((data / "sandbox.json").read_text("utf-8"))
        yield Running(url, described, data)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
