"""decoys and the decoy register of copies

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decoy_copies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_by_name", sa.String(length=64), nullable=False),
        sa.Column("destination", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decoy_copies")),
    )
    op.create_table(
        "decoys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("copy_id", sa.String(length=36), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("record_bidx", sa.String(length=16), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("planted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planted_by", sa.String(length=36), nullable=True),
        sa.Column("planted_by_name", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["copy_id"], ["decoy_copies.id"], name=op.f("fk_decoys_copy_id_decoy_copies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decoys")),
    )
    with op.batch_alter_table("decoys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decoys_copy_id"), ["copy_id"], unique=False)
        batch_op.create_index(
            "ix_decoys_resource_bidx", ["resource_type", "record_bidx"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("decoys", schema=None) as batch_op:
        batch_op.drop_index("ix_decoys_resource_bidx")
        batch_op.drop_index(batch_op.f("ix_decoys_copy_id"))
    op.drop_table("decoys")
    op.drop_table("decoy_copies")
