"""`INSERT … ON CONFLICT` for both databases: the insert that loses is the answer to a race."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def insert_for(connection: Connection, table: Any) -> Any:
    """The dialect's INSERT construct, which has `on_conflict_do_nothing/do_update`."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    if connection.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for {connection.dialect.name}")  # pragma: no cover
