"""patrol: check-ins at check-in points (signed daily QR codes, geofenced), the coverage check's
runs and each beat's last presence, and alerts for beats left uncovered

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 14:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "patrol_checkins",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("point_id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("shift_id", sa.String(length=36), nullable=True),
        sa.Column("beat_id", sa.String(length=36), nullable=True),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fixed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("by_name", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["point_id"], ["patrol_points.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["patrol_units.id"]),
        sa.ForeignKeyConstraint(["shift_id"], ["patrol_shifts.id"]),
        sa.ForeignKeyConstraint(["beat_id"], ["patrol_areas.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_patrol_checkins_point_at", "patrol_checkins", ["point_id", "at"])
    op.create_index("ix_patrol_checkins_unit_at", "patrol_checkins", ["unit_id", "at"])
    op.create_index("ix_patrol_checkins_beat_at", "patrol_checkins", ["beat_id", "at"])
    op.create_index(
        "ix_patrol_checkins_jurisdiction_path", "patrol_checkins", ["jurisdiction_path"]
    )
    op.create_table(
        "patrol_beat_presence",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["id"], ["patrol_areas.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "patrol_coverage_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("positions", sa.Integer(), nullable=False),
        sa.Column("beats", sa.Integer(), nullable=False),
        sa.Column("raised", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_patrol_coverage_runs_ran_at", "patrol_coverage_runs", ["ran_at"])
    op.create_table(
        "patrol_beat_alerts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("beat_id", sa.String(length=36), nullable=False),
        sa.Column("station_id", sa.String(length=36), nullable=False),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("last_covered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["beat_id"], ["patrol_areas.id"]),
        sa.ForeignKeyConstraint(["station_id"], ["jurisdictions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_patrol_beat_alerts_status_beat", "patrol_beat_alerts", ["status", "beat_id"]
    )
    op.create_index(
        "ix_patrol_beat_alerts_jurisdiction_path", "patrol_beat_alerts", ["jurisdiction_path"]
    )


def downgrade() -> None:
    op.drop_index("ix_patrol_beat_alerts_jurisdiction_path", table_name="patrol_beat_alerts")
    op.drop_index("ix_patrol_beat_alerts_status_beat", table_name="patrol_beat_alerts")
    op.drop_table("patrol_beat_alerts")
    op.drop_index("ix_patrol_coverage_runs_ran_at", table_name="patrol_coverage_runs")
    op.drop_table("patrol_coverage_runs")
    op.drop_table("patrol_beat_presence")
    op.drop_index("ix_patrol_checkins_jurisdiction_path", table_name="patrol_checkins")
    op.drop_index("ix_patrol_checkins_beat_at", table_name="patrol_checkins")
    op.drop_index("ix_patrol_checkins_unit_at", table_name="patrol_checkins")
    op.drop_index("ix_patrol_checkins_point_at", table_name="patrol_checkins")
    op.drop_table("patrol_checkins")
