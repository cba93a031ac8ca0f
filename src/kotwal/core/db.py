"""Engine, declarative base and sessions.

SQLite (WAL) is the embedded default; PostgreSQL is selected by ``KOTWAL_DATABASE_URL``.
Everything that touches the schema goes through Alembic migrations (``migrations/``); code
stays portable through SQLAlchemy.

SQLite detail worth knowing: a transaction that reads and then writes can fail with
SQLITE_BUSY if another connection wrote in between, and busy_timeout cannot help it. So
transactions that intend to write start with ``BEGIN IMMEDIATE`` (they take the write lock at
once and wait for it); read-only ones start deferred and never block writers.

And one about several processes: SQLite's busy handler waits for its lock by sleeping (1, 2,
5 ... 100 ms between tries), so two server workers' audit writers, which want the lock many
times a second, lose much of their time asleep while the lock is free. They queue instead on a
lock file beside the database (:meth:`Database.serial_writer`), which wakes the next one the
moment the lock is released.

On PostgreSQL the application runs as a member of the ``kotwal_app`` role (migration 0034),
which owns no table; each transaction acting for an officer tells the server whose
jurisdiction it acts in (:data:`SCOPE_INFO`), and row-level security holds it there.
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import MetaData, String, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 30_000

#: The PostgreSQL group role of the application's logins (created by migration 0034).
APP_ROLE = "kotwal_app"
#: ``session.info`` key of a callable giving the jurisdiction scope of the session's
#: transactions: the officer's jurisdiction paths joined by commas ("-" for none), or None for
#: system work. Set by the unit of work; read when a transaction begins (PostgreSQL only).
SCOPE_INFO = "kotwal.scope"
_SET_SCOPE = "SELECT set_config('kotwal.scope', %s, true)"
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class Base(DeclarativeBase):
    """Declarative base for every kotwal table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def new_id() -> str:
    """A random, unguessable identifier for rows that appear in URLs (UUID4 as text)."""
    return str(uuid.uuid4())


ID = String(36)


def make_engine(url: str, *, role: str | None = None, **kwargs: Any) -> Engine:
    """Create an engine; on SQLite turn on WAL, foreign keys and a busy timeout.

    ``role`` (PostgreSQL): ``SET ROLE`` to it on every new connection, for a login that holds
    several roles (the tests' superuser acting as the application). A production login is a
    plain member of ``kotwal_app`` and needs none.
    """
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
    engine = create_engine(
        url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True, **kwargs
    )
    if role:
        _set_role_on_connect(engine, role)
    return engine


def _set_role_on_connect(engine: Engine, role: str) -> None:
    if not _ROLE_NAME.fullmatch(role):
        raise ValueError(f"{role!r} is not a plain role name (lower-case letters, digits, _)")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f'SET ROLE "{role}"')  # nosec B608 - a checked identifier, not input
        cur.close()
        dbapi_conn.commit()


def _scope_on_begin(session: Session, _transaction: Any, connection: Any) -> None:
    """Tell PostgreSQL whose jurisdiction this transaction acts in (``SET LOCAL``, so it ends
    with the transaction and never leaks to the next user of the pooled connection)."""
    scope_of: Callable[[], str | None] | None = session.info.get(SCOPE_INFO)
    if scope_of is None:
        return
    scope = scope_of()
    if scope is not None:
        connection.exec_driver_sql(_SET_SCOPE, (scope,))


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

    def __init__(self, url: str, *, role: str | None = None, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, role=role, **engine_kwargs)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        write_engine = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if is_sqlite(self.engine)
            else self.engine
        )
        self._write = sessionmaker(write_engine, expire_on_commit=False)
        if self.engine.dialect.name == "postgresql":
            for factory in (self._read, self._write):
                event.listen(factory, "after_begin", _scope_on_begin)
        self._writers_path = _writers_lock_path(url)
        self._writers_fd: int | None = None
        self._writers_mutex = threading.Lock()

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

    def serial_writer(self) -> AbstractContextManager[None]:
        """A context in which to run a frequent write transaction (the audit writer's): on a
        SQLite file it holds an exclusive lock on ``<database>.writers`` for its duration, so
        such writers of every process take turns without sleeping; elsewhere it does nothing.

        Only writers that never wait for one another inside it may use it (each holds it for
        one transaction of its own); a holder that dies releases it with its process.
        """
        if self._writers_path is None:
            return nullcontext()
        return self._writers_lock()

    @contextmanager
    def _writers_lock(self) -> Iterator[None]:
        with self._writers_mutex:  # threads of this process: flock alone would let them all in
            if self._writers_fd is None:
                assert self._writers_path is not None
                self._writers_fd = os.open(
                    self._writers_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
                )
            fcntl.flock(self._writers_fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._writers_fd, fcntl.LOCK_UN)

    def dispose(self) -> None:
        self.engine.dispose()
        with self._writers_mutex:
            if self._writers_fd is not None:
                os.close(self._writers_fd)
                self._writers_fd = None


def _writers_lock_path(url: str) -> str | None:
    """``<file>.writers`` for a SQLite database file; None for memory and other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    name = parsed.database or ""
    if name in ("", ":memory:") or name.startswith("file:"):
        return None
    return f"{name}.writers"
