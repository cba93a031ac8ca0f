"""arms licences, weapons, licence events and suspension reviews

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str = "id") -> "sa.Column[str]":
    """A non-null text id column (row ids and the foreign keys to them)."""
    return sa.Column(name, sa.String(length=36), nullable=False)


def upgrade() -> None:
    op.create_table(
        "arms_licences",
        _id(),
        sa.Column("licence_number", sa.String(length=64), nullable=False),
        sa.Column("uin", sa.String(length=32), nullable=False),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("holder_father_name", sa.String(length=200), nullable=True),
        sa.Column("holder_birth_year", sa.Integer(), nullable=True),
        sa.Column("holder_address", sa.LargeBinary(), nullable=True),
        sa.Column("holder_phone", sa.LargeBinary(), nullable=True),
        sa.Column("holder_phone_bidx", sa.String(length=16), nullable=True),
        sa.Column("person_id", sa.String(length=36), nullable=True),
        sa.Column("grounds", sa.String(length=32), nullable=False),
        sa.Column("area_of_validity", sa.String(length=200), nullable=False),
        sa.Column("issuing_authority", sa.String(length=200), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        _id("station_id"),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_arms_licences_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdictions.id"],
            name=op.f("fk_arms_licences_station_id_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arms_licences")),
        sa.UniqueConstraint("licence_number", name=op.f("uq_arms_licences_licence_number")),
        sa.UniqueConstraint("uin", name=op.f("uq_arms_licences_uin")),
    )
    with op.batch_alter_table("arms_licences", schema=None) as batch_op:
        for column in ("holder_phone_bidx", "jurisdiction_path", "person_id", "valid_until"):
            batch_op.create_index(batch_op.f(f"ix_arms_licences_{column}"), [column], unique=False)

    op.create_table(
        "arms_holder_name_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _id("licence_id"),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["licence_id"],
            ["arms_licences.id"],
            name=op.f("fk_arms_holder_name_keys_licence_id_arms_licences"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arms_holder_name_keys")),
    )
    with op.batch_alter_table("arms_holder_name_keys", schema=None) as batch_op:
        batch_op.create_index("ix_arms_holder_name_keys_key", ["key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_arms_holder_name_keys_licence_id"), ["licence_id"], unique=False
        )

    op.create_table(
        "arms_licence_events",
        _id(),
        _id("licence_id"),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("order_reference", sa.String(length=100), nullable=True),
        sa.Column("changed_fields", sa.String(length=500), nullable=True),
        sa.Column("snapshot", sa.LargeBinary(), nullable=True),
        sa.Column("by", sa.String(length=36), nullable=True),
        sa.Column("by_name", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["licence_id"],
            ["arms_licences.id"],
            name=op.f("fk_arms_licence_events_licence_id_arms_licences"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arms_licence_events")),
        sa.UniqueConstraint(
            "licence_id", "version", name=op.f("uq_arms_licence_events_licence_id")
        ),
    )
    with op.batch_alter_table("arms_licence_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_arms_licence_events_licence_id"), ["licence_id"], unique=False
        )

    op.create_table(
        "arms_licence_reviews",
        _id(),
        _id("licence_id"),
        _id("case_id"),
        _id("person_id"),
        sa.Column("party_role", sa.String(length=32), nullable=False),
        sa.Column("match", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("decided_by_name", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        _id("station_id"),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_arms_licence_reviews_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["licence_id"],
            ["arms_licences.id"],
            name=op.f("fk_arms_licence_reviews_licence_id_arms_licences"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_arms_licence_reviews_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdictions.id"],
            name=op.f("fk_arms_licence_reviews_station_id_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arms_licence_reviews")),
        sa.UniqueConstraint(
            "licence_id", "case_id", name=op.f("uq_arms_licence_reviews_licence_id")
        ),
    )
    with op.batch_alter_table("arms_licence_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_arms_licence_reviews_jurisdiction_path"),
            ["jurisdiction_path"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_arms_licence_reviews_licence_id"), ["licence_id"], unique=False
        )

    op.create_table(
        "arms_weapons",
        _id(),
        _id("licence_id"),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("make", sa.String(length=100), nullable=False),
        sa.Column("bore", sa.String(length=32), nullable=False),
        sa.Column("serial", sa.LargeBinary(), nullable=False),
        sa.Column("serial_bidx", sa.String(length=16), nullable=False),
        sa.Column("endorsed_on", sa.Date(), nullable=False),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["licence_id"],
            ["arms_licences.id"],
            name=op.f("fk_arms_weapons_licence_id_arms_licences"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arms_weapons")),
    )
    with op.batch_alter_table("arms_weapons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_arms_weapons_licence_id"), ["licence_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_arms_weapons_serial_bidx"), ["serial_bidx"], unique=False
        )


def downgrade() -> None:
    for table in (
        "arms_weapons",
        "arms_licence_reviews",
        "arms_licence_events",
        "arms_holder_name_keys",
        "arms_licences",
    ):
        # Dropping a table drops its indexes with it, on SQLite and PostgreSQL alike.
        op.drop_table(table)
