"""investor tracking, sealed notices, e-mail outbox

Revision ID: 0017_investor_notices
Revises: 0016_company_life
Create Date: 2026-12-05 07:45:12.247998
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import registration.db

revision: str = "0017_investor_notices"
down_revision: str | None = "0016_company_life"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("application_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("to_address", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", registration.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", registration.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", registration.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", registration.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_id", "seq", "kind", name="uq_mail_outbox_change"),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_outbox_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index("ix_mail_outbox_due", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "notice",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("application_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("statement", sa.JSON(), nullable=False),
        sa.Column("created_at", registration.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("signed_at", registration.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_id", "seq", name="uq_notice_application_seq"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notice_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index("ix_notice_unsigned", ["signed_at"], unique=False)

    op.create_table(
        "mail_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("at", registration.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["mail_outbox.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("mail_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_delivery_outbox_id"), ["outbox_id"], unique=False)

    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "tracking_reference", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "tracking_code_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
            )
        )
        batch_op.create_index(
            "ix_application_tracking_reference", ["tracking_reference"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_index("ix_application_tracking_reference")
        batch_op.drop_column("tracking_code_sha256")
        batch_op.drop_column("tracking_reference")

    with op.batch_alter_table("mail_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_delivery_outbox_id"))

    op.drop_table("mail_delivery")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_unsigned")
        batch_op.drop_index(batch_op.f("ix_notice_application_id"))

    op.drop_table("notice")
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_outbox_due")
        batch_op.drop_index(batch_op.f("ix_mail_outbox_application_id"))

    op.drop_table("mail_outbox")
