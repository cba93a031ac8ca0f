"""Writes to the audit log as an intruder holding the database would make them: past the
append-only triggers of migration 0025, dropped on SQLite (anyone with the file can) and
disabled on PostgreSQL (the table's owner can). Tests that tamper with the log, and the test
cleaner that empties it, go through here; nothing else may."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

_SQLITE_TRIGGERS = text(
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"
)


@contextmanager
def past_the_triggers(conn: Connection) -> Iterator[None]:
    """Inside ``conn``'s transaction, with the audit log's triggers out of the way."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        yield
        conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
        return
    saved = conn.execute(_SQLITE_TRIGGERS).all()
    for name, _ in saved:
        conn.execute(text(f'DROP TRIGGER "{name}"'))
    yield
    for _, sql in saved:
        conn.execute(text(sql))
