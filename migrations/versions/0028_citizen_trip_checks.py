"""citizen services: Travel Made Safe deviation checks: a trip's route (start and destination
as places, sealed under the trip's key), the deviation found, the check-in asked and its
answer, and the SOS raised when it was not answered

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 15:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("citizen_trips", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("deviation", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("check_in_asked_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("check_in_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("check_in_answered_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("alarm_sos_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("citizen_trips", schema=None) as batch_op:
        batch_op.drop_column("alarm_sos_id")
        batch_op.drop_column("check_in_answered_at")
        batch_op.drop_column("check_in_due_at")
        batch_op.drop_column("check_in_asked_at")
        batch_op.drop_column("deviation")
        batch_op.drop_column("route")
