"""key rotation: which webhook key signed an outbox row's latest attempt

Revision ID: 0018_key_rotation
Revises: 0017_investor_notices
Create Date: 2026-12-05 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018_key_rotation"
down_revision: str | None = "0017_investor_notices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # `bizreg webhook-key retire` refuses while a pending row was last signed with the key.
    with op.batch_alter_table("webhook_outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("signed_keyid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_outbox", schema=None) as batch_op:
        batch_op.drop_column("signed_keyid")
