"""A short, bounded run of the scale-out load test (`bench/load.py`): five signed terminals of
the three channels for five seconds against `bizreg serve --workers 2` and two `bizreg worker`
on the suite's database (PostgreSQL under `.ci/run`'s second pass): no error of any kind, every
submitted application issued, every process exits 0 on SIGTERM. The timing targets are the
script's to print, not this test's to assert."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
LOAD = Path(__file__).resolve().parents[2] / "bench" / "load.py"


def test_a_bounded_load_run_has_no_errors_and_issues_every_submission() -> None:
    env = dict(os.environ)
    run = subprocess.run(
        [
            sys.executable,
            str(LOAD),
            "--terminals",
            "5",
            "--seconds",
            "5",
            "--drain",
            "30",
            "--compare-bearer",
            "0",
            "--check",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    row = re.search(r"^\s+5 signed .*  none$", run.stdout, re.MULTILINE)
    assert row, run.stdout  # the run happened, and its errors column says none
    assert "exit statuses after SIGTERM (serve first): [0, 0, 0]" in run.stdout
