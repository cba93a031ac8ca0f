"""Travel Made Safe trips (issue 22 item 6): vehicle, start, destination and every position
sealed under the trip's own key; at the end plus the grace period (or, never ended, the
expected arrival plus the overdue hours and the grace period) the key is destroyed and a signed
tombstone and an audit event name it. After that the positions are unreadable even with the
database file and the keys, and a backup from during the trip, restored, forgets them again."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kotwal.citizen import trips
from kotwal.citizen.models import CitizenTrip, CitizenTripPosition, CitizenTripTombstone
from kotwal.core.clock import utcnow
from kotwal.core.config import Settings
from kotwal.core.crypto import CryptoProblem, bind_keyring
from kotwal.core.db import Database
from kotwal.core.keys import KeyRing
from kotwal.core.models import DataKey
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.domains import open_runtime
from tests.citizen.helpers import API, LoggedIn, log_in
from tests.helpers import audit_events

GRACE = timedelta(minutes=60)  # KOTWAL_CITIZEN_TRIP_GRACE_MINUTES
OVERDUE = timedelta(hours=12)  # KOTWAL_CITIZEN_TRIP_OVERDUE_HOURS


def _trip_body(arrival: datetime | None = None) -> dict[str, str]:
    return {
        "vehicle_number": "ts09 ub 1234",
        "origin": "Secunderabad station",
        "destination": "Gachibowli",
        "expected_arrival": (arrival or utcnow() + timedelta(hours=1)).isoformat(),
    }


def _fixes(n: int, start: float = 17.4400) -> dict[str, object]:
    now = utcnow()
    return {
        "fixes": [
            {
                "at": (now + timedelta(seconds=10 * i)).isoformat(),
                "lat": start + i / 1000,
                "lon": 78.4983,
                "accuracy": 8,
            }
            for i in range(n)
        ]
    }


def _started(citizens: TestClient, runtime: Runtime, fixes: int = 3) -> tuple[LoggedIn, str]:
    me = log_in(citizens, runtime)
    r = citizens.post(f"{API}/trips", json=_trip_body(), headers=me.bearer)
    assert r.status_code == 201, r.text
    trip_id = str(r.json()["id"])
    if fixes:
        r = citizens.post(f"{API}/trips/{trip_id}/fixes", json=_fixes(fixes), headers=me.bearer)
        assert r.status_code == 200, r.text
    return me, trip_id


def _positions(runtime: Runtime, trip_id: str) -> list[str]:
    with UnitOfWork(runtime, write=False) as uow:
        return trips.open_positions(uow, trip_id)


def _sweep(runtime: Runtime, at: datetime) -> int:
    with UnitOfWork(runtime, write=True) as uow:
        done = trips.sweep(uow, at)
        trips.checkpoint_on_commit(uow)
        return done


def _trip_key(runtime: Runtime, trip_id: str) -> DataKey | None:
    with runtime.db.transaction(write=False) as s:
        return s.execute(
            select(DataKey).where(DataKey.table_name == "citizen_trips", DataKey.row_id == trip_id)
        ).scalar_one_or_none()


def test_a_trip_and_its_positions_are_sealed_under_the_trips_one_key(
    citizens: TestClient, runtime: Runtime
) -> None:
    me, trip_id = _started(citizens, runtime, fixes=3)
    shown = citizens.get(f"{API}/trips/{trip_id}", headers=me.bearer).json()
    assert (shown["vehicle_number"], shown["status"], shown["positions"]) == (
        "TS09 UB 1234",
        "active",
        3,
    )
    with runtime.db.transaction(write=False) as s:
        rows = list(s.execute(select(CitizenTripPosition)).scalars())
        trip = s.get(CitizenTrip, trip_id)
        assert trip is not None and b"TS09" not in bytes(trip.vehicle_number)
        assert all(b"17.44" not in bytes(row.fix) for row in rows)
        keys = s.execute(
            select(DataKey.table_name, func.count())
            .where(DataKey.table_name.like("citizen_trip%"))
            .group_by(DataKey.table_name)
        ).all()
    assert [tuple(k) for k in keys] == [("citizen_trips", 1)]  # none per position
    opened = _positions(runtime, trip_id)
    assert len(opened) == 3 and opened[0].endswith(",17.440000,78.498300,8.0")


def test_only_the_trips_citizen_reads_it_or_adds_to_it(
    citizens: TestClient, runtime: Runtime
) -> None:
    _me, trip_id = _started(citizens, runtime)
    other = log_in(citizens, runtime, "9876500002")
    assert citizens.get(f"{API}/trips/{trip_id}", headers=other.bearer).status_code == 404
    r = citizens.post(f"{API}/trips/{trip_id}/fixes", json=_fixes(1), headers=other.bearer)
    assert r.status_code == 404
    assert citizens.post(f"{API}/trips/{trip_id}/end", headers=other.bearer).status_code == 404
    assert len(_positions(runtime, trip_id)) == 3


def test_a_trip_needs_a_plausible_arrival(citizens: TestClient, runtime: Runtime) -> None:
    me = log_in(citizens, runtime)
    past = citizens.post(
        f"{API}/trips", json=_trip_body(utcnow() - timedelta(minutes=1)), headers=me.bearer
    )
    assert past.status_code == 422
    naive = dict(_trip_body(), expected_arrival="2030-01-01T10:00:00")
    assert citizens.post(f"{API}/trips", json=naive, headers=me.bearer).status_code == 422
    with runtime.db.transaction(write=False) as s:
        assert s.execute(select(func.count()).select_from(CitizenTrip)).scalar() == 0


def test_an_ended_trip_takes_no_more_positions(citizens: TestClient, runtime: Runtime) -> None:
    me, trip_id = _started(citizens, runtime)
    ended = citizens.post(f"{API}/trips/{trip_id}/end", headers=me.bearer)
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    r = citizens.post(f"{API}/trips/{trip_id}/fixes", json=_fixes(1), headers=me.bearer)
    assert r.status_code == 409


def test_a_finished_trip_is_shredded_after_the_grace_period_with_a_signed_tombstone(
    citizens: TestClient, runtime: Runtime
) -> None:
    me, trip_id = _started(citizens, runtime)
    citizens.post(f"{API}/trips/{trip_id}/end", headers=me.bearer)
    key = _trip_key(runtime, trip_id)
    assert key is not None
    assert _sweep(runtime, utcnow() + GRACE - timedelta(minutes=1)) == 0
    assert len(_positions(runtime, trip_id)) == 3  # the control room may still need it
    assert _sweep(runtime, utcnow() + GRACE + timedelta(minutes=1)) == 1
    assert _trip_key(runtime, trip_id) is None
    with pytest.raises(CryptoProblem):
        _positions(runtime, trip_id)
    shown = citizens.get(f"{API}/trips/{trip_id}", headers=me.bearer).json()
    assert shown["status"] == "shredded" and shown["vehicle_number"] is None
    with runtime.db.transaction(write=False) as s:
        assert s.execute(select(func.count()).select_from(CitizenTripPosition)).scalar() == 0
        [stone] = s.execute(select(CitizenTripTombstone)).scalars()
    assert stone.data_key_id == key.id
    assert trips.tombstone_valid(runtime.keyring, stone)
    [event] = audit_events(runtime, "citizen_trip.shredded")
    assert event.resource_id == trip_id
    assert json.loads(event.detail) == {
        "data_key": key.id,
        "positions": 3,
        "reason": "grace-period-over",
    }
    [line] = trips.tombstone_file(runtime).read_text().splitlines()
    assert json.loads(line)["key"] == key.id


def test_a_trip_never_ended_is_shredded_after_its_arrival_the_overdue_hours_and_grace(
    citizens: TestClient, runtime: Runtime
) -> None:
    _me, trip_id = _started(citizens, runtime)
    arrival = utcnow() + timedelta(hours=1)
    assert _sweep(runtime, arrival + OVERDUE) == 0
    assert _sweep(runtime, arrival + OVERDUE + GRACE + timedelta(minutes=1)) == 1
    assert _trip_key(runtime, trip_id) is None
    [event] = audit_events(runtime, "citizen_trip.shredded")
    assert json.loads(event.detail)["reason"] == "overdue"


def test_a_forged_tombstone_destroys_nothing(citizens: TestClient, runtime: Runtime) -> None:
    _me, trip_id = _started(citizens, runtime)
    path = trips.tombstone_file(runtime)
    path.parent.mkdir(parents=True, exist_ok=True)
    forged = {"trip": trip_id, "key": "x", "at": utcnow().isoformat(), "sig": "00" * 64}
    path.write_text(json.dumps(forged) + "\n")
    with UnitOfWork(runtime, write=True) as uow:
        assert trips.reapply_tombstones(uow) == 0
    assert len(_positions(runtime, trip_id)) == 3


def _sealed_copies(runtime: Runtime, trip_id: str) -> list[bytes]:
    """What an attacker would look for in the file: the wrapped key and every sealed value."""
    key = _trip_key(runtime, trip_id)
    assert key is not None
    with runtime.db.transaction(write=False) as s:
        fixes = [bytes(f) for f in s.execute(select(CitizenTripPosition.fix)).scalars()]
        trip = s.get(CitizenTrip, trip_id)
        assert trip is not None
        fields = [bytes(trip.vehicle_number), bytes(trip.origin), bytes(trip.destination)]
    return [bytes(key.wrapped), *fixes, *fields]


@pytest.mark.sqlite_only
def test_after_the_grace_period_the_database_file_and_the_keys_do_not_open_the_positions(
    citizens: TestClient, runtime: Runtime, settings: Settings, keyring: KeyRing
) -> None:
    me, trip_id = _started(citizens, runtime, fixes=5)
    copies = _sealed_copies(runtime, trip_id)
    database = Path(str(settings.sqlite_path or runtime.db.engine.url.database))
    citizens.post(f"{API}/trips/{trip_id}/end", headers=me.bearer)
    assert _sweep(runtime, utcnow() + GRACE + timedelta(minutes=1)) == 1
    # The file and its write-ahead log, byte for byte: no copy of the key or the values.
    on_disk = b"".join(
        p.read_bytes() for p in (database, database.with_name(database.name + "-wal")) if p.exists()
    )
    for sealed in copies:
        assert sealed not in on_disk
    # And the file opened with the deployment's keys: nothing to open the positions with.
    stolen = Database(f"sqlite:///{database}")
    try:
        with stolen.transaction(write=False) as s:
            bind_keyring(s, keyring)
            assert (
                s.execute(
                    select(func.count()).select_from(DataKey).where(DataKey.row_id == trip_id)
                ).scalar()
                == 0
            )
    finally:
        stolen.dispose()


@pytest.mark.sqlite_only
def test_a_backup_from_during_the_trip_restored_forgets_the_trip_again(
    citizens: TestClient, runtime: Runtime, settings: Settings, keyring: KeyRing, tmp_path: Path
) -> None:
    me, trip_id = _started(citizens, runtime, fixes=4)
    copies = _sealed_copies(runtime, trip_id)
    database = Path(str(settings.sqlite_path or runtime.db.engine.url.database))
    backup = tmp_path / "backup-during-trip.db"
    with sqlite3.connect(database) as live, sqlite3.connect(backup) as copy:
        live.backup(copy)  # what a nightly backup taken during the trip holds
    citizens.post(f"{API}/trips/{trip_id}/end", headers=me.bearer)
    assert _sweep(runtime, utcnow() + GRACE + timedelta(minutes=1)) == 1
    # The backup alone, opened with the keys, still holds the trip: that is the danger.
    raw = Database(f"sqlite:///{backup}")
    try:
        with UnitOfWork(Runtime(settings, raw, keyring, runtime.committer), write=False) as uow:
            assert len(trips.open_positions(uow, trip_id)) == 4
    finally:
        raw.dispose()
    # Restored and started (every process re-applies the tombstones kept outside it).
    restored = open_runtime(
        settings.model_copy(update={"database_url": f"sqlite:///{backup}"}), keyring=keyring
    )
    try:
        with UnitOfWork(restored, write=False) as uow:
            with pytest.raises(CryptoProblem):
                trips.open_positions(uow, trip_id)
            stones = list(uow.session.execute(select(CitizenTripTombstone)).scalars())
            assert [s.trip_id for s in stones] == [trip_id]
        reapplied = audit_events(restored, "citizen_trip.shredded")
        assert [json.loads(e.detail)["reason"] for e in reapplied] == ["tombstone-reapplied"]
    finally:
        restored.close()
    on_disk = backup.read_bytes()
    wal = backup.with_name(backup.name + "-wal")
    on_disk += wal.read_bytes() if wal.exists() else b""
    for sealed in copies:  # overwritten, not just unlinked from the tables
        assert sealed not in on_disk
