"""citizen services: lost mobile phones by IMEI (Luhn-checked, found by a keyed blind index,
sealed), where and when lost, routed to a station when a place is given

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 15:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "citizen_lost_phones",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("citizen_id", sa.String(length=36), nullable=True),
        sa.Column("imei_key", sa.String(length=16), nullable=False),
        sa.Column("imei", sa.LargeBinary(), nullable=True),
        sa.Column("make_model", sa.LargeBinary(), nullable=True),
        sa.Column("place", sa.LargeBinary(), nullable=True),
        sa.Column("lost_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("station_id", sa.String(length=36), nullable=True),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen_accounts.id"],
            name=op.f("fk_citizen_lost_phones_citizen_id_citizen_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdictions.id"],
            name=op.f("fk_citizen_lost_phones_station_id_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_lost_phones")),
    )
    with op.batch_alter_table("citizen_lost_phones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citizen_lost_phones_citizen_id"), ["citizen_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_citizen_lost_phones_imei_key"), ["imei_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_citizen_lost_phones_jurisdiction_path"),
            ["jurisdiction_path"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("citizen_lost_phones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_lost_phones_jurisdiction_path"))
        batch_op.drop_index(batch_op.f("ix_citizen_lost_phones_imei_key"))
        batch_op.drop_index(batch_op.f("ix_citizen_lost_phones_citizen_id"))
    op.drop_table("citizen_lost_phones")
