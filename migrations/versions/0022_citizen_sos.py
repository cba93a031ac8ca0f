"""citizen services: SOS (an incident in patrol's queue, acknowledgement, escalation, the
emergency contacts told) and the citizen's positions while it is open, sealed under the SOS's
own key

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 14:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "citizen_sos",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("citizen_id", sa.String(length=36), nullable=True),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("station_id", sa.String(length=36), nullable=False),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_to", sa.String(length=36), nullable=True),
        sa.Column("proposed_units", sa.String(length=400), nullable=True),
        sa.Column("contacts_told", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("shred_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("positions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen_accounts.id"],
            name=op.f("fk_citizen_sos_citizen_id_citizen_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["patrol_incidents.id"],
            name=op.f("fk_citizen_sos_incident_id_patrol_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdictions.id"],
            name=op.f("fk_citizen_sos_station_id_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_sos")),
    )
    with op.batch_alter_table("citizen_sos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_citizen_sos_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_citizen_sos_incident_id"), ["incident_id"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_citizen_sos_jurisdiction_path"), ["jurisdiction_path"], unique=False
        )
        batch_op.create_index("ix_citizen_sos_status_raised", ["status", "raised_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_citizen_sos_shred_after"), ["shred_after"], unique=False
        )

    op.create_table(
        "citizen_sos_positions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sos_id", sa.String(length=36), nullable=False),
        sa.Column("fix", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sos_id"],
            ["citizen_sos.id"],
            name=op.f("fk_citizen_sos_positions_sos_id_citizen_sos"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_sos_positions")),
    )
    with op.batch_alter_table("citizen_sos_positions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citizen_sos_positions_sos_id"), ["sos_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("citizen_sos_positions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_sos_positions_sos_id"))
    op.drop_table("citizen_sos_positions")
    with op.batch_alter_table("citizen_sos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_sos_shred_after"))
        batch_op.drop_index("ix_citizen_sos_status_raised")
        batch_op.drop_index(batch_op.f("ix_citizen_sos_jurisdiction_path"))
        batch_op.drop_index(batch_op.f("ix_citizen_sos_incident_id"))
        batch_op.drop_index(batch_op.f("ix_citizen_sos_citizen_id"))
    op.drop_table("citizen_sos")
