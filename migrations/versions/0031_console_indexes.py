"""console: indexes for the start page's figures (issue 25): persons by status and station
(absconding persons per station), cases by date of registration and parties by the date they
were named (this month's), the disclosure window by time (records released per hour)

Revision ID: 0031
Revises: 0033
Create Date: 2026-12-07 18:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0031"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_persons_status_station", "persons", ["status", "station_id"]),
    ("ix_cases_registered_on", "cases", ["registered_on"]),
    ("ix_case_parties_role_on", "case_parties", ["role_on"]),
    ("ix_watch_disclosures_at", "watch_disclosures", ["at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
