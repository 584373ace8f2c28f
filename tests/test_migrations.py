"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel


def test_models_and_migrations_agree(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_alembic_version_is_at_head(migrated_engine: Engine) -> None:
    from alembic.script import ScriptDirectory

    from registration.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config(migrated_engine)).get_current_head()
    with migrated_engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
    assert "application_event" in inspect(migrated_engine).get_table_names()
