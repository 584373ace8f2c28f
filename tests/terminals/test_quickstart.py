"""`make run`'s quickstart: the printed command of every channel reaches a signed licence.

The development setup runs into a fresh data directory of a live server on loopback; each
printed `bizreg terminal submit …` then runs as a newcomer would paste it (a subprocess, real
HTTP). Paris is the manual path: while its command waits, the printed officers accept and
approve through the API, as they would in the console.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from registration.cli.devsetup import ensure_dev_accounts, quickstart_commands, quickstart_text
from registration.db import create_db_engine
from tests.issuance.live import LiveService, live_service
from verification import LicenceVerifier

BIZREG = str(Path(sys.executable).parent / "bizreg")


def _officer(live: LiveService, username: str, password: str) -> dict[str, str]:
    response = live.http.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _check_licence(live: LiveService, path: Path) -> None:
    report = LicenceVerifier([live.authority.pki.root_certificate]).verify(path.read_bytes())
    assert report.passed, report.to_json()


def test_every_printed_channel_command_reaches_a_licence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "checkout"
    work.mkdir()
    monkeypatch.chdir(work)
    with live_service(work / "var") as live:
        engine = create_db_engine(live.settings.effective_database_url)
        credentials = ensure_dev_accounts(engine, live.settings.data_dir)
        engine.dispose()
        commands = quickstart_commands(credentials, live.base_url, BIZREG)
        text = "\n".join(quickstart_text(credentials, live.base_url, BIZREG))
        assert set(commands) == {"yinzhengtong", "hong_kong", "paris"}
        for argv in commands.values():
            assert shlex.join(argv) in text  # what is printed is what runs
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

        for channel in ("yinzhengtong", "hong_kong"):
            done = subprocess.run(
                commands[channel], capture_output=True, text=True, env=env, timeout=120
            )
            assert done.returncode == 0, done.stdout + done.stderr
            assert "issued" in done.stdout
            _check_licence(live, work / f"licence-{channel.replace('_', '-')}.pdf")

        # Paris: the command waits while the officers the setup printed decide.
        assert credentials["officers"]["frontdesk"] in text
        assert credentials["officers"]["foodsafety"] in text
        paris = subprocess.Popen(
            commands["paris"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        try:
            app_id = None
            assert paris.stdout is not None
            for line in paris.stdout:
                if line.strip().endswith(": submitted"):
                    app_id = line.split()[1].rstrip(":")
                    break
            assert app_id is not None, "the Paris command never reported a submission"
            officers = credentials["officers"]
            front = _officer(live, "frontdesk", officers["frontdesk"])
            food = _officer(live, "foodsafety", officers["foodsafety"])
            accepted = live.http.post(f"/api/v1/applications/{app_id}/accept", headers=front)
            assert accepted.json()["status"] == "accepted", accepted.text
            approved = live.http.post(f"/api/v1/applications/{app_id}/approve", headers=food)
            assert approved.json()["status"] == "approved", approved.text
            started = time.monotonic()
            out, err = paris.communicate(timeout=120)
        finally:
            if paris.poll() is None:
                paris.kill()
        assert paris.returncode == 0, out + err
        assert time.monotonic() - started < 120
        _check_licence(live, work / "licence-paris.pdf")
