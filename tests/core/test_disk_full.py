"""The disk filling up under SQLite: the request that cannot be written gets a clear answer, and
nothing of it is left half-written (its record, its version, its audit event commit together
or not at all); what was acknowledged before is all there and the chain verifies.

The full disk is a file-size limit (RLIMIT_FSIZE) on a child process serving the API: every
write past it fails (SQLite says SQLITE_IOERR_WRITE where a full disk says SQLITE_FULL; both are
answered alike) without filling the machine's disk or needing a mount.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess  # nosec B404 - the test's own child, with fixed arguments
import sys
import textwrap

import pytest
from sqlalchemy import func, select

from kotwal.core import audit
from kotwal.core.config import Settings
from kotwal.core.db import Database
from kotwal.core.keys import KeyRing
from kotwal.core.models import AuditEventRow
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.records.models import Person
from tests.factories import World, api_officer

_CHILD = textwrap.dedent(
    """
    import json, os, resource, signal, sys
    from fastapi.testclient import TestClient
    from kotwal.core.config import get_settings
    from kotwal.domains import open_runtime
    from kotwal.web.app import create_app

    token, station, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    settings = get_settings()
    runtime = open_runtime(settings)
    app = create_app(settings, runtime)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, not the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    answers = []
    with TestClient(app, base_url="https://testserver") as client:
        for i in range(3000):
            r = client.post(
                "/api/v1/persons",
                headers={"Authorization": "Bearer " + token},
                json={"name": "Disk Full Person %d" % i, "category": "offender",
                      "station_id": station, "address": "H.No. %d, Synthetic Colony" % i},
            )
            answers.append([r.status_code, r.json().get("id") or r.json().get("type")])
            if r.status_code != 201:
                break
    print(json.dumps(answers))
    """
)


@pytest.mark.sqlite_only
def test_a_full_disk_refuses_the_write_clearly_and_leaves_nothing_half_written(
    env: Settings, runtime: Runtime, db: Database, keyring: KeyRing, world: World
) -> None:
    writer = api_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    runtime.close()  # the child serves; this process only looks afterwards
    path = env.sqlite_path
    assert path is not None
    # Room for a few hundred KB more in any of the database's files.
    limit = max(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))
    limit += 256 * 1024
    child = subprocess.run(  # nosec B603 - this interpreter and the test's own script
        [sys.executable, "-c", _CHILD, writer.token, world.station_a, str(limit)],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
    )
    assert child.returncode == 0, child.stderr[-2000:]
    answers = json.loads(child.stdout.strip().splitlines()[-1])
    created = {ident for status, ident in answers if status == 201}
    status, kind = answers[-1]
    assert created, "the limit left no room for even one record"
    assert (status, kind) == (507, "urn:kotwal:problem:storage-write-failed"), answers[-1]

    with sqlite3.connect(path) as conn:  # the file is sound after the failed write
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with db.transaction(write=False) as session:
        stored = set(session.execute(select(Person.id)).scalars())
        events = session.execute(
            select(func.count())
            .select_from(AuditEventRow)
            .where(AuditEventRow.action == "record.create", AuditEventRow.resource_type == "person")
        ).scalar_one()
    assert stored == created  # every acknowledged record, and nothing of the refused one
    assert events == len(created)
    result = audit.verify(db.engine, keyring.audit_public, mac_key=keyring.audit_mac_key)
    assert result.ok, result.describe()
