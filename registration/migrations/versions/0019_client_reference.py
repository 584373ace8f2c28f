"""client reference: a client's own name for an application, unique per client

Revision ID: 0019_client_reference
Revises: 0018_key_rotation
Create Date: 2026-12-05 08:52:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0019_client_reference"
down_revision: str | None = "0018_key_rotation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "client_reference", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
            )
        )
        batch_op.create_index(
            "ix_application_client_reference", ["client_id", "client_reference"], unique=True
        )
        batch_op.create_index("ix_application_client_created", ["client_id", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_index("ix_application_client_created")
        batch_op.drop_index("ix_application_client_reference")
        batch_op.drop_column("client_reference")
