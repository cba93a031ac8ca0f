"""Engine, declarative base and sessions.

SQLite (WAL) is the embedded default; PostgreSQL is selected by ``KOTWAL_DATABASE_URL``.
Everything that touches the schema goes through Alembic migrations (``migrations/``); code
stays portable through SQLAlchemy.

SQLite detail worth knowing: a transaction that reads and then writes can fail with
SQLITE_BUSY if another connection wrote in between, and busy_timeout cannot help it. So
transactions that intend to write start with ``BEGIN IMMEDIATE`` (they take the write lock at
once and wait for it); read-only ones start deferred and never block writers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import MetaData, String, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 30_000


class Base(DeclarativeBase):
    """Declarative base for every kotwal table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def new_id() -> str:
    """A random, unguessable identifier for rows that appear in URLs (UUID4 as text)."""
    return str(uuid.uuid4())


ID = String(36)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; on SQLite turn on WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            hide_parameters=True,
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    # hide_parameters: an error logged by the server must not carry names, hashes or paths.
    return create_engine(
        url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True, **kwargs
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        # FULL: a committed audit event survives power loss, which the audit promise needs.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class Database:
    """The process's engine and session factories: one for reads, one for writes."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        write_engine = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if is_sqlite(self.engine)
            else self.engine
        )
        self._write = sessionmaker(write_engine, expire_on_commit=False)

    def session(self, *, write: bool) -> Session:
        return self._write() if write else self._read()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A plain session in one transaction: committed on success, rolled back on error.

        For kernel internals (audit writer, key rotation, init). Request and CLI work uses
        :class:`kotwal.core.uow.UnitOfWork`, which also writes the audit trail.
        """
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
