"""face recognition: galleries, sealed embeddings, calibrations

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Gallery faces (template sealed as SECRET, removals kept as rows) and calibrations."""
    op.create_table(
        "frs_faces",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("gallery", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column("quality", sa.Float(), nullable=False),
        sa.Column("detector", sa.String(length=8), nullable=False),
        sa.Column("photo_sha256", sa.String(length=64), nullable=False),
        sa.Column("enrolled_by", sa.String(length=36), nullable=True),
        sa.Column("enrolled_by_name", sa.String(length=64), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by_name", sa.String(length=64), nullable=True),
        sa.Column("removal_reason", sa.String(length=300), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_frs_faces_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frs_faces")),
    )
    with op.batch_alter_table("frs_faces", schema=None) as batch_op:
        batch_op.create_index("ix_frs_faces_person", ["person_id"], unique=False)
        batch_op.create_index("ix_frs_faces_changed", ["changed_at"], unique=False)

    op.create_table(
        "frs_calibrations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("target_fmr", sa.Float(), nullable=False),
        sa.Column("fmr", sa.Float(), nullable=False),
        sa.Column("fnmr", sa.Float(), nullable=False),
        sa.Column("identities", sa.Integer(), nullable=False),
        sa.Column("genuine_pairs", sa.Integer(), nullable=False),
        sa.Column("impostor_pairs", sa.Integer(), nullable=False),
        sa.Column("created_by_name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frs_calibrations")),
    )
    with op.batch_alter_table("frs_calibrations", schema=None) as batch_op:
        batch_op.create_index("ix_frs_calibrations_model", ["model", "created_at"], unique=False)


def downgrade() -> None:
    """Drop the face recognition tables (templates go with them)."""
    with op.batch_alter_table("frs_calibrations", schema=None) as batch_op:
        batch_op.drop_index("ix_frs_calibrations_model")
    op.drop_table("frs_calibrations")
    with op.batch_alter_table("frs_faces", schema=None) as batch_op:
        batch_op.drop_index("ix_frs_faces_changed")
        batch_op.drop_index("ix_frs_faces_person")
    op.drop_table("frs_faces")
