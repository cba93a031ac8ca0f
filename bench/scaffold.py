"""Set-up shared by the small benchmarks (gate, photos, watch, ...): a scratch data directory
with fresh keys, a state with one station, and a scratch PostgreSQL database dropped
afterwards. Import it from a bench run as a script
(``python bench/x.py`` puts bench/ first on the path)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kotwal.core.jurisdictions import create_jurisdiction
from kotwal.core.keys import generate_keys
from kotwal.core.policy import Actor, Jurisdiction, JurisdictionKind
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork

PG_ADMIN = os.environ.get(
    "KOTWAL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SYSTEM = Actor(account_id=None, username="cli:bench")


@contextmanager
def scratch_data_dir() -> Iterator[Path]:
    """A new data directory (mode 700) holding freshly generated keys, removed on leaving."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir(mode=0o700)
        generate_keys(data / "keys")
        yield data


def state_and_station(uow: UnitOfWork) -> Jurisdiction:
    """A state "TS" with one station "PS-1" under it, in ``uow``; the station."""
    state = create_jurisdiction(
        uow, SYSTEM, code="TS", name="State", kind=JurisdictionKind.STATE, parent_id=None
    )
    return create_jurisdiction(
        uow,
        SYSTEM,
        code="PS-1",
        name="Station",
        kind=JurisdictionKind.STATION,
        parent_id=state.id,
    )


def station(runtime: Runtime) -> Jurisdiction:
    """:func:`state_and_station` in a unit of its own."""
    with UnitOfWork(runtime, write=True) as uow:
        return state_and_station(uow)


@contextmanager
def scratch_postgres(label: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped (even if in use) on leaving."""
    name = f"kotwal_bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
