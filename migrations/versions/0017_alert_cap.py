"""alerts: CAP 1.2 documents (what the drafter wrote for them, and the signed document of an
approved alert as published)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "public_alert_caps",
        sa.Column("alert_id", sa.String(length=36), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("identifier", sa.String(length=64), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document", sa.Text(), nullable=True),
        sa.Column("text_key", sa.String(length=64), nullable=True),
        sa.Column("key_fingerprint", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["public_alerts.id"],
            name=op.f("fk_public_alert_caps_alert_id_public_alerts"),
        ),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_public_alert_caps")),
        sa.UniqueConstraint("identifier", name=op.f("uq_public_alert_caps_identifier")),
    )
    with op.batch_alter_table("public_alert_caps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_public_alert_caps_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_public_alert_caps_text_key"), ["text_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("public_alert_caps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_public_alert_caps_text_key"))
        batch_op.drop_index(batch_op.f("ix_public_alert_caps_expires_at"))
    op.drop_table("public_alert_caps")
