"""watch: reads under a declared purpose go to a supervisor's review queue (watch_purpose_reads)

Revision ID: 0038
Revises: 0031
Create Date: 2026-12-07 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Reads beyond the reader's jurisdiction under a purpose, for supervisors to review
    (issue 18, finding 3)."""
    op.create_table(
        "watch_purpose_reads",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("reader_path", sa.String(length=400), nullable=True),
        sa.Column("purpose", sa.String(length=300), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("resource_type", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("record_ids", sa.Text(), nullable=False),
        sa.Column("to_review", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("reviewed_by", sa.String(length=36), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["reviewed_by"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_watch_purpose_reads_queue", "watch_purpose_reads", ["to_review", "verdict", "at"]
    )
    op.create_index(
        "ix_watch_purpose_reads_account_at", "watch_purpose_reads", ["account_id", "at"]
    )
    op.create_index("ix_watch_purpose_reads_case_number", "watch_purpose_reads", ["case_number"])


def downgrade() -> None:
    op.drop_index("ix_watch_purpose_reads_case_number", table_name="watch_purpose_reads")
    op.drop_index("ix_watch_purpose_reads_account_at", table_name="watch_purpose_reads")
    op.drop_index("ix_watch_purpose_reads_queue", table_name="watch_purpose_reads")
    op.drop_table("watch_purpose_reads")
