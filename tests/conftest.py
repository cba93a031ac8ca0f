"""Test fixtures: a real database per backend and per test worker, emptied around each test.

Every test that takes ``db`` (or anything built on it) runs twice: on SQLite and on the real
PostgreSQL server of this machine. There is no mock of the database anywhere. Keys are generated
at run time in a temporary directory; nothing secret is committed.

A test cannot run inside a transaction that is rolled back afterwards: the code under test opens
its own connections and commits (a unit of work per request, the audit writer's thread with its
group commit, commands run in-process). So the tables are emptied instead, by DELETE of the tables
that hold rows (see :func:`empty_tables`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from kotwal.core.config import Settings, get_settings
from kotwal.core.db import Database, make_engine
from kotwal.core.keys import KeyRing, generate_keys, load_keys
from kotwal.core.migrate import upgrade
from kotwal.core.runtime import Runtime
from kotwal.domains import open_runtime
from kotwal.tables import metadata
from kotwal.web.app import create_app
from tests.factories import World, build_world
from tests.intruder import past_the_triggers

PG_URL = os.environ.get(
    "KOTWAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")
#: Set (to kotwal_app) to run the application's side of every PostgreSQL test as the role a
#: production login has, with row-level security in force: ``KOTWAL_TEST_DATABASE_ROLE``.
#: The cleaner and the intruder stay the owner.
APP_ROLE_UNDER_TEST = os.environ.get("KOTWAL_TEST_DATABASE_ROLE") or None


def _pg_admin_url() -> str:
    return PG_URL


@pytest.fixture(scope="session")
def _databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated database per backend for this test worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    sqlite_path = tmp_path_factory.mktemp("sqlite") / "kotwal.db"
    name = f"kotwal_t_{worker}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # A test database need not survive a power cut: commits do not wait for the disk,
            # so a machine with a slow disk runs the suite at the speed of its cores.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except Exception as exc:
        pytest.exit(f"PostgreSQL at {PG_URL} cannot be reached: {exc}", returncode=3)
    urls = {
        "sqlite": f"sqlite:///{sqlite_path}",
        "postgresql": make_url(PG_URL).set(database=name).render_as_string(hide_password=False),
    }
    for url in urls.values():
        database = Database(url)
        upgrade(database.engine)
        database.dispose()
    for path in sqlite_path.parent.glob("kotwal.db*"):
        path.chmod(0o600)  # as `kotwal init` leaves it; the app refuses a readable database
    yield urls
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


#: Children before parents, so that a DELETE never leaves a row whose parent is gone.
_TABLES = list(reversed(metadata.sorted_tables))
#: One query that names the tables holding at least one row.
_TABLES_WITH_ROWS = text(
    " UNION ALL ".join(
        f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in _TABLES
    )
)
#: PostgreSQL: the identity sequences used since their last restart start again, as
#: TRUNCATE ... RESTART IDENTITY did (on SQLite an emptied table's rowids start again anyway).
_RESTART_USED_SEQUENCES = text(
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
    " FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
)


def empty_tables(engine: Engine) -> None:
    """Delete every row of every table and restart the identity sequences.

    Only the tables that hold rows are touched. On PostgreSQL, TRUNCATE of the 42 tables took
    ~470 ms after a typical test (new files for every table and index, which CASCADE brings in
    whenever one of them has rows, and which the checkpoint of DROP DATABASE must then sync); a
    DELETE of the few rows a test leaves takes ~13 ms, and finding nothing to do ~1 ms.
    """
    with engine.begin() as conn:
        with_rows = {row[0] for row in conn.execute(_TABLES_WITH_ROWS)}
        with past_the_triggers(conn) if "audit_events" in with_rows else nullcontext():
            for table in _TABLES:
                if table.name in with_rows:
                    conn.execute(table.delete())
        if engine.dialect.name == "postgresql":
            conn.execute(_RESTART_USED_SEQUENCES)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name = str(request.param)
    if name == "sqlite" and request.node.get_closest_marker("postgres_only"):
        pytest.skip("PostgreSQL-only behaviour")
    if name == "postgresql" and request.node.get_closest_marker("sqlite_only"):
        pytest.skip("SQLite-only behaviour")
    return name


@pytest.fixture(scope="session")
def _cleaners(_databases: dict[str, str]) -> Iterator[dict[str, Engine]]:
    """An engine per backend that empties the tables: its connection stays open from test to
    test (a new PostgreSQL connection costs ~13 ms, and its first look at 42 tables as much)."""
    engines = {name: make_engine(url) for name, url in _databases.items()}
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture
def db(
    backend: str, _databases: dict[str, str], _cleaners: dict[str, Engine]
) -> Iterator[Database]:
    # Emptied before the test too, so that it starts from empty tables whatever a writer of the
    # previous test left behind after its teardown (when there is nothing to do this costs ~1 ms).
    empty_tables(_cleaners[backend])
    database = Database(_databases[backend])
    try:
        yield database
    finally:
        database.dispose()
        empty_tables(_cleaners[backend])


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "kotwal-data"
    path.mkdir(mode=0o700)
    return path


@pytest.fixture
def keyring(data_dir: Path) -> KeyRing:
    generate_keys(data_dir / "keys")
    return load_keys(Settings(data_dir=data_dir))


@pytest.fixture
def settings(db: Database, data_dir: Path, keyring: KeyRing) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=db.url,
        database_role=APP_ROLE_UNDER_TEST,
        local_http=False,
        api_docs=True,
    )


@pytest.fixture
def runtime(settings: Settings, keyring: KeyRing) -> Iterator[Runtime]:
    rt = open_runtime(settings, keyring=keyring)
    yield rt
    rt.close()


@pytest.fixture
def app(settings: Settings, runtime: Runtime) -> FastAPI:
    return create_app(settings, runtime)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    # https, so that Secure __Host- cookies round-trip as they do in a browser.
    with TestClient(app, base_url="https://testserver") as c:
        yield c


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A command run in the test sees this test's database and key directory through the
    KOTWAL_* variables, as an operator's shell would."""
    monkeypatch.setenv("KOTWAL_DATA_DIR", str(settings.data_dir))
    assert settings.database_url is not None
    monkeypatch.setenv("KOTWAL_DATABASE_URL", settings.database_url)
    for name in ("KOTWAL_KEK", "KOTWAL_AUDIT_KEY", "KOTWAL_INDEX_KEY"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()
