"""name keys rebuilt again: d folded with t (Telugu typists write ధ and థ either way), the
first letter read after a left-out h, vowel-class keys without doubled letters

Recomputes every person's keys as 0032 does, with the installed key function (a migration is
self-contained, so the rebuild is 0032's, repeated).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 18:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Persons read and keyed per round trip: a million persons in about two hundred rounds.
_BATCH = 5000

_persons = sa.table(
    "persons",
    sa.column("id", sa.String),
    sa.column("name", sa.String),
    sa.column("name_te", sa.String),
)
_aliases = sa.table(
    "person_aliases", sa.column("person_id", sa.String), sa.column("name", sa.String)
)
_keys = sa.table("person_name_keys", sa.column("person_id", sa.String), sa.column("key", sa.String))


def _rebuild() -> None:
    # Imported here: the migration uses whatever key function the installed package has.
    from kotwal.records.names import name_keys

    connection = op.get_bind()
    connection.execute(sa.delete(_keys))
    after = ""
    while True:
        rows = connection.execute(
            sa.select(_persons.c.id, _persons.c.name, _persons.c.name_te)
            .where(_persons.c.id > after)
            .order_by(_persons.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        ids = [row.id for row in rows]
        spellings: dict[str, list[str]] = {
            row.id: [s for s in (row.name, row.name_te) if s] for row in rows
        }
        aliases = connection.execute(
            sa.select(_aliases.c.person_id, _aliases.c.name).where(_aliases.c.person_id.in_(ids))
        )
        for person_id, alias in aliases:
            if alias:
                spellings[person_id].append(alias)
        new = [
            {"person_id": person_id, "key": key}
            for person_id, names in spellings.items()
            for key in sorted(set().union(*(name_keys(n) for n in names if n.strip())))
        ]
        if new:
            connection.execute(sa.insert(_keys), new)
        after = ids[-1]


def upgrade() -> None:
    _rebuild()


def downgrade() -> None:
    _rebuild()
