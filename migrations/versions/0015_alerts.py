"""alerts: the DLT registry (entities, headers, templates, allow-list, consents), public alerts
with their areas, and the outbox

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Children first, for the downgrade.
TABLES = (
    "public_alert_areas",
    "alert_outbox",
    "public_alerts",
    "alert_consents",
    "alert_templates",
    "alert_headers",
    "alert_allow_list",
    "alert_entities",
)


def upgrade() -> None:
    op.create_table(
        "alert_entities",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("pe_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_entities")),
        sa.UniqueConstraint("pe_id", name=op.f("uq_alert_entities_pe_id")),
    )
    op.create_table(
        "alert_allow_list",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["alert_entities.id"],
            name=op.f("fk_alert_allow_list_entity_id_alert_entities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_allow_list")),
        sa.UniqueConstraint(
            "entity_id", "kind", "value", name=op.f("uq_alert_allow_list_entity_id")
        ),
    )
    op.create_table(
        "alert_headers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("header", sa.String(length=11), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["alert_entities.id"],
            name=op.f("fk_alert_headers_entity_id_alert_entities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_headers")),
        sa.UniqueConstraint("header", name=op.f("uq_alert_headers_header")),
    )
    with op.batch_alter_table("alert_headers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_headers_entity_id"), ["entity_id"], unique=False)

    op.create_table(
        "alert_templates",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("dlt_template_id", sa.String(length=32), nullable=False),
        sa.Column("header_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("variables", sa.String(length=200), nullable=False),
        sa.Column("daily_cap", sa.Integer(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["header_id"],
            ["alert_headers.id"],
            name=op.f("fk_alert_templates_header_id_alert_headers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_templates")),
        sa.UniqueConstraint("dlt_template_id", name=op.f("uq_alert_templates_dlt_template_id")),
    )
    with op.batch_alter_table("alert_templates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_templates_header_id"), ["header_id"], unique=False
        )

    op.create_table(
        "alert_consents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("template_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.LargeBinary(), nullable=False),
        sa.Column("number_bidx", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("recorded_by_name", sa.String(length=64), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["alert_templates.id"],
            name=op.f("fk_alert_consents_template_id_alert_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_consents")),
    )
    with op.batch_alter_table("alert_consents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_consents_number_bidx"), ["number_bidx"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alert_consents_template_id"), ["template_id"], unique=False
        )

    op.create_table(
        "public_alerts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("template_id", sa.String(length=36), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("encoding", sa.String(length=8), nullable=False),
        sa.Column("characters", sa.Integer(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("drafted_by", sa.String(length=36), nullable=True),
        sa.Column("drafted_by_name", sa.String(length=64), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approval_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("decided_by_name", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column("jurisdiction_path", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["alert_templates.id"],
            name=op.f("fk_public_alerts_template_id_alert_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_alerts")),
    )
    with op.batch_alter_table("public_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_public_alerts_jurisdiction_path"), ["jurisdiction_path"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_public_alerts_status"), ["status"], unique=False)
        batch_op.create_index(
            "ix_public_alerts_template_decided", ["template_id", "decided_at"], unique=False
        )

    op.create_table(
        "alert_outbox",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("alert_id", sa.String(length=36), nullable=True),
        sa.Column("template_id", sa.String(length=36), nullable=False),
        sa.Column("area_id", sa.String(length=36), nullable=True),
        sa.Column("number", sa.LargeBinary(), nullable=True),
        sa.Column("number_bidx", sa.String(length=16), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("pe_id", sa.String(length=32), nullable=False),
        sa.Column("header", sa.String(length=11), nullable=False),
        sa.Column("dlt_template_id", sa.String(length=32), nullable=False),
        sa.Column("encoding", sa.String(length=8), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["public_alerts.id"], name=op.f("fk_alert_outbox_alert_id_public_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["jurisdictions.id"], name=op.f("fk_alert_outbox_area_id_jurisdictions")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["alert_templates.id"],
            name=op.f("fk_alert_outbox_template_id_alert_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_outbox")),
    )
    with op.batch_alter_table("alert_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_outbox_alert_id"), ["alert_id"], unique=False)
        batch_op.create_index(
            "ix_alert_outbox_number_queued", ["number_bidx", "queued_at"], unique=False
        )
        batch_op.create_index(
            "ix_alert_outbox_template_queued", ["template_id", "queued_at"], unique=False
        )

    op.create_table(
        "public_alert_areas",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.String(length=36), nullable=False),
        sa.Column("jurisdiction_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["public_alerts.id"],
            name=op.f("fk_public_alert_areas_alert_id_public_alerts"),
        ),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id"],
            ["jurisdictions.id"],
            name=op.f("fk_public_alert_areas_jurisdiction_id_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_alert_areas")),
        sa.UniqueConstraint(
            "alert_id", "jurisdiction_id", name=op.f("uq_public_alert_areas_alert_id")
        ),
    )
    with op.batch_alter_table("public_alert_areas", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_public_alert_areas_alert_id"), ["alert_id"], unique=False
        )


def downgrade() -> None:
    for table in TABLES:
        # Dropping a table drops its indexes with it, on SQLite and PostgreSQL alike.
        op.drop_table(table)
