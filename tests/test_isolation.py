"""The promise of the ``db`` fixture: every test starts from empty tables, on both backends, and
identities start again as they did after TRUNCATE ... RESTART IDENTITY."""

from __future__ import annotations

from sqlalchemy import func, select

from kotwal.core.db import Database
from kotwal.core.models import AccountRole
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.tables import metadata
from tests.conftest import empty_tables
from tests.factories import build_world, make_officer


def _tables_with_rows(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return [
            t.name
            for t in metadata.sorted_tables
            if conn.execute(select(func.count()).select_from(t)).scalar_one()
        ]


def test_a_test_starts_from_empty_tables(db: Database) -> None:
    assert _tables_with_rows(db) == []


def test_emptying_leaves_no_row_and_restarts_identities(runtime: Runtime) -> None:
    world = build_world(runtime)
    make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    assert "audit_events" in _tables_with_rows(runtime.db)
    assert "account_roles" in _tables_with_rows(runtime.db)

    empty_tables(runtime.db.engine)

    assert _tables_with_rows(runtime.db) == []
    world = build_world(runtime)
    make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    with runtime.db.engine.connect() as conn:
        assert conn.execute(select(AccountRole.id)).scalars().all() == [1]
