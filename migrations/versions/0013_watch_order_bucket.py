"""watch: a coarse alphabetical bucket per disclosed record, for the enumeration signal

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 20:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Records opened A to Z are a scraper's walk; the window notes the first two letters of
    each record's name as a number (0-675), never the name."""
    with op.batch_alter_table("watch_disclosures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_bucket", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("watch_disclosures", schema=None) as batch_op:
        batch_op.drop_column("order_bucket")
