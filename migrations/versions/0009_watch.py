"""disclosure budgets, signals, alerts and suspensions

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: 64-bit keys on PostgreSQL; SQLite's autoincrement needs the INTEGER rowid alias.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """The disclosure window, alerts with their records, suspensions; an account's suspension
    flag and a session's step-up state."""
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("suspended", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("step_up_required", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("stepped_up_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "watch_disclosures",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=True),
        sa.Column("batch", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("resource_type", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("out_of_jurisdiction", sa.Boolean(), nullable=False),
        sa.Column("public_only", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_disclosures")),
    )
    op.create_index(
        "ix_watch_disclosures_account_at", "watch_disclosures", ["account_id", "at"], unique=False
    )

    op.create_table(
        "watch_alerts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=True),
        sa.Column("session_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("signals", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=36), nullable=True),
        sa.Column("close_reason", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_watch_alerts_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_alerts")),
    )
    op.create_index(
        op.f("ix_watch_alerts_account_id"), "watch_alerts", ["account_id"], unique=False
    )
    op.create_index(
        "ix_watch_alerts_status_created", "watch_alerts", ["status", "created_at"], unique=False
    )

    op.create_table(
        "watch_alert_records",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=64), nullable=True),
        sa.Column("withheld", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["watch_alerts.id"],
            name=op.f("fk_watch_alert_records_alert_id_watch_alerts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_alert_records")),
        sa.UniqueConstraint("alert_id", "record_id", name=op.f("uq_watch_alert_records_alert_id")),
    )
    op.create_index(
        op.f("ix_watch_alert_records_alert_id"),
        "watch_alert_records",
        ["alert_id"],
        unique=False,
    )

    op.create_table(
        "watch_suspensions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("alert_id", sa.String(length=36), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=36), nullable=True),
        sa.Column("lift_reason", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_watch_suspensions_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["watch_alerts.id"],
            name=op.f("fk_watch_suspensions_alert_id_watch_alerts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_suspensions")),
    )
    op.create_index(
        op.f("ix_watch_suspensions_account_id"), "watch_suspensions", ["account_id"], unique=False
    )
    op.create_index(
        op.f("ix_watch_suspensions_alert_id"), "watch_suspensions", ["alert_id"], unique=False
    )


def downgrade() -> None:
    """Drop the breach defences' tables and the two identity columns."""
    op.drop_index(op.f("ix_watch_suspensions_alert_id"), table_name="watch_suspensions")
    op.drop_index(op.f("ix_watch_suspensions_account_id"), table_name="watch_suspensions")
    op.drop_table("watch_suspensions")
    op.drop_index(op.f("ix_watch_alert_records_alert_id"), table_name="watch_alert_records")
    op.drop_table("watch_alert_records")
    op.drop_index("ix_watch_alerts_status_created", table_name="watch_alerts")
    op.drop_index(op.f("ix_watch_alerts_account_id"), table_name="watch_alerts")
    op.drop_table("watch_alerts")
    op.drop_index("ix_watch_disclosures_account_at", table_name="watch_disclosures")
    op.drop_table("watch_disclosures")
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_column("stepped_up_at")
        batch_op.drop_column("step_up_required")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("suspended")
