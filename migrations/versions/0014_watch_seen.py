"""watch: distinct records per account in watch_seen, one index entry per disclosure

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 03:00:00.000000
"""

import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The kinds charged to a budget (the setting's default, unless the environment sets it).
COUNTED = frozenset(
    k.strip()
    for k in os.environ.get("KOTWAL_WATCH_COUNTED_KINDS", "record,list,photo").split(",")
    if k.strip()
)
ROWS_AT_ONCE = 5000


def upgrade() -> None:
    """The budget counted distinct records by reading back every row of the account's day;
    ``watch_seen`` keeps one row per account and record, with the latest time of each fact.
    It is filled from the window's rows of the last two days, so no budget starts afresh."""
    op.create_table(
        "watch_seen",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("charged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outside_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("photo_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("listed_batch", sa.String(length=36), nullable=True),
        sa.Column("listed_position", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "record_id"),
    )
    op.create_index("ix_watch_seen_account_charged", "watch_seen", ["account_id", "charged_at"])
    op.create_index("ix_watch_seen_account_photo", "watch_seen", ["account_id", "photo_at"])
    op.create_index(
        "ix_watch_disclosures_batches",
        "watch_disclosures",
        ["account_id", "kind", "at"],
        sqlite_where=sa.text("position = 0"),
        postgresql_where=sa.text("position = 0"),
    )
    _backfill()


def _backfill() -> None:
    bind = op.get_bind()
    when = sa.DateTime(timezone=True)
    wd = sa.table(
        "watch_disclosures",
        *(sa.column(c) for c in ("id", "account_id", "record_id", "kind", "batch", "position")),
        sa.column("out_of_jurisdiction", sa.Boolean()),
        sa.column("public_only", sa.Boolean()),
        sa.column("at", when),
    )
    since = datetime.now(UTC) - timedelta(days=2)
    facts: dict[tuple[str, str], dict[str, Any]] = {}
    rows = bind.execute(sa.select(wd).where(wd.c.at >= since).order_by(wd.c.id))
    for row in rows:
        key = (row.account_id, row.record_id)
        fact = facts.setdefault(key, {"account_id": key[0], "record_id": key[1]} | _EMPTY)
        at = row.at
        fact["seen_at"] = at
        charged = row.kind in COUNTED and not row.public_only
        if charged:
            fact["charged_at"] = at
            if row.out_of_jurisdiction:
                fact["outside_at"] = at
        if row.kind == "photo":
            fact["photo_at"] = at
        if row.kind == "list":
            fact["listed_at"], fact["listed_batch"] = at, row.batch
            fact["listed_position"] = row.position
    seen = sa.table(
        "watch_seen",
        *(sa.column(c) for c in ("account_id", "record_id", "listed_batch", "listed_position")),
        *(sa.column(c, when) for c in ("seen_at", "charged_at", "outside_at", "photo_at")),
        sa.column("listed_at", when),
    )
    values = list(facts.values())
    for start in range(0, len(values), ROWS_AT_ONCE):
        bind.execute(sa.insert(seen), values[start : start + ROWS_AT_ONCE])


_EMPTY: dict[str, Any] = dict.fromkeys(
    ("seen_at", "charged_at", "outside_at", "photo_at", "listed_at", "listed_batch",
     "listed_position")
)  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_watch_disclosures_batches", table_name="watch_disclosures")
    op.drop_table("watch_seen")
