"""External tools for tests: skip on a laptop without them, fail under CI (which installs them)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def require_tool(name: str, package: str) -> str:
    """Return the path of executable `name`, or skip (fail under CI=true) if it is missing."""
    path = shutil.which(name)
    if path:
        return path
    message = f"`{name}` not found: install the Debian package `{package}` (.ci/run does)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


# SoftHSM2 reads its configuration once per process (C_Initialize) and python-pkcs11 keeps the
# module loaded: every test of a run must use one configuration, so the tokens are made once.
SOFTHSM_TOKENS = {"bizreg-test": "4321", "bizreg-e2e": "5678"}


def softhsm_tokens(directory: Path) -> str:
    """Make the SoftHSM2 tokens of `SOFTHSM_TOKENS` under `directory`, point SOFTHSM2_CONF at
    them and return the module's path (skip, or fail under CI, without SoftHSM2)."""
    import subprocess

    from signing.pkcs11_keystore import find_softhsm_library

    util = require_tool("softhsm2-util", "softhsm2")
    library = find_softhsm_library()
    if library is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("libsofthsm2.so not found although softhsm2-util is installed")
        pytest.skip("libsofthsm2.so not found")
    (directory / "tokens").mkdir()
    config = directory / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {directory / 'tokens'}\n"
        "objectstore.backend = file\n"
        "log.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(config)  # read by the module when it initialises
    for label, pin in SOFTHSM_TOKENS.items():
        subprocess.run(
            [
                util,
                "--init-token",
                "--free",
                "--label",
                label,
                "--pin",
                pin,
                "--so-pin",
                "87654321",
            ],
            check=True,
            capture_output=True,
        )
    return library
