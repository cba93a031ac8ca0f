"""citizen services: accounts by mobile number and login codes, device sessions, the identity
vault, Travel Made Safe trips with their positions and tombstones

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "citizen_accounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number_key", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_accounts")),
        sa.UniqueConstraint("number_key", name=op.f("uq_citizen_accounts_number_key")),
    )
    op.create_table(
        "citizen_otps",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number_key", sa.String(length=16), nullable=False),
        sa.Column("device_key", sa.String(length=64), nullable=False),
        sa.Column("client_addr", sa.String(length=64), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("demo_code", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_otps")),
    )
    with op.batch_alter_table("citizen_otps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citizen_otps_client_addr"), ["client_addr"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_citizen_otps_device_key"), ["device_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_citizen_otps_number_key"), ["number_key"], unique=False
        )

    op.create_table(
        "citizen_trip_tombstones",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("trip_id", sa.String(length=36), nullable=False),
        sa.Column("data_key_id", sa.String(length=36), nullable=False),
        sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_trip_tombstones")),
        sa.UniqueConstraint("trip_id", name=op.f("uq_citizen_trip_tombstones_trip_id")),
    )
    op.create_table(
        "citizen_emergency_contacts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("citizen_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.LargeBinary(), nullable=False),
        sa.Column("mobile", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen_accounts.id"],
            name=op.f("fk_citizen_emergency_contacts_citizen_id_citizen_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_emergency_contacts")),
    )
    with op.batch_alter_table("citizen_emergency_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citizen_emergency_contacts_citizen_id"), ["citizen_id"], unique=False
        )

    op.create_table(
        "citizen_identities",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("citizen_id", sa.String(length=36), nullable=False),
        sa.Column("mobile", sa.LargeBinary(), nullable=False),
        sa.Column("name", sa.LargeBinary(), nullable=True),
        sa.Column("email", sa.LargeBinary(), nullable=True),
        sa.Column("address", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen_accounts.id"],
            name=op.f("fk_citizen_identities_citizen_id_citizen_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_identities")),
        sa.UniqueConstraint("citizen_id", name=op.f("uq_citizen_identities_citizen_id")),
    )
    op.create_table(
        "citizen_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("citizen_id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("device_label", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(length=40), nullable=True),
        sa.Column("client_addr", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen_accounts.id"],
            name=op.f("fk_citizen_sessions_citizen_id_citizen_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_citizen_sessions_token_hash")),
    )
    with op.batch_alter_table("citizen_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citizen_sessions_citizen_id"), ["citizen_id"], unique=False
        )

    op.create_table(
        "citizen_trips",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("citizen_id", sa.String(length=36), nullable=True),
        sa.Column("vehicle_number", sa.LargeBinary(), nullable=True),
        sa.Column("origin", sa.LargeBinary(), nullable=True),
        sa.Column("destination", sa.LargeBinary(), nullable=True),
        sa.Column("expected_arrival", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shred_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shredded_key", sa.String(length=36), nullable=True),
        sa.Column("positions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen_accounts.id"],
            name=op.f("fk_citizen_trips_citizen_id_citizen_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_trips")),
    )
    with op.batch_alter_table("citizen_trips", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citizen_trips_citizen_id"), ["citizen_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_citizen_trips_shred_after"), ["shred_after"], unique=False
        )

    op.create_table(
        "citizen_trip_positions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("trip_id", sa.String(length=36), nullable=False),
        sa.Column("fix", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["trip_id"],
            ["citizen_trips.id"],
            name=op.f("fk_citizen_trip_positions_trip_id_citizen_trips"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_trip_positions")),
    )
    with op.batch_alter_table("citizen_trip_positions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citizen_trip_positions_trip_id"), ["trip_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("citizen_trip_positions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_trip_positions_trip_id"))

    op.drop_table("citizen_trip_positions")
    with op.batch_alter_table("citizen_trips", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_trips_shred_after"))
        batch_op.drop_index(batch_op.f("ix_citizen_trips_citizen_id"))

    op.drop_table("citizen_trips")
    with op.batch_alter_table("citizen_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_sessions_citizen_id"))

    op.drop_table("citizen_sessions")
    op.drop_table("citizen_identities")
    with op.batch_alter_table("citizen_emergency_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_emergency_contacts_citizen_id"))

    op.drop_table("citizen_emergency_contacts")
    op.drop_table("citizen_trip_tombstones")
    with op.batch_alter_table("citizen_otps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_otps_number_key"))
        batch_op.drop_index(batch_op.f("ix_citizen_otps_device_key"))
        batch_op.drop_index(batch_op.f("ix_citizen_otps_client_addr"))

    op.drop_table("citizen_otps")
    op.drop_table("citizen_accounts")
