"""archive renewal: the issued file's hash kept when a licence is renewed (B-LTA), when each
stored document's newest timestamp expires, and every renewal

Revision ID: 0020_archive_renewal
Revises: 0019_client_reference
Create Date: 2026-12-05 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from registration.db import UtcDateTime

revision: str = "0020_archive_renewal"
down_revision: str | None = "0019_client_reference"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("licence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("issued_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("issued_size", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("archive_expires_at", UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_licence_archive_expires_at", ["archive_expires_at"])
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("archive_expires_at", UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_notice_archive_expires_at", ["archive_expires_at"])
    op.create_table(
        "archive_renewal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("document_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("previous_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("previous_size", sa.Integer(), nullable=False),
        sa.Column("previous_expires_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("timestamp_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("renewed_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document", "document_id", "seq", name="uq_archive_renewal_seq"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_archive_renewal_document", "archive_renewal", ["document", "document_id"])
    op.create_index("ix_archive_renewal_previous_sha256", "archive_renewal", ["previous_sha256"])


def downgrade() -> None:
    op.drop_table("archive_renewal")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_archive_expires_at")
        batch_op.drop_column("archive_expires_at")
    with op.batch_alter_table("licence", schema=None) as batch_op:
        batch_op.drop_index("ix_licence_archive_expires_at")
        batch_op.drop_column("archive_expires_at")
        batch_op.drop_column("issued_size")
        batch_op.drop_column("issued_sha256")
