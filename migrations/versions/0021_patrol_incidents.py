"""patrol: incidents from Dial 100/112 calls and their course (entered, assigned to a unit, on
scene, closed)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 07:09:26.650552
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "patrol_incidents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("landmark", sa.String(length=200), nullable=True),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("station_id", sa.String(length=36), nullable=False),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.Column("beat_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("on_scene_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["beat_id"], ["patrol_areas.id"], name=op.f("fk_patrol_incidents_beat_id_patrol_areas")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdictions.id"],
            name=op.f("fk_patrol_incidents_station_id_jurisdictions"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["patrol_units.id"], name=op.f("fk_patrol_incidents_unit_id_patrol_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_incidents")),
    )
    with op.batch_alter_table("patrol_incidents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patrol_incidents_jurisdiction_path"), ["jurisdiction_path"], unique=False
        )
        batch_op.create_index(
            "ix_patrol_incidents_status_created", ["status", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_patrol_incidents_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "patrol_incident_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("by_name", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["patrol_incidents.id"],
            name=op.f("fk_patrol_incident_events_incident_id_patrol_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_incident_events")),
    )
    with op.batch_alter_table("patrol_incident_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_patrol_incident_events_incident_at", ["incident_id", "at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("patrol_incident_events", schema=None) as batch_op:
        batch_op.drop_index("ix_patrol_incident_events_incident_at")

    op.drop_table("patrol_incident_events")
    with op.batch_alter_table("patrol_incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_incidents_unit_id"))
        batch_op.drop_index("ix_patrol_incidents_status_created")
        batch_op.drop_index(batch_op.f("ix_patrol_incidents_jurisdiction_path"))

    op.drop_table("patrol_incidents")
