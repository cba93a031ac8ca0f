"""alerts: subscribers and their areas, the fan-out of an alert to them, and channels that
switch themselves off

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_subscribers",
        sa.Column("number", sa.LargeBinary(), nullable=False),
        sa.Column("number_key", sa.String(length=16), nullable=False),
        sa.Column("categories", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_subscribers")),
        sa.UniqueConstraint("number_key", name=op.f("uq_alert_subscribers_number_key")),
    )
    op.create_table(
        "alert_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscriber_id", sa.String(length=36), nullable=False),
        sa.Column("jurisdiction_id", sa.String(length=36), nullable=True),
        sa.Column("ward_code", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id"],
            ["jurisdictions.id"],
            name=op.f("fk_alert_subscriptions_jurisdiction_id_jurisdictions"),
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["alert_subscribers.id"],
            name=op.f("fk_alert_subscriptions_subscriber_id_alert_subscribers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_subscriptions")),
        sa.UniqueConstraint(
            "subscriber_id",
            "jurisdiction_id",
            "ward_code",
            name=op.f("uq_alert_subscriptions_subscriber_id"),
        ),
    )
    with op.batch_alter_table("alert_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_subscriptions_jurisdiction_id"), ["jurisdiction_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alert_subscriptions_subscriber_id"), ["subscriber_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alert_subscriptions_ward_code"), ["ward_code"], unique=False
        )

    with op.batch_alter_table("alert_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subscriber_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("parent_id", sa.String(length=36), nullable=True))
        batch_op.alter_column("body", existing_type=sa.LargeBinary(), nullable=True)
        batch_op.alter_column("template_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.create_index(
            batch_op.f("ix_alert_outbox_subscriber_id"), ["subscriber_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_alert_outbox_subscriber_id_alert_subscribers"),
            "alert_subscribers",
            ["subscriber_id"],
            ["id"],
        )
    # An alert's message to an area was kind "alert" with no number; it is now kind "area".
    op.execute("UPDATE alert_outbox SET kind = 'area' WHERE kind = 'alert' AND number IS NULL")

    with op.batch_alter_table("alert_consents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number_key", sa.String(length=16), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_alert_consents_number_key"), ["number_key"], unique=False
        )

    op.create_table(
        "alert_channels",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("owner_name", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("disabled_reason", sa.String(length=16), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_by", sa.String(length=36), nullable=True),
        sa.Column("requested_by_name", sa.String(length=64), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_owner", sa.String(length=64), nullable=True),
        sa.Column("requested_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_channels")),
        sa.UniqueConstraint("name", name=op.f("uq_alert_channels_name")),
    )


def downgrade() -> None:
    op.drop_table("alert_channels")
    with op.batch_alter_table("alert_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_consents_number_key"))
        batch_op.drop_column("number_key")
    op.execute("UPDATE alert_outbox SET kind = 'alert' WHERE kind = 'area'")
    op.execute(
        "DELETE FROM alert_submissions WHERE message_id IN (SELECT id FROM alert_outbox"
        " WHERE subscriber_id IS NOT NULL OR body IS NULL)"
    )
    op.execute("DELETE FROM alert_outbox WHERE subscriber_id IS NOT NULL OR body IS NULL")
    with op.batch_alter_table("alert_outbox", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_alert_outbox_subscriber_id_alert_subscribers"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_alert_outbox_subscriber_id"))
        batch_op.alter_column("body", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column("template_id", existing_type=sa.String(length=36), nullable=False)
        batch_op.drop_column("parent_id")
        batch_op.drop_column("subscriber_id")
    op.drop_table("alert_subscriptions")
    op.drop_table("alert_subscribers")
