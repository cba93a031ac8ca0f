"""patrol: station areas and beats, check-in points, units with their status history, shifts
and crews, trackers, and positions (the track and the latest per unit)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 06:20:55.243940
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "patrol_areas",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("station_id", sa.String(length=36), nullable=False),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["patrol_areas.id"], name=op.f("fk_patrol_areas_parent_id_patrol_areas")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdictions.id"],
            name=op.f("fk_patrol_areas_station_id_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_areas")),
        sa.UniqueConstraint("code", name=op.f("uq_patrol_areas_code")),
    )
    with op.batch_alter_table("patrol_areas", schema=None) as batch_op:
        batch_op.create_index(
            "ix_patrol_areas_bbox", ["min_lon", "max_lon", "min_lat", "max_lat"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_patrol_areas_jurisdiction_path"), ["jurisdiction_path"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_patrol_areas_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index("ix_patrol_areas_station_kind", ["station_id", "kind"], unique=False)

    op.create_table(
        "patrol_units",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("call_sign", sa.String(length=32), nullable=False),
        sa.Column("vehicle_number", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("station_id", sa.String(length=36), nullable=False),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdictions.id"],
            name=op.f("fk_patrol_units_station_id_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_units")),
        sa.UniqueConstraint("call_sign", name=op.f("uq_patrol_units_call_sign")),
        sa.UniqueConstraint("vehicle_number", name=op.f("uq_patrol_units_vehicle_number")),
    )
    with op.batch_alter_table("patrol_units", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patrol_units_jurisdiction_path"), ["jurisdiction_path"], unique=False
        )

    op.create_table(
        "patrol_devices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["patrol_units.id"], name=op.f("fk_patrol_devices_unit_id_patrol_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_devices")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_patrol_devices_token_hash")),
    )
    with op.batch_alter_table("patrol_devices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patrol_devices_jurisdiction_path"), ["jurisdiction_path"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_patrol_devices_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "patrol_points",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.String(length=36), nullable=False),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.Column("beat_id", sa.String(length=36), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["beat_id"], ["patrol_areas.id"], name=op.f("fk_patrol_points_beat_id_patrol_areas")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdictions.id"],
            name=op.f("fk_patrol_points_station_id_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_points")),
    )
    with op.batch_alter_table("patrol_points", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_points_beat_id"), ["beat_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_patrol_points_jurisdiction_path"), ["jurisdiction_path"], unique=False
        )
        batch_op.create_index("ix_patrol_points_lat_lon", ["lat", "lon"], unique=False)

    op.create_table(
        "patrol_shifts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("beat_id", sa.String(length=36), nullable=True),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["beat_id"], ["patrol_areas.id"], name=op.f("fk_patrol_shifts_beat_id_patrol_areas")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["patrol_units.id"], name=op.f("fk_patrol_shifts_unit_id_patrol_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_shifts")),
    )
    with op.batch_alter_table("patrol_shifts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patrol_shifts_jurisdiction_path"), ["jurisdiction_path"], unique=False
        )
        batch_op.create_index(
            "ix_patrol_shifts_unit_starts", ["unit_id", "starts_at"], unique=False
        )

    op.create_table(
        "patrol_unit_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("previous", sa.String(length=16), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("by_id", sa.String(length=36), nullable=True),
        sa.Column("by_name", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["patrol_units.id"],
            name=op.f("fk_patrol_unit_events_unit_id_patrol_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_unit_events")),
    )
    with op.batch_alter_table("patrol_unit_events", schema=None) as batch_op:
        batch_op.create_index("ix_patrol_unit_events_unit_at", ["unit_id", "at"], unique=False)

    op.create_table(
        "patrol_latest_positions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.Column("fixed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("speed", sa.Float(), nullable=True),
        sa.Column("bearing", sa.Float(), nullable=True),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("battery", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["patrol_devices.id"],
            name=op.f("fk_patrol_latest_positions_device_id_patrol_devices"),
        ),
        sa.ForeignKeyConstraint(
            ["id"], ["patrol_units.id"], name=op.f("fk_patrol_latest_positions_id_patrol_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_latest_positions")),
    )
    with op.batch_alter_table("patrol_latest_positions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patrol_latest_positions_jurisdiction_path"),
            ["jurisdiction_path"],
            unique=False,
        )

    op.create_table(
        "patrol_positions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("fixed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("speed", sa.Float(), nullable=True),
        sa.Column("bearing", sa.Float(), nullable=True),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("battery", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["patrol_devices.id"],
            name=op.f("fk_patrol_positions_device_id_patrol_devices"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["patrol_units.id"], name=op.f("fk_patrol_positions_unit_id_patrol_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_positions")),
    )
    with op.batch_alter_table("patrol_positions", schema=None) as batch_op:
        batch_op.create_index("ix_patrol_positions_received", ["received_at"], unique=False)
        batch_op.create_index(
            "ix_patrol_positions_unit_fixed", ["unit_id", "fixed_at"], unique=False
        )

    op.create_table(
        "patrol_shift_crew",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("shift_id", sa.String(length=36), nullable=False),
        sa.Column("officer_id", sa.String(length=36), nullable=False),
        sa.Column("duty", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_patrol_shift_crew_officer_id_officers")
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["patrol_shifts.id"],
            name=op.f("fk_patrol_shift_crew_shift_id_patrol_shifts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_shift_crew")),
    )
    with op.batch_alter_table("patrol_shift_crew", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patrol_shift_crew_officer_id"), ["officer_id"], unique=False
        )
        batch_op.create_index("ix_patrol_shift_crew_shift", ["shift_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("patrol_shift_crew", schema=None) as batch_op:
        batch_op.drop_index("ix_patrol_shift_crew_shift")
        batch_op.drop_index(batch_op.f("ix_patrol_shift_crew_officer_id"))

    op.drop_table("patrol_shift_crew")
    with op.batch_alter_table("patrol_positions", schema=None) as batch_op:
        batch_op.drop_index("ix_patrol_positions_unit_fixed")
        batch_op.drop_index("ix_patrol_positions_received")

    op.drop_table("patrol_positions")
    with op.batch_alter_table("patrol_latest_positions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_latest_positions_jurisdiction_path"))

    op.drop_table("patrol_latest_positions")
    with op.batch_alter_table("patrol_unit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_patrol_unit_events_unit_at")

    op.drop_table("patrol_unit_events")
    with op.batch_alter_table("patrol_shifts", schema=None) as batch_op:
        batch_op.drop_index("ix_patrol_shifts_unit_starts")
        batch_op.drop_index(batch_op.f("ix_patrol_shifts_jurisdiction_path"))

    op.drop_table("patrol_shifts")
    with op.batch_alter_table("patrol_points", schema=None) as batch_op:
        batch_op.drop_index("ix_patrol_points_lat_lon")
        batch_op.drop_index(batch_op.f("ix_patrol_points_jurisdiction_path"))
        batch_op.drop_index(batch_op.f("ix_patrol_points_beat_id"))

    op.drop_table("patrol_points")
    with op.batch_alter_table("patrol_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_devices_unit_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_devices_jurisdiction_path"))

    op.drop_table("patrol_devices")
    with op.batch_alter_table("patrol_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_units_jurisdiction_path"))

    op.drop_table("patrol_units")
    with op.batch_alter_table("patrol_areas", schema=None) as batch_op:
        batch_op.drop_index("ix_patrol_areas_station_kind")
        batch_op.drop_index(batch_op.f("ix_patrol_areas_parent_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_areas_jurisdiction_path"))
        batch_op.drop_index("ix_patrol_areas_bbox")
