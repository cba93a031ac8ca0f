"""officers (records) and station profiles

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "officers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rank", sa.String(length=32), nullable=False),
        sa.Column("belt_number", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.Column("official_phone", sa.String(length=20), nullable=True),
        sa.Column("official_email", sa.String(length=200), nullable=True),
        sa.Column("personal_phone", sa.LargeBinary(), nullable=True),
        sa.Column("personal_address", sa.LargeBinary(), nullable=True),
        sa.Column("account_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_officers_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["jurisdictions.id"], name=op.f("fk_officers_unit_id_jurisdictions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officers")),
        sa.UniqueConstraint("account_id", name=op.f("uq_officers_account_id")),
        sa.UniqueConstraint("belt_number", name=op.f("uq_officers_belt_number")),
    )
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_officers_jurisdiction_path"), ["jurisdiction_path"], unique=False
        )

    op.create_table(
        "officer_name_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("officer_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_officer_name_keys_officer_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer_name_keys")),
    )
    with op.batch_alter_table("officer_name_keys", schema=None) as batch_op:
        batch_op.create_index("ix_officer_name_keys_key", ["key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_officer_name_keys_officer_id"), ["officer_id"], unique=False
        )

    op.create_table(
        "officer_postings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("officer_id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("post", sa.String(length=100), nullable=True),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=True),
        sa.Column("added_by", sa.String(length=36), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_officer_postings_officer_id_officers")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["jurisdictions.id"],
            name=op.f("fk_officer_postings_unit_id_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer_postings")),
    )
    with op.batch_alter_table("officer_postings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_officer_postings_officer_id"), ["officer_id"], unique=False
        )
        batch_op.create_index("ix_officer_postings_unit_open", ["unit_id", "to_date"], unique=False)

    op.create_table(
        "officer_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("officer_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.LargeBinary(), nullable=False),
        sa.Column("changed_fields", sa.String(length=500), nullable=False),
        sa.Column("changed_by", sa.String(length=36), nullable=True),
        sa.Column("changed_by_name", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_officer_versions_officer_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer_versions")),
        sa.UniqueConstraint("officer_id", "version", name=op.f("uq_officer_versions_officer_id")),
    )
    with op.batch_alter_table("officer_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_officer_versions_officer_id"), ["officer_id"], unique=False
        )

    op.create_table(
        "station_profiles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("sho_officer_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["id"], ["jurisdictions.id"], name=op.f("fk_station_profiles_id_jurisdictions")
        ),
        sa.ForeignKeyConstraint(
            ["sho_officer_id"],
            ["officers.id"],
            name=op.f("fk_station_profiles_sho_officer_id_officers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_profiles")),
    )
    with op.batch_alter_table("station_profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_station_profiles_jurisdiction_path"), ["jurisdiction_path"], unique=False
        )

    op.create_table(
        "station_profile_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("station_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("changed_fields", sa.String(length=500), nullable=False),
        sa.Column("changed_by", sa.String(length=36), nullable=True),
        sa.Column("changed_by_name", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["station_profiles.id"],
            name=op.f("fk_station_profile_versions_station_id_station_profiles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_profile_versions")),
        sa.UniqueConstraint(
            "station_id", "version", name=op.f("uq_station_profile_versions_station_id")
        ),
    )
    with op.batch_alter_table("station_profile_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_station_profile_versions_station_id"), ["station_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("station_profile_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_profile_versions_station_id"))
    op.drop_table("station_profile_versions")
    with op.batch_alter_table("station_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_profiles_jurisdiction_path"))
    op.drop_table("station_profiles")
    with op.batch_alter_table("officer_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officer_versions_officer_id"))
    op.drop_table("officer_versions")
    with op.batch_alter_table("officer_postings", schema=None) as batch_op:
        batch_op.drop_index("ix_officer_postings_unit_open")
        batch_op.drop_index(batch_op.f("ix_officer_postings_officer_id"))
    op.drop_table("officer_postings")
    with op.batch_alter_table("officer_name_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officer_name_keys_officer_id"))
        batch_op.drop_index("ix_officer_name_keys_key")
    op.drop_table("officer_name_keys")
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officers_jurisdiction_path"))
    op.drop_table("officers")
