"""Whole-process start-up of the `bizreg` command beside the references on the same licence:
`bizreg --help`, and `bizreg verify --offline --trust root.pem FILE` against the pyHanko CLI
(`pyhanko sign validate`, no revocation check: it would fetch CRLs) and poppler's `pdfsig`.

Run: .venv/bin/python bench/bench_cli.py [--runs 7] [--baseline /work/main]

`--baseline TREE` also times the same commands with `PYTHONPATH=TREE` (another checkout, e.g.
the code before a change) in the same run, for before/after lines.

A development PKI and one B-LT licence are made in a temporary directory (bench_verify.py's
recipe). Each command is run once untimed (bytecode caches written, as an installed package
has them), then `--runs` times as a new process; the median wall time is printed
with its target and its ratio to the references. Targets (issue 16): `bizreg --help` < 0.2 s,
`bizreg verify` of one file < 0.3 s. The machine's other load shows in wall times: compare the
rows of one run, not runs made at different times.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_verify import _make_licences

BIN = Path(sys.executable).parent
HELP_TARGET = 0.2
VERIFY_TARGET = 0.3
PYCACHE = tempfile.mkdtemp(prefix="bizreg-bench-cli-pycache-")


def _time(
    command: list[str], runs: int, expect: int | None = 0, env: dict[str, str] | None = None
) -> float:
    # As installed: bytecode cached (this machine sets PYTHONDONTWRITEBYTECODE, which would
    # make every run compile the tree's modules again); one untimed run writes the caches, into
    # a directory of the bench's own rather than into the trees timed.
    env = {k: v for k, v in (env or os.environ).items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = PYCACHE
    subprocess.run(command, capture_output=True, check=False, env=env)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=False, env=env)
        times.append(time.perf_counter() - started)
        if expect is not None and done.returncode != expect:
            raise SystemExit(f"{command[0]} exited {done.returncode}: {done.stderr[-500:]!r}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", type=Path, help="another tree to time beside this one")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="bizreg-bench-cli-"))
    root_pem, paths, _ = _make_licences(directory, 1)
    root = directory / "root.pem"
    root.write_bytes(root_pem)
    licence = str(paths[0])
    bizreg = str(BIN / "bizreg")

    rows: list[tuple[str, float, float | None]] = [
        (
            "python -c pass (interpreter floor)",
            _time([sys.executable, "-c", "pass"], args.runs),
            None,
        ),
        ("bizreg --help", _time([bizreg, "--help"], args.runs), HELP_TARGET),
    ]
    verify = _time(
        [bizreg, "verify", "--offline", "--trust", str(root), "--quiet", licence], args.runs
    )
    rows.append(("bizreg verify --offline --trust root.pem FILE", verify, VERIFY_TARGET))
    if args.baseline is not None:
        env = {**os.environ, "PYTHONPATH": str(args.baseline)}
        for name, command in (
            ("bizreg --help", [bizreg, "--help"]),
            (
                "bizreg verify --offline …",
                [bizreg, "verify", "--offline", "--trust", str(root), "--quiet", licence],
            ),
        ):
            rows.append(
                (
                    f"  baseline {args.baseline.name}: {name}",
                    _time(command, args.runs, env=env),
                    None,
                )
            )
    references: dict[str, float] = {}
    pyhanko = BIN / "pyhanko"
    if pyhanko.exists():
        references["pyhanko sign validate"] = _time(
            [
                str(pyhanko),
                "sign",
                "validate",
                "--trust",
                str(root),
                "--trust-replace",
                "--no-revocation-check",
                "--executive-summary",
                licence,
            ],
            args.runs,
            expect=None,
        )
    pdfsig = shutil.which("pdfsig")
    if pdfsig:
        references["pdfsig"] = _time([pdfsig, licence], args.runs, expect=None)
    for name, seconds in references.items():
        rows.append((name, seconds, None))

    print(f"whole-process wall time, median of {args.runs} runs (2 shared cores)")
    for name, seconds, target in rows:
        verdict = ""
        if target is not None:
            verdict = f"target < {target:.2f} s: {'met' if seconds < target else 'NOT met'}"
        print(f"  {name:<50} {seconds:7.3f} s  {verdict}")
    for name, seconds in references.items():
        print(f"  bizreg verify / {name}: {verify / seconds:.2f}x")
    shutil.rmtree(directory, ignore_errors=True)
    shutil.rmtree(PYCACHE, ignore_errors=True)


if __name__ == "__main__":
    main()
