"""Alembic environment: runs on the engine the application hands over (see `db.alembic_config`)."""

from alembic import context
from sqlmodel import SQLModel

# Importing the model modules registers their tables on SQLModel.metadata.
import registration.models  # noqa: F401

target_metadata = SQLModel.metadata
engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
