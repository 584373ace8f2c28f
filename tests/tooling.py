"""External tools for tests: skip on a laptop without them, fail under CI (which installs them)."""

from __future__ import annotations

import os
import shutil

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
