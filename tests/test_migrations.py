"""The schema is made by migrations alone, and the migrations match the models exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, insert, select

from kotwal.core.audit_partitions import not_a_partition
from kotwal.core.db import Database
from kotwal.core.migrate import head_revision, is_current, upgrade
from kotwal.records import reference
from kotwal.records.models import HistorySheetCategory, LawSection
from kotwal.tables import metadata
from kotwal.watch import window
from kotwal.watch.models import WatchDisclosure, WatchSeen
from kotwal.watch.window import Window, WindowRow


def test_database_is_at_the_head_revision(db: Database) -> None:
    assert head_revision(db.engine) is not None
    assert is_current(db.engine)


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": False, "include_name": not_a_partition}
        )
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_upgrading_to_watch_seen_keeps_every_budget_where_it_stood(tmp_path: Path) -> None:
    """Migration 0014 fills ``watch_seen`` from the window's rows, so nobody's budget starts
    afresh at an upgrade: the window read afterwards is the one the rows define."""
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0013")
    now = datetime.now(UTC)
    rows = [  # (minutes ago, record, kind, batch, position, outside, public-only)
        (3000, "too-old", "record", "b0", 0, False, False),
        (600, "r1", "list", "b1", 0, False, False),
        (600, "r2", "list", "b1", 1, True, False),
        (30, "r2", "record", "b2", 0, True, False),
        (20, "r3", "photo", "b3", 0, False, False),
        (10, "r1", "list", "b4", 0, False, True),
        (10, "r4", "list", "b4", 1, False, False),
        (5, "r5", "export", "b5", 0, True, False),
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(WatchDisclosure),
            [
                {
                    "account_id": "a",
                    "session_id": None,
                    "batch": batch,
                    "kind": kind,
                    "resource_type": "person",
                    "record_id": rid,
                    "position": pos,
                    "out_of_jurisdiction": outside,
                    "public_only": public,
                    "order_bucket": None,
                    "at": now - timedelta(minutes=ago),
                }
                for ago, rid, kind, batch, pos, outside, public in rows
            ],
        )
    upgrade(engine)
    hour, day = now - timedelta(hours=1), now - timedelta(days=1)
    window_rows = [WindowRow(rid, kind, b, pos, o, p) for _, rid, kind, b, pos, o, p in rows]
    in_hour = [w for w, r in zip(window_rows, rows, strict=True) if r[0] <= 60]
    in_day = [w for w, r in zip(window_rows, rows, strict=True) if r[0] <= 24 * 60]
    counted = frozenset({"record", "list", "photo"})
    asked = ["r1", "r2", "r3", "r4", "r5", "too-old"]
    with engine.connect() as conn:
        got = window.read(conn, "a", asked, hour, day)
        assert got == Window.from_rows(in_hour, counted, asked, day_rows=in_day)
        assert got.charged_day.count == 4 and got.charged_hour.holds == {"r2", "r3", "r4"}
        assert conn.scalar(select(func.count()).select_from(WatchSeen)) == 5
    engine.dispose()


def test_the_reference_module_holds_the_rows_the_migrations_seed(tmp_path: Path) -> None:
    """Tests seed the reference tables from :mod:`kotwal.records.reference`; a new database gets
    them from the migrations (0005 keeps its own frozen copy): the two must not drift apart."""
    engine = create_engine(f"sqlite:///{tmp_path / 'new.db'}")
    upgrade(engine)
    with engine.connect() as conn:
        for model, rows in (
            (HistorySheetCategory, reference.category_rows()),
            (LawSection, reference.law_section_rows()),
        ):
            columns = [model.__table__.c[name] for name in rows[0]]
            stored = sorted(tuple(row) for row in conn.execute(select(*columns)))
            assert stored == sorted(tuple(row.values()) for row in rows), model.__tablename__
    engine.dispose()
