"""citizen services: reports (crime information, traffic violations with a photo, crimes
against women, police misconduct, suggestions, good work; anonymous tips), their course as
FixMyStreet has it, and their photographs re-encoded without metadata

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "citizen_reports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("citizen_id", sa.String(length=36), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("description", sa.LargeBinary(), nullable=True),
        sa.Column("place", sa.LargeBinary(), nullable=True),
        sa.Column("vehicle_number", sa.LargeBinary(), nullable=True),
        sa.Column("station_id", sa.String(length=36), nullable=False),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("duplicate_of", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("limit_key", sa.String(length=16), nullable=True),
        sa.Column("device_key", sa.String(length=64), nullable=True),
        sa.Column("receipt_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen_accounts.id"],
            name=op.f("fk_citizen_reports_citizen_id_citizen_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdictions.id"],
            name=op.f("fk_citizen_reports_station_id_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_reports")),
    )
    with op.batch_alter_table("citizen_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citizen_reports_citizen_id"), ["citizen_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_citizen_reports_jurisdiction_path"), ["jurisdiction_path"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_citizen_reports_limit_key"), ["limit_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_citizen_reports_device_key"), ["device_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_citizen_reports_receipt_hash"), ["receipt_hash"], unique=True
        )
        batch_op.create_index(
            "ix_citizen_reports_status_created", ["status", "created_at"], unique=False
        )

    op.create_table(
        "citizen_report_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        sa.Column("by_name", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["citizen_reports.id"],
            name=op.f("fk_citizen_report_events_report_id_citizen_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_report_events")),
    )
    with op.batch_alter_table("citizen_report_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citizen_report_events_report_id"), ["report_id"], unique=False
        )

    op.create_table(
        "citizen_report_photos",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("taken_place", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["citizen_reports.id"],
            name=op.f("fk_citizen_report_photos_report_id_citizen_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_report_photos")),
    )
    with op.batch_alter_table("citizen_report_photos", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citizen_report_photos_report_id"), ["report_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("citizen_report_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_report_photos_report_id"))
    op.drop_table("citizen_report_photos")
    with op.batch_alter_table("citizen_report_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_report_events_report_id"))
    op.drop_table("citizen_report_events")
    with op.batch_alter_table("citizen_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_citizen_reports_status_created")
        batch_op.drop_index(batch_op.f("ix_citizen_reports_receipt_hash"))
        batch_op.drop_index(batch_op.f("ix_citizen_reports_device_key"))
        batch_op.drop_index(batch_op.f("ix_citizen_reports_limit_key"))
        batch_op.drop_index(batch_op.f("ix_citizen_reports_jurisdiction_path"))
        batch_op.drop_index(batch_op.f("ix_citizen_reports_citizen_id"))
    op.drop_table("citizen_reports")
