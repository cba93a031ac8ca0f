"""The audit log by month on PostgreSQL (migration 0035): partitions locked down like their
parent, old months retired only once witnessed and still verifiable from the first event kept;
and ``kotwal audit verify --incremental`` on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from kotwal.accounts.audit_cli import app
from kotwal.core import audit, audit_partitions
from kotwal.core.audit import AuditEvent, Outcome
from kotwal.core.config import Settings
from kotwal.core.crypto import bind_keyring
from kotwal.core.db import APP_ROLE, Database
from kotwal.core.keys import KeyRing
from tests.intruder import past_the_triggers

runner = CliRunner()
JAN_2025 = audit_partitions.month_start_us(2025, 1)


def _append(db: Database, keyring: KeyRing, n: int, at_us: int | None = None) -> None:
    events = [
        AuditEvent(
            action="record.disclose",
            outcome=Outcome.SUCCESS,
            actor_id=None,
            actor_name=f"si.{i}",
            **({} if at_us is None else {"at_us": at_us + i * 1_000_000}),
        )
        for i in range(n)
    ]
    with db.transaction(write=True) as session:
        bind_keyring(session, keyring)
        audit.append(session, events)


@pytest.fixture
def january_2025(db: Database) -> Iterator[None]:
    """A partition for January 2025 in this test's database, and none left after it: a
    detached month stays a table of its own, which the next test here would collide with."""

    def drop() -> None:
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS audit_events_p202501"))

    drop()
    with db.engine.begin() as conn:
        audit_partitions.ensure_months(conn, date(2025, 1, 1), 0)
    yield
    drop()


def _sign_and_witness(db: Database, keyring: KeyRing, witness: Path) -> None:
    with db.transaction(write=True) as session:
        audit.checkpoint(session, keyring)
    with db.transaction(write=False) as session:
        audit.export_witness(session, witness)


@pytest.mark.postgres_only
def test_events_land_in_their_month_and_the_app_role_has_no_right_on_a_partition(
    env: Settings, db: Database, keyring: KeyRing
) -> None:
    result = runner.invoke(app, ["partitions", "--ahead", "2"])
    assert result.exit_code == 0, result.output
    _append(db, keyring, 3, at_us=JAN_2025)
    _append(db, keyring, 2)  # now
    with db.engine.begin() as conn:
        assert audit_partitions.is_partitioned(conn)
        held = dict(
            conn.execute(
                text("SELECT tableoid::regclass::text, count(*) FROM audit_events GROUP BY 1")
            ).all()
        )
        names = [p.name for p in audit_partitions.partitions(conn)]
        rights = conn.execute(
            text(
                "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'audit_events'::regclass AND ("
                "has_table_privilege(:role, c.oid, 'SELECT') OR "
                "has_table_privilege(:role, c.oid, 'UPDATE') OR "
                "has_table_privilege(:role, c.oid, 'DELETE') OR "
                "has_table_privilege(:role, c.oid, 'TRUNCATE'))"
            ),
            {"role": APP_ROLE},
        ).scalar_one()
    this_month = audit_partitions.partition_name(date.today().year, date.today().month)
    assert held == {"audit_events_pdefault": 3, this_month: 2}  # Jan 2025 has no month yet
    assert this_month in names and names[-1] == audit_partitions.DEFAULT_PARTITION
    assert rights == 0


@pytest.mark.postgres_only
@pytest.mark.usefixtures("january_2025")
def test_an_old_month_is_retired_only_once_witnessed_and_the_rest_still_verifies(
    env: Settings, db: Database, keyring: KeyRing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _append(db, keyring, 4, at_us=JAN_2025)  # seq 1-4, January 2025
    _append(db, keyring, 3)  # seq 5-7, now
    witness = tmp_path / "witness.jsonl"
    monkeypatch.setenv("KOTWAL_AUDIT_WITNESS", str(witness))

    witness.touch()  # nothing witnessed yet: the month stays
    refused = runner.invoke(app, ["retire", "--before", "2025-02"])
    assert refused.exit_code != 0 and "witness" in refused.output

    _sign_and_witness(db, keyring, witness)
    done = runner.invoke(app, ["retire", "--before", "2025-02"])
    assert done.exit_code == 0, done.output
    assert "audit_events_p202501" in done.output
    with db.engine.connect() as conn:
        first = conn.execute(text("SELECT min(seq) FROM audit_events")).scalar_one()
        kept = conn.execute(text("SELECT count(*) FROM audit_events_p202501")).scalar_one()
    assert first == 5 and kept == 4  # detached, not dropped: the operator archives it

    _sign_and_witness(db, keyring, witness)
    result = audit.verify(
        db.engine, keyring.audit_public, witness=witness, mac_key=keyring.audit_mac_key
    )
    assert result.ok, result.describe()
    assert result.events_checked == 4  # seq 5-7 and the retirement event


@pytest.mark.postgres_only
@pytest.mark.usefixtures("january_2025")
def test_a_month_detached_behind_the_logs_back_is_caught(db: Database, keyring: KeyRing) -> None:
    _append(db, keyring, 4, at_us=JAN_2025)
    _append(db, keyring, 3)
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_events DETACH PARTITION audit_events_p202501"))
    result = audit.verify(db.engine, keyring.audit_public, mac_key=keyring.audit_mac_key)
    assert not result.ok
    assert "events 1 to 4 are missing" in result.reason


def test_incremental_verification_walks_only_what_came_after_the_last_confirmed_checkpoint(
    env: Settings, db: Database, keyring: KeyRing
) -> None:
    _append(db, keyring, 30)
    with db.transaction(write=True) as session:
        audit.checkpoint(session, keyring)
    full = runner.invoke(app, ["verify"])
    assert full.exit_code == 0, full.output
    assert "30 events verified" in full.output
    _append(db, keyring, 5)
    with db.transaction(write=True) as session:
        audit.checkpoint(session, keyring)
    step = runner.invoke(app, ["verify", "--incremental"])
    assert step.exit_code == 0, step.output
    assert "5 events verified" in step.output and "after the checkpoint at seq 30" in step.output

    # Tampering after the mark is caught by the incremental run ...
    with db.engine.begin() as conn, past_the_triggers(conn):
        conn.execute(text("UPDATE audit_events SET actor_name = 'nobody' WHERE seq = 35"))
    caught = runner.invoke(app, ["verify", "--incremental"])
    assert caught.exit_code == 1 and "seq 35" in caught.output
    # ... and before it only by a full one, which is why both exist.
    with db.engine.begin() as conn, past_the_triggers(conn):
        conn.execute(text("UPDATE audit_events SET actor_name = 'nobody' WHERE seq = 3"))
    assert runner.invoke(app, ["verify"]).exit_code == 1
