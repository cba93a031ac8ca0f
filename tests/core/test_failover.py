"""Failover on PostgreSQL with a primary and a synchronous streaming standby of the test's own
(tests/pgcluster.py): the primary is killed with SIGKILL while the audit log is being written;
the standby is promoted (what pg_auto_failover's monitor, or an operator, does; see
Pair.fail_over); kotwal, given a
multi-host URL with ``target_session_attrs=read-write``, finds the new primary by itself and
carries on. Every write it had acknowledged is there, and the chain verifies.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError

from kotwal.core import audit
from kotwal.core.audit import AuditEvent, Outcome
from kotwal.core.config import Settings
from kotwal.core.crypto import bind_keyring
from kotwal.core.db import Database
from kotwal.core.keys import KeyRing
from kotwal.core.migrate import upgrade
from kotwal.domains import open_runtime
from kotwal.web.app import create_app
from tests.pgcluster import primary_and_standby, psql

RESUME_WITHIN_S = 30.0


class Writer(threading.Thread):
    """Appends one audit event per transaction, as fast as it can, and notes what the database
    acknowledged (a commit that returned) and what failed."""

    def __init__(self, db: Database, keyring: KeyRing) -> None:
        super().__init__(daemon=True)
        self.db, self.keyring = db, keyring
        self.acknowledged: list[tuple[float, int]] = []
        self.failures = 0
        self.last_failure = 0.0
        self.last_error = ""
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            event = AuditEvent(
                action="test.write", outcome=Outcome.SUCCESS, actor_id=None, actor_name="w"
            )
            try:
                with self.db.transaction(write=True) as session:
                    bind_keyring(session, self.keyring)
                    [seq] = audit.append(session, [event])
            except DBAPIError as exc:
                self.failures += 1
                self.last_failure = time.monotonic()
                self.last_error = str(exc.orig)[:300]
                time.sleep(0.05)
                continue
            self.acknowledged.append((time.monotonic(), seq))

    def acknowledged_after(self, moment: float) -> int:
        return sum(1 for at, _ in self.acknowledged if at > moment)


def _wait_for(condition: object, timeout: float, writer: Writer) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, (
            f"timed out: {len(writer.acknowledged)} acknowledged, {writer.failures} failed, "
            f"last error: {writer.last_error}"
        )
        time.sleep(0.02)


def _me(client: TestClient) -> int:
    return client.get(
        "/api/v1/me", headers={"Authorization": "Bearer not-a-real-token"}
    ).status_code


def test_writes_resume_on_the_promoted_standby_and_none_acknowledged_is_lost(
    data_dir: Path, keyring: KeyRing
) -> None:
    with primary_and_standby() as pair:
        psql(pair.primary, "CREATE DATABASE kotwal")
        db = Database(pair.url())
        upgrade(db.engine)
        settings = Settings(data_dir=data_dir, database_url=pair.url(), local_http=False)
        runtime = open_runtime(settings, keyring=keyring)
        client = TestClient(create_app(settings, runtime), base_url="https://testserver")
        assert _me(client) == 401  # the database answers: the token is unknown
        writer = Writer(db, keyring)
        writer.start()
        try:
            _wait_for(lambda: len(writer.acknowledged) >= 50, 30, writer)
            killed = time.monotonic()
            pair.primary.kill9()
            # No server accepts writes: the API says so, with a time to retry.
            away = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-real-token"})
            pair.fail_over()
            _wait_for(lambda: writer.acknowledged_after(killed) >= 20, RESUME_WITHIN_S, writer)
            back = _me(client)  # the app's own pool found the new primary
        finally:
            writer.stop.set()
            writer.join(timeout=10)
            client.close()
            runtime.close()
        # The first write acknowledged after the last one that failed.
        first_after = min(at for at, _ in writer.acknowledged if at > writer.last_failure)
        stored = set(
            int(s) for s in psql(pair.standby, "SELECT seq FROM audit_events", "kotwal").split()
        )
        result = audit.verify(db.engine, keyring.audit_public, mac_key=keyring.audit_mac_key)
        db.dispose()
    # Within RESUME_WITHIN_S by the wait above; printed for the record (pytest -s).
    print(f"writes resumed {first_after - killed:.2f} s after the kill, {writer.failures} failed")
    assert away.status_code == 503, away.text
    assert away.json()["type"] == "urn:kotwal:problem:database-unavailable"
    assert away.headers["Retry-After"] == "2"
    assert back == 401
    assert writer.failures > 0  # the fault was felt ...
    assert {seq for _, seq in writer.acknowledged} <= stored  # ... and nothing acknowledged lost
    assert result.ok, result.describe()
