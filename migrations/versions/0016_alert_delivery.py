"""alerts: delivery over SMPP (the outbox's lease and retry columns, the parts the SMSC
accepted, the SMSC link with its sealed password)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("concat_ref", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.String(length=32), nullable=True))
    # Messages queued before this migration are due at once.
    op.execute("UPDATE alert_outbox SET due_at = queued_at")
    with op.batch_alter_table("alert_outbox", schema=None) as batch_op:
        batch_op.alter_column("due_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column("attempts", server_default=None)
        batch_op.create_index("ix_alert_outbox_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "alert_submissions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("smsc_message_id", sa.String(length=65), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("receipt", sa.String(length=16), nullable=True),
        sa.Column("receipt_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["alert_outbox.id"],
            name=op.f("fk_alert_submissions_message_id_alert_outbox"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_submissions")),
        sa.UniqueConstraint("message_id", "part", name=op.f("uq_alert_submissions_message_id")),
    )
    with op.batch_alter_table("alert_submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_submissions_smsc_message_id"), ["smsc_message_id"], unique=False
        )

    op.create_table(
        "alert_smsc",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.String(length=16), nullable=False),
        sa.Column("system_type", sa.String(length=13), nullable=False),
        sa.Column("password", sa.LargeBinary(), nullable=False),
        sa.Column("chain_id", sa.String(length=200), nullable=False),
        sa.Column("binds", sa.Integer(), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_by_name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_smsc")),
        sa.UniqueConstraint("name", name=op.f("uq_alert_smsc_name")),
    )


def downgrade() -> None:
    op.drop_table("alert_smsc")
    with op.batch_alter_table("alert_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_submissions_smsc_message_id"))
    op.drop_table("alert_submissions")
    with op.batch_alter_table("alert_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_outbox_status_due")
        for column in ("last_error", "submitted_at", "concat_ref", "claimed_by", "attempts",
                       "due_at"):  # fmt: skip
            batch_op.drop_column(column)
