"""face recognition: open-set calibration (issue 24): a calibration may belong to one gallery,
and keeps the impostor tail and genuine scores from which the threshold for a target FPIR at
the gallery's size is chosen

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("frs_calibrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gallery", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("tail", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("frs_calibrations", schema=None) as batch_op:
        batch_op.drop_column("tail")
        batch_op.drop_column("gallery")
