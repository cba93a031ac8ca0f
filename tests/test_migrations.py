"""The schema is made by migrations alone, and the migrations match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kotwal.core.db import Database
from kotwal.core.migrate import head_revision, is_current
from kotwal.tables import metadata


def test_database_is_at_the_head_revision(db: Database) -> None:
    assert head_revision(db.engine) is not None
    assert is_current(db.engine)


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, metadata)
    assert diff == []
