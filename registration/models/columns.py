"""Column helpers shared by the tables."""

from __future__ import annotations

from typing import Any

from sqlmodel import Field

from registration.db import UtcDateTime


def utc_field(**kwargs: Any) -> Any:
    """A timezone-aware UTC datetime column (`db.UtcDateTime`)."""
    return Field(sa_type=UtcDateTime, **kwargs)
