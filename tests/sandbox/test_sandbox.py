"""`bizreg sandbox serve` as a real process: a client that runs the whole scenario gets a
conformance report with every step passed, signed by the sandbox; a client that leaves steps
out gets each missing step failed with its reason (docs/sandbox.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from registration.sandbox import grading
from registration.sandbox.journal import Entry
from tests.sandbox import scenario
from tests.sandbox.support import Running, running_sandbox

BIZREG = str(Path(sys.executable).parent / "bizreg")


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Running]:
    with running_sandbox(tmp_path / "sandbox") as running:
        yield running


def _report(running: Running, out: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [BIZREG, "sandbox", "report", "--url", running.url, "--client"]
    command += [running.described["client_id"]]
    if out is not None:
        command += ["--out", str(out)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_a_complete_client_is_graded_conformant(sandbox: Running, tmp_path: Path) -> None:
    before = _report(sandbox)
    assert before.returncode == 1
    assert before.stdout.count("FAIL") == len(grading.STEPS)

    scenario.run(sandbox.url, sandbox.described)

    jws = tmp_path / "report.jws"
    after = _report(sandbox, jws)
    assert after.returncode == 0, after.stdout
    assert after.stdout.count("PASS") == len(grading.STEPS)
    checked = subprocess.run(
        [BIZREG, "sandbox", "verify-report", str(jws), "--url", sandbox.url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
    assert '"passed": true' in checked.stdout
    # A report edited after signing is refused.
    header, payload, signature = jws.read_text().strip().split(".")
    forged = json.loads(_b64decode(payload))
    forged["client_id"] = "someone-else"
    jws.write_text(".".join((header, _b64encode(json.dumps(forged).encode()), signature)))
    refused = subprocess.run(
        [BIZREG, "sandbox", "verify-report", str(jws), "--url", sandbox.url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1
    assert "INVALID" in refused.stderr


def test_a_client_that_skips_steps_fails_them(sandbox: Running) -> None:
    scenario.run(sandbox.url, sandbox.described, steps=("attest",))
    report = httpx.get(
        f"{sandbox.url}/sandbox/v1/report",
        params={"client_id": sandbox.described["client_id"]},
        timeout=30,
    ).json()["report"]
    verdicts = {step["step"]: step["passed"] for step in report["steps"]}
    assert verdicts == {
        "signed_request": True,
        "replay_refused": False,
        "idempotent_retry": False,
        "attestation_accepted": True,
        "licence_issued": False,
        "webhook_verified": False,
    }
    assert report["passed"] is False


def test_a_receipt_for_a_webhook_never_delivered_does_not_count() -> None:
    facts = grading.ClientFacts("c", frozenset({"k"}), 1, {"evt-1": "wh-1"})
    made_up = Entry(at="", kind="receipt", client_id="c", event_id="evt-2", event_keyid="wh-1")
    wrong_key = Entry(at="", kind="receipt", client_id="c", event_id="evt-1", event_keyid="x")
    steps = {s.step: s for s in grading.grade([made_up], facts)}
    assert not steps["webhook_verified"].passed
    steps = {s.step: s for s in grading.grade([wrong_key], facts)}
    assert not steps["webhook_verified"].passed
    assert "signed with 'wh-1'" in steps["webhook_verified"].reason


def _b64decode(segment: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _b64encode(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
