"""The Java reference client (clients/java, JDK 17, standard library only) passes every
conformance vector: proof that docs/terminal-protocol.md and the vectors are enough to build a
client without reading our Python; and it passes the sandbox's scenario. Needs `javac`
(Debian openjdk-17-jdk-headless): skipped without it on a laptop, a failure under CI=true
(.ci/run installs it)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from conformance import generate
from tests.sandbox.support import running_sandbox

JAVA = Path(__file__).resolve().parents[2] / "clients" / "java"


@pytest.fixture(scope="module")
def java_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("javac") is None or shutil.which("java") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("javac is required under CI (apt-get install openjdk-17-jdk-headless)")
        pytest.skip("javac not installed (Debian: openjdk-17-jdk-headless)")
    build = tmp_path_factory.mktemp("java-build")
    sources = sorted(str(p) for p in (JAVA / "src").rglob("*.java"))
    subprocess.run(
        ["javac", "--release", "17", "-Xlint:all", "-Werror", "-d", str(build), *sources],
        check=True,
        timeout=300,
    )
    return build


def _run(build: Path, vectors: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["java", "-cp", str(build), "bizreg.Conformance", str(vectors)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_java_client_passes_every_vector(java_build: Path) -> None:
    result = _run(java_build, generate.VECTORS)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(r"(\d+) passed, 0 failed", result.stdout)
    assert match is not None
    assert int(match.group(1)) >= 100


def test_the_java_runner_reports_a_wrong_expectation(java_build: Path, tmp_path: Path) -> None:
    """The runner is not a rubber stamp: a vector that expects the wrong code fails it."""
    for vector in generate.VECTORS.glob("*.json"):
        shutil.copy(vector, tmp_path / vector.name)
    tampered = json.loads((tmp_path / "attestations.json").read_text("utf-8"))
    case = next(c for c in tampered["verify"] if c["name"] == "liveness failed")
    case["expected"] = {"result": "refuse", "code": "document_chip_not_read"}
    (tmp_path / "attestations.json").write_text(json.dumps(tampered), "utf-8")
    result = _run(java_build, tmp_path)
    assert result.returncode == 1
    assert "FAIL attestations verify / liveness failed" in result.stdout


def test_the_java_client_passes_the_sandbox(java_build: Path, tmp_path: Path) -> None:
    """The whole scenario of docs/sandbox.md, from Java, graded by a real sandbox."""
    contract = Path(__file__).resolve().parents[1] / "contract" / "application-yinzhengtong.json"
    with running_sandbox(tmp_path / "sandbox") as sandbox:
        result = subprocess.run(
            [
                "java",
                "-cp",
                str(java_build),
                "bizreg.SandboxScenario",
                sandbox.url,
                str(sandbox.data / "sandbox.json"),
                str(contract),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        print(result.stdout)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "java client: conformant" in result.stdout
        report = httpx.get(
            f"{sandbox.url}/sandbox/v1/report",
            params={"client_id": sandbox.described["client_id"]},
            timeout=30,
        ).json()["report"]
        assert report["passed"] is True
