"""A feed consumer killed and resumed three times, alternating between two API processes,
while writers publish concurrently (each holding its transaction open a while after taking a
position): it sees every committed event exactly once, in order."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import Engine, text
from sqlmodel import Session

from registration.services import feed

# The installed command, beside this interpreter (as `make` installs it in .venv/bin).
BIZREG = str(Path(sys.executable).with_name("bizreg"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _serve(database_url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BIZREG_DATABASE_URL": database_url,
        "BIZREG_DATA_DIR": str(data_dir),
        "BIZREG_ISSUANCE_PROCESSES": "0",
        "BIZREG_FEED_STREAM_SECONDS": "3",  # streams end often: reconnection is exercised too
    }
    process = subprocess.Popen(
        [BIZREG, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("bizreg serve did not start")


def _consumer(url: str, output: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [BIZREG, "feed", "--url", url, "--output", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _writer(
    engine: Engine, stop: threading.Event, seed: int, failures: list[BaseException]
) -> None:
    rng = random.Random(seed)
    try:
        i = 0
        while not stop.is_set():
            i += 1
            with Session(engine) as session:
                feed.publish(session, "licence.issued", "91441900MA00000001", {"w": seed, "i": i})
                # Commit late, sometimes much later than others take and commit positions: a
                # reader polling then must not pass this position (the sequence-gap trap).
                time.sleep(0.4 if rng.random() < 0.08 else rng.uniform(0, 0.03))
                if rng.random() < 0.1:
                    session.rollback()  # a position that never commits: a harmless gap
                    continue
                session.commit()
            time.sleep(rng.uniform(0, 0.02))
    except BaseException as error:  # pragma: no cover - reported by the test
        failures.append(error)


def test_killed_consumer_resumed_three_times_sees_every_event_once(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    ports = [_free_port(), _free_port()]
    servers = [_serve(database_url, tmp_path / "a", ports[0])]
    servers.append(_serve(database_url, tmp_path / "b", ports[1]))
    output = tmp_path / "events.ndjson"
    failures: list[BaseException] = []
    stop = threading.Event()
    writers = [
        threading.Thread(target=_writer, args=(engine, stop, seed, failures)) for seed in range(3)
    ]
    try:
        for writer in writers:
            writer.start()
        rng = random.Random(13)
        for kill in range(3):
            consumer = _consumer(f"http://127.0.0.1:{ports[kill % 2]}", output)
            time.sleep(rng.uniform(1.5, 3.0))
            consumer.send_signal(signal.SIGKILL)  # at any instant, even mid-line
            consumer.wait()
        # The fourth run, on the other process, reads while the writers go on, then catches up.
        consumer = _consumer(f"http://127.0.0.1:{ports[1]}", output)
        time.sleep(3)
        stop.set()
        for writer in writers:
            writer.join()
        assert not failures, failures
        with engine.connect() as connection:
            committed = [
                row[0]
                for row in connection.execute(
                    text("SELECT position FROM feed_event ORDER BY position")
                )
            ]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            lines = output.read_text().splitlines() if output.exists() else []
            if len(lines) >= len(committed) and lines[-1].endswith("}"):
                break
            time.sleep(0.2)
        consumer.send_signal(signal.SIGKILL)
        consumer.wait()
    finally:
        stop.set()
        for server in servers:
            server.terminate()
            server.wait(timeout=20)
    seen = [json.loads(line) for line in output.read_text().splitlines() if line.strip()]
    assert [int(x["cursor"]) for x in seen] == committed  # every one, once, in order
    assert len(committed) > 100
