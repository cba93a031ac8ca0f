"""Travel Made Safe: a trip's positions sealed under the trip's own key, destroyed once the trip
is over.

In 2024 T-Safe's trip records, which should have been deleted after each trip, were kept and
leaked. Here a trip's vehicle number, start, destination and every position are sealed under
one data key, the trip's (positions with :func:`kotwal.core.crypto.seal_with`, bound to their
own row). When the trip has ended and the grace period has passed (or, never ended, its expected
arrival plus ``KOTWAL_CITIZEN_TRIP_OVERDUE_HOURS`` and the grace period), :func:`shred_trip`:

1. deletes the positions and destroys the trip's data key (``crypto.shred``), on SQLite with
   ``secure_delete`` on, so the freed pages are overwritten with zeros, and then checkpoints the
   write-ahead log so that no copy of the key's page is left in it either;
2. records a tombstone naming the destroyed key, signed with the audit key, and an audit event
   naming it (``citizen_trip.shredded``).

A copy of the database restored from before the shredding brings the key back with it; the
tombstones are what makes it forget again (:func:`reapply_tombstones`, run by ``kotwal citizen
shred-trips``), which is why they are also kept outside the database, in the audit log's
signed chain and its witness, by whoever keeps those. See docs/domains/citizen.md.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, text

from kotwal.citizen import sos as sos_service
from kotwal.citizen.config import citizen_settings
from kotwal.citizen.models import (
    ACTIVE,
    ENDED,
    SHREDDED,
    SOS_OPEN,
    CitizenSos,
    CitizenTrip,
    CitizenTripPosition,
    CitizenTripTombstone,
)
from kotwal.citizen.permissions import CitizenPermission
from kotwal.citizen.principal import Citizen
from kotwal.citizen.schemas import FixIn, TripIn
from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.clock import as_utc, utcnow
from kotwal.core.crypto import CryptoProblem, data_key, open_fields, open_with, seal_with, shred
from kotwal.core.db import new_id
from kotwal.core.errors import Conflict, InvalidInput, NotFound
from kotwal.core.gate import disclose
from kotwal.core.keys import KeyRing
from kotwal.core.models import DataKey
from kotwal.core.policy import Actor, Jurisdiction
from kotwal.core.runtime import Runtime
from kotwal.core.scope import require
from kotwal.core.uow import UnitOfWork
from kotwal.patrol import geo
from kotwal.patrol import service as patrol

__all__ = ["ACTIVE", "ENDED", "SHREDDED"]

TRIPS = "citizen_trips"
POSITIONS = "citizen_trip_positions"
FIX = "fix"
#: Trips shredded by one sweep; the next sweep takes the rest.
SWEEP_BATCH = 200
#: Trips shredded in passing when a citizen starts one (their request waits for it).
SWEEP_ON_START = 10
_TOMBSTONE_DOMAIN = b"kotwal-trip-tombstone/v1\n"
#: The longest a trip may be planned for.
MAX_TRIP = timedelta(days=2)


def _own_trip(uow: UnitOfWork, citizen: Citizen, trip_id: str) -> CitizenTrip:
    trip = uow.session.get(CitizenTrip, trip_id)
    if trip is None or trip.citizen_id != citizen.citizen_id:
        raise NotFound("no such trip")
    return trip


def start_trip(uow: UnitOfWork, citizen: Citizen, data: TripIn) -> dict[str, Any]:
    """Start a trip; its shredding is scheduled now, from the expected arrival, so that a trip
    its citizen never ends is destroyed all the same."""
    settings = citizen_settings()
    now = utcnow()
    arrival = as_utc(data.expected_arrival) if data.expected_arrival.tzinfo else None
    if arrival is None:
        raise InvalidInput("expected_arrival needs a time zone (e.g. +05:30)")
    if not now < arrival <= now + MAX_TRIP:
        raise InvalidInput("expected_arrival is after now and within two days")
    # A trip started is a good moment to destroy a few of those that are due (the command
    # takes the rest), so that a quiet deployment without the timer still forgets.
    if sweep(uow, limit=SWEEP_ON_START):
        checkpoint_on_commit(uow)
    trip = CitizenTrip(
        id=new_id(),
        citizen_id=citizen.citizen_id,
        vehicle_number=" ".join(data.vehicle_number.upper().split()),
        origin=data.origin,
        destination=data.destination,
        expected_arrival=arrival,
        status=ACTIVE,
        started_at=now,
        shred_after=arrival
        + timedelta(hours=settings.trip_overdue_hours, minutes=settings.trip_grace_minutes),
        positions=0,
        route=_route(data),
    )
    uow.session.add(trip)
    uow.session.flush()  # seals the three fields, making the trip's data key
    uow.audit(
        actor_event(
            citizen.actor, "citizen_trip.started", resource_type="citizen_trip", resource_id=trip.id
        )
    )
    return trip_view(uow, trip)


def record_fixes(
    uow: UnitOfWork, citizen: Citizen, trip_id: str, fixes: list[FixIn]
) -> dict[str, Any]:
    """Add positions to the citizen's active trip, each sealed under the trip's key."""
    trip = _own_trip(uow, citizen, trip_id)
    if trip.status != ACTIVE:
        raise Conflict("the trip has ended")
    key = data_key(uow.session, TRIPS, trip.id, create=False)
    rows = []
    for fix in fixes:
        row_id = new_id()
        at = as_utc(fix.at) if fix.at.tzinfo else fix.at.replace(tzinfo=None)
        accuracy = "" if fix.accuracy is None else f"{fix.accuracy:.1f}"
        plain = f"{at.isoformat()},{fix.lat:.6f},{fix.lon:.6f},{accuracy}"
        rows.append(
            CitizenTripPosition(
                id=row_id, trip_id=trip.id, fix=seal_with(key, POSITIONS, FIX, row_id, plain)
            )
        )
    uow.session.add_all(rows)
    trip.positions += len(rows)
    uow.session.flush()
    check_trip(uow, trip, quick=True)  # at the pace the app sends; the sweep does the rest
    return {"recorded": len(rows), "positions": trip.positions, "check_in": check_in_view(trip)}


def end_trip(uow: UnitOfWork, citizen: Citizen, trip_id: str) -> dict[str, Any]:
    """End the citizen's trip: its key is destroyed once the grace period has passed."""
    trip = _own_trip(uow, citizen, trip_id)
    if trip.status != ACTIVE:
        raise Conflict("the trip has ended already")
    now = utcnow()
    trip.status = ENDED
    trip.ended_at = now
    trip.shred_after = now + timedelta(minutes=citizen_settings().trip_grace_minutes)
    uow.session.flush()
    uow.audit(
        actor_event(
            citizen.actor, "citizen_trip.ended", resource_type="citizen_trip", resource_id=trip.id
        )
    )
    return trip_view(uow, trip)


def own_trip(uow: UnitOfWork, citizen: Citizen, trip_id: str) -> dict[str, Any]:
    return trip_view(uow, _own_trip(uow, citizen, trip_id))


def trip_view(uow: UnitOfWork, trip: CitizenTrip) -> dict[str, Any]:
    """The trip for its citizen: its sealed fields opened while its key lives, None after."""
    fields = ("vehicle_number", "origin", "destination")
    [opened] = open_fields(uow.session, [trip], fields, unreadable=None)
    return {
        "id": trip.id,
        "status": trip.status,
        **opened,
        "expected_arrival": trip.expected_arrival,
        "started_at": trip.started_at,
        "ended_at": trip.ended_at,
        "shred_after": trip.shred_after,
        "positions": trip.positions,
        "check_in": check_in_view(trip),
        "alarm_sos_id": trip.alarm_sos_id,
    }


def open_positions(uow: UnitOfWork, trip_id: str) -> list[str]:
    """A trip's positions opened with its key, in the order received (for the control room,
    later, while the trip is active). Raises :class:`CryptoProblem` once the key is gone."""
    key = data_key(uow.session, TRIPS, trip_id, create=False)
    rows = uow.session.execute(
        select(CitizenTripPosition)
        .where(CitizenTripPosition.trip_id == trip_id)
        .order_by(CitizenTripPosition.received_at, CitizenTripPosition.id)
    ).scalars()
    return [str(open_with(key, POSITIONS, FIX, row.id, bytes(row.fix))) for row in rows]


# --- shredding -----------------------------------------------------------------------------------


def tombstone_message(trip_id: str, data_key_id: str, at: datetime) -> bytes:
    """What a tombstone's signature covers."""
    moment = as_utc(at).isoformat()
    return _TOMBSTONE_DOMAIN + f"{trip_id}\n{data_key_id}\n{moment}\n".encode("ascii")


def sign_tombstone(keyring: KeyRing, trip_id: str, data_key_id: str, at: datetime) -> str:
    return keyring.audit_private.sign(tombstone_message(trip_id, data_key_id, at)).hex()


@dataclass(frozen=True)
class Tombstone:
    """A shredded trip as its tombstone names it (in the database or in the file)."""

    trip_id: str
    data_key_id: str
    shredded_at: datetime
    signature: str


def tombstone_valid(keyring: KeyRing, stone: Tombstone | CitizenTripTombstone) -> bool:
    """Whether a tombstone was signed by this deployment's audit key."""
    from cryptography.exceptions import InvalidSignature

    try:
        keyring.audit_public.verify(
            bytes.fromhex(stone.signature),
            tombstone_message(stone.trip_id, stone.data_key_id, stone.shredded_at),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def tombstone_file(runtime: Runtime) -> Path:
    """Where tombstones are written outside the database (``KOTWAL_CITIZEN_TOMBSTONES``)."""
    configured = citizen_settings().tombstones
    return configured or runtime.settings.data_dir / "citizen" / "trip-tombstones.jsonl"


def _append_tombstone(runtime: Runtime, stone: Tombstone) -> None:
    # Written (and synced) before the shredding commits: a line for a trip whose shredding
    # then rolled back names a trip that was due anyway, and the next sweep destroys it; a
    # shredding committed without its line would be undone by restoring a backup.
    path = tombstone_file(runtime)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = json.dumps(
        {
            "trip": stone.trip_id,
            "key": stone.data_key_id,
            "at": as_utc(stone.shredded_at).isoformat(),
            "sig": stone.signature,
        },
        sort_keys=True,
    )
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def file_tombstones(runtime: Runtime) -> list[Tombstone]:
    """The tombstones in the file outside the database (unreadable lines are skipped: a
    signature decides what is acted on, not the file's say-so)."""
    path = tombstone_file(runtime)
    if not path.exists():
        return []
    stones: list[Tombstone] = []
    for line in path.read_text(encoding="ascii", errors="replace").splitlines():
        try:
            raw = json.loads(line)
            stones.append(
                Tombstone(
                    str(raw["trip"]),
                    str(raw["key"]),
                    datetime.fromisoformat(raw["at"]),
                    str(raw["sig"]),
                )
            )
        except (ValueError, KeyError, TypeError):
            continue
    return stones


@contextmanager
def _secure_delete(uow: UnitOfWork) -> Iterator[None]:
    """SQLite leaves deleted rows in free pages until they are reused; with ``secure_delete``
    it overwrites them with zeros, so the file keeps no copy of a destroyed key. Many builds
    have it on by default; it is switched on here whatever the build, and put back after."""
    if uow.session.get_bind().dialect.name != "sqlite":
        yield
        return
    before = uow.session.execute(text("PRAGMA secure_delete")).scalar_one()
    uow.session.execute(text("PRAGMA secure_delete=1"))
    try:
        yield
    finally:
        uow.session.execute(text(f"PRAGMA secure_delete={int(before)}"))


def shred_trip(uow: UnitOfWork, trip: CitizenTrip, *, reason: str) -> str | None:
    """Destroy a trip's key and positions now; returns the destroyed key's id (None if it was
    gone already). The tombstone and the audit event commit with the unit of work."""
    key_id = uow.session.execute(
        select(DataKey.id).where(DataKey.table_name == TRIPS, DataKey.row_id == trip.id)
    ).scalar_one_or_none()
    with _secure_delete(uow):
        removed = uow.session.execute(
            delete(CitizenTripPosition).where(CitizenTripPosition.trip_id == trip.id)
        )
        shred(uow.session, TRIPS, trip.id)
        trip.vehicle_number = None
        trip.origin = None
        trip.destination = None
        trip.route = None
        now = utcnow()
        trip.status = SHREDDED
        trip.shredded_at = now
        trip.shredded_key = key_id
        trip.ended_at = trip.ended_at or now
        uow.session.flush()
    named = key_id or "none"
    stone = Tombstone(trip.id, named, now, sign_tombstone(uow.runtime.keyring, trip.id, named, now))
    _append_tombstone(uow.runtime, stone)
    uow.session.add(
        CitizenTripTombstone(
            id=new_id(),
            trip_id=stone.trip_id,
            data_key_id=stone.data_key_id,
            shredded_at=stone.shredded_at,
            signature=stone.signature,
        )
    )
    uow.audit(
        AuditEvent(
            action="citizen_trip.shredded",
            outcome=Outcome.SUCCESS,
            actor_id=None,
            actor_name="system:citizen",
            resource_type="citizen_trip",
            resource_id=trip.id,
            detail={
                "data_key": named,
                "positions": cast(CursorResult[Any], removed).rowcount,
                "reason": reason,
            },
        )
    )
    return key_id


def sweep(uow: UnitOfWork, now: datetime | None = None, limit: int = SWEEP_BATCH) -> int:
    """Shred the trips whose time has come (at most ``limit``); returns how many."""
    due = list(
        uow.session.execute(
            select(CitizenTrip)
            .where(CitizenTrip.status != SHREDDED, CitizenTrip.shred_after <= (now or utcnow()))
            .order_by(CitizenTrip.shred_after)
            .limit(limit)
        ).scalars()
    )
    for trip in due:
        shred_trip(uow, trip, reason="grace-period-over" if trip.status == ENDED else "overdue")
    return len(due)


def reapply_tombstones(uow: UnitOfWork) -> int:
    """Forget again what a restored copy of the database brought back: for every tombstone
    signed by this deployment, in the database or in the file outside it, a trip key or
    position still present is destroyed and the tombstone recorded in the database. Returns
    the number of trips that needed it."""
    keyring = uow.runtime.keyring
    stones: dict[str, Tombstone] = {}
    for row in uow.session.execute(select(CitizenTripTombstone)).scalars():
        stones[row.trip_id] = Tombstone(
            row.trip_id, row.data_key_id, as_utc(row.shredded_at), row.signature
        )
    in_database = set(stones)
    for stone in file_tombstones(uow.runtime):
        stones.setdefault(stone.trip_id, stone)
    again = 0
    for stone in stones.values():
        if not tombstone_valid(keyring, stone):
            continue  # not ours: a forged tombstone must not destroy anything
        if stone.trip_id not in in_database:
            uow.session.add(
                CitizenTripTombstone(
                    id=new_id(),
                    trip_id=stone.trip_id,
                    data_key_id=stone.data_key_id,
                    shredded_at=stone.shredded_at,
                    signature=stone.signature,
                )
            )
        if _forget(uow, stone):
            again += 1
    uow.session.flush()
    return again


def _forget(uow: UnitOfWork, stone: Tombstone) -> bool:
    """Destroy what is left of a tombstoned trip; whether anything was."""
    key = uow.session.execute(
        select(DataKey.id).where(DataKey.table_name == TRIPS, DataKey.row_id == stone.trip_id)
    ).scalar_one_or_none()
    left = uow.session.execute(
        select(CitizenTripPosition.id).where(CitizenTripPosition.trip_id == stone.trip_id)
    ).first()
    if key is None and left is None:
        return False
    trip = uow.session.get(CitizenTrip, stone.trip_id)
    with _secure_delete(uow):
        uow.session.execute(
            delete(CitizenTripPosition).where(CitizenTripPosition.trip_id == stone.trip_id)
        )
        shred(uow.session, TRIPS, stone.trip_id)
        if trip is not None:
            trip.vehicle_number = trip.origin = trip.destination = trip.route = None
            trip.status = SHREDDED
            trip.shredded_at = trip.shredded_at or stone.shredded_at
            trip.shredded_key = stone.data_key_id
        uow.session.flush()
    uow.audit(
        AuditEvent(
            action="citizen_trip.shredded",
            outcome=Outcome.SUCCESS,
            actor_id=None,
            actor_name="system:citizen",
            resource_type="citizen_trip",
            resource_id=stone.trip_id,
            detail={"data_key": stone.data_key_id, "reason": "tombstone-reapplied"},
        )
    )
    return True


def checkpoint_on_commit(uow: UnitOfWork) -> None:
    """On SQLite, once the unit has ended, copy the write-ahead log into the database and
    truncate it, so that the log keeps no earlier image of a page that held a destroyed key."""
    engine = uow.runtime.db.engine
    if engine.dialect.name != "sqlite":
        return

    def checkpoint() -> None:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    uow.after_end(checkpoint)


def unreadable(uow: UnitOfWork, trip_id: str) -> bool:
    """Whether a trip's positions can no longer be opened (its key is gone)."""
    try:
        data_key(uow.session, TRIPS, trip_id, create=False)
    except CryptoProblem:
        return True
    return False


# --- the control room's view ----------------------------------------------------------------------

#: Active trips looked at for one control room's list, at most.
WATCH_MAX = 500


def _latest(uow: UnitOfWork, trip: CitizenTrip) -> tuple[datetime, float, float] | None:
    """A trip's latest position (time, lat, lon), opened with its key; None without one."""
    row = uow.session.execute(
        select(CitizenTripPosition)
        .where(CitizenTripPosition.trip_id == trip.id)
        .order_by(CitizenTripPosition.received_at.desc(), CitizenTripPosition.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if row is None:
        return None
    try:
        key = data_key(uow.session, TRIPS, trip.id, create=False)
    except CryptoProblem:
        return None
    at, lat, lon, _ = str(open_with(key, POSITIONS, FIX, row.id, bytes(row.fix))).split(",")
    return datetime.fromisoformat(at), float(lat), float(lon)


def place(uow: UnitOfWork, trip: CitizenTrip) -> tuple[datetime, float, float] | None:
    """File the trip, for this read, under the station whose area holds its latest position
    (``placed_at``: the gate's jurisdiction for it); the latest position, or None (a trip
    with no position yet, or off every mapped area, is filed nowhere and shown to no one)."""
    latest = _latest(uow, trip)
    station_id = None
    if latest is not None:
        reach = patrol.settings_for(uow.runtime).nearest_km * 1000
        station_id = patrol.station_at(uow, latest[1], latest[2], reach)
    node = uow.session.get(Jurisdiction, station_id) if station_id else None
    trip.placed_at = node.path if node is not None else None  # type: ignore[attr-defined]
    return latest if node is not None else None


def _under_sos(uow: UnitOfWork, citizen_ids: list[str]) -> set[str]:
    if not citizen_ids:
        return set()
    rows = uow.session.execute(
        select(CitizenSos.citizen_id).where(
            CitizenSos.citizen_id.in_(citizen_ids), CitizenSos.status == SOS_OPEN
        )
    ).scalars()
    return {row for row in rows if row is not None}


def _watched(uow: UnitOfWork, trip_id: str | None = None) -> list[tuple[CitizenTrip, bool]]:
    """Trips the control room may see: active ones, and ended ones (not yet shredded) whose
    citizen has an SOS open; each with whether it is under an SOS."""
    under_sos = select(CitizenSos.citizen_id).where(CitizenSos.status == SOS_OPEN)
    stmt = select(CitizenTrip).where(
        (CitizenTrip.status == ACTIVE)
        | ((CitizenTrip.status == ENDED) & CitizenTrip.citizen_id.in_(under_sos))
    )
    if trip_id is not None:
        stmt = stmt.where(CitizenTrip.id == trip_id)
    rows = list(
        uow.session.execute(stmt.order_by(CitizenTrip.started_at).limit(WATCH_MAX)).scalars()
    )
    sos = _under_sos(uow, [t.citizen_id for t in rows if t.citizen_id])
    return [(t, t.citizen_id in sos) for t in rows]


def control_room_trips(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """The trips the actor's control room may see now: active (or under an SOS), whose latest
    position lies in its jurisdiction; each through the gate, with when it was last heard
    from, whether it is overdue and whether its citizen has an SOS open."""
    require(actor, CitizenPermission.TRIP_READ)
    now = utcnow()
    shown_trips: list[CitizenTrip] = []
    extra: list[dict[str, Any]] = []
    for trip, sos in _watched(uow):
        latest = place(uow, trip)
        if latest is None or not actor.covers(trip.placed_at):  # type: ignore[attr-defined]
            continue
        shown_trips.append(trip)
        extra.append(
            {
                "last_heard_at": latest[0],
                "overdue": trip.status == ACTIVE and as_utc(trip.expected_arrival) < now,
                "under_sos": sos,
            }
        )
    shown = disclose(uow, actor, None, shown_trips, kind="list") if shown_trips else []
    return [{**view, **more} for view, more in zip(shown, extra, strict=True)]


def control_room_trip(uow: UnitOfWork, actor: Actor, trip_id: str) -> dict[str, Any]:
    """One trip for the control room, with its positions: only while it is active or its
    citizen has an SOS open, and only where its latest position lies in the actor's
    jurisdiction (404 otherwise: an ended trip is nobody's to look at)."""
    require(actor, CitizenPermission.TRIP_READ)
    found = _watched(uow, trip_id)
    if not found:
        raise NotFound("no such active trip")
    trip, sos = found[0]
    latest = place(uow, trip)
    if latest is None or not actor.covers(trip.placed_at):  # type: ignore[attr-defined]
        raise NotFound("no such active trip in your jurisdiction")
    [shown] = disclose(uow, actor, None, [trip], kind="record")
    track = []
    for fix in open_positions(uow, trip.id)[-TRACK_MAX:]:
        at, lat, lon, accuracy = fix.split(",")
        track.append(
            {
                "at": datetime.fromisoformat(at),
                "lat": float(lat),
                "lon": float(lon),
                "accuracy": float(accuracy) if accuracy else None,
            }
        )
    return {
        **shown,
        "last_heard_at": latest[0],
        "overdue": trip.status == ACTIVE and as_utc(trip.expected_arrival) < utcnow(),
        "under_sos": sos,
        "track": track,
    }


#: Positions of one trip shown to the control room, the latest ones.
TRACK_MAX = 2_000


# --- deviation checks ----------------------------------------------------------------------------

OFF_ROUTE, STILL, SILENT, OVERDUE = "off_route", "still", "silent", "overdue"
#: Positions within this many metres of each other are "not moving".
STILL_METRES = 150.0
#: Active trips one sweep checks, at most.
CHECK_BATCH = 500


def _route(data: TripIn) -> str | None:
    if data.origin_place is None or data.destination_place is None:
        return None
    a, b = data.origin_place, data.destination_place
    return f"{a.lat:.6f},{a.lon:.6f};{b.lat:.6f},{b.lon:.6f}"


def _recent_fixes(
    uow: UnitOfWork, trip: CitizenTrip, since: datetime
) -> list[tuple[datetime, float, float]]:
    """The trip's positions received since ``since`` (with the latest before it, so that a
    trip standing still sends nothing new and still has a place), oldest first."""
    key = data_key(uow.session, TRIPS, trip.id, create=False)
    rows = list(
        uow.session.execute(
            select(CitizenTripPosition)
            .where(CitizenTripPosition.trip_id == trip.id, CitizenTripPosition.received_at >= since)
            .order_by(CitizenTripPosition.received_at, CitizenTripPosition.id)
        ).scalars()
    )
    out = []
    for row in rows:
        _, lat, lon, _ = str(open_with(key, POSITIONS, FIX, row.id, bytes(row.fix))).split(",")
        out.append((as_utc(row.received_at), float(lat), float(lon)))
    return out


def _metres_from_segment(
    lat: float, lon: float, a: tuple[float, float], b: tuple[float, float]
) -> float:
    """Metres from a place to the straight line between two places (flat, in metres about
    the place: good enough for a city trip's few kilometres)."""
    scale = math.cos(math.radians(lat)) * geo.METRES_PER_DEGREE
    ax, ay = (a[1] - lon) * scale, (a[0] - lat) * geo.METRES_PER_DEGREE
    bx, by = (b[1] - lon) * scale, (b[0] - lat) * geo.METRES_PER_DEGREE
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length))
    return math.hypot(ax + t * dx, ay + t * dy)


def _deviation(uow: UnitOfWork, trip: CitizenTrip, now: datetime, quick: bool) -> str | None:
    """What is wrong with an active trip now, if anything: off route, standing still, silent,
    overdue (in that order). ``quick`` (as positions arrive) leaves out standing still and
    silent, which need the window's positions opened and which the sweep looks at."""
    settings = citizen_settings()
    window = timedelta(minutes=settings.trip_still_minutes)
    started = as_utc(trip.started_at)
    latest = _latest(uow, trip)
    [opened] = open_fields(uow.session, [trip], ("route",), unreadable=None)
    if latest is not None and opened["route"]:
        (a_lat, a_lon), (b_lat, b_lon) = (
            tuple(float(x) for x in end.split(",")) for end in str(opened["route"]).split(";")
        )
        off = _metres_from_segment(latest[1], latest[2], (a_lat, a_lon), (b_lat, b_lon))
        if off > settings.trip_off_route_km * 1000:
            return OFF_ROUTE
    if not quick and started <= now - window:
        fixes = _recent_fixes(uow, trip, now - window)
        if not fixes:
            return SILENT
        first = fixes[0]
        spread = max(geo.distance_m(first[2], first[1], f[2], f[1]) for f in fixes)
        if len(fixes) >= 2 and spread <= STILL_METRES:
            return STILL
    if now > as_utc(trip.expected_arrival) + timedelta(minutes=settings.trip_late_minutes):
        return OVERDUE
    return None


def check_in_view(trip: CitizenTrip) -> dict[str, Any] | None:
    """The check-in a trip is waiting for, as the app shows it."""
    if trip.check_in_asked_at is None or trip.check_in_answered_at is not None:
        return None
    if trip.alarm_sos_id is not None or trip.check_in_due_at is None:
        return None
    return {
        "deviation": trip.deviation or "",
        "asked_at": trip.check_in_asked_at,
        "due_at": trip.check_in_due_at,
    }


def check_trip(
    uow: UnitOfWork, trip: CitizenTrip, now: datetime | None = None, *, quick: bool = False
) -> str | None:
    """Run an active trip's checks: ask the citizen to check in when something is wrong, and
    raise an SOS for them when a check-in goes unanswered. What happened: "asked", "alarm", or
    None. ``quick``: as positions arrive, off route and overdue only."""
    now = now or utcnow()
    settings = citizen_settings()
    if trip.status != ACTIVE or trip.alarm_sos_id is not None or trip.citizen_id is None:
        return None
    waiting = trip.check_in_asked_at is not None and trip.check_in_answered_at is None
    if waiting:
        if trip.check_in_due_at is not None and now >= as_utc(trip.check_in_due_at):
            return "alarm" if _alarm(uow, trip, f"trip-check:{trip.deviation}") else None
        return None
    quiet_until = (
        as_utc(trip.check_in_answered_at) + timedelta(minutes=settings.trip_still_minutes)
        if trip.check_in_answered_at is not None
        else None
    )
    if quiet_until is not None and now < quiet_until:
        return None
    found = _deviation(uow, trip, now, quick)
    if found is None:
        return None
    trip.deviation = found
    trip.check_in_asked_at = now
    trip.check_in_due_at = now + timedelta(seconds=settings.trip_answer_seconds)
    trip.check_in_answered_at = None
    uow.session.flush()
    uow.audit(
        AuditEvent(
            action="citizen_trip.check_in_asked",
            outcome=Outcome.SUCCESS,
            actor_id=None,
            actor_name="system:citizen",
            resource_type="citizen_trip",
            resource_id=trip.id,
            detail={"deviation": found},
        )
    )
    return "asked"


def _alarm(uow: UnitOfWork, trip: CitizenTrip, raised_by: str) -> bool:
    """Raise an SOS for the trip's citizen at the trip's latest place: an incident in the
    control room's queue with the nearest unit proposed, the contacts told, escalation if it
    is not answered; the trip is then shown to the control room as under an SOS."""
    latest = _latest(uow, trip)
    if latest is None or trip.citizen_id is None:
        uow.audit(
            AuditEvent(
                action="citizen_trip.alarm",
                outcome=Outcome.FAILURE,
                actor_id=None,
                actor_name="system:citizen",
                resource_type="citizen_trip",
                resource_id=trip.id,
                detail={"reason": "no-position"},
            )
        )
        return False
    at, lat, lon = latest
    on_behalf = Citizen(trip.citizen_id, f"system:{raised_by}"[:36])
    try:
        view, _ = sos_service.raise_sos(uow, on_behalf, FixIn(at=at, lat=lat, lon=lon), raised_by)
    except InvalidInput:  # no station near the place: the control room cannot be reached
        return False
    trip.alarm_sos_id = str(view["id"])
    uow.session.flush()
    uow.audit(
        AuditEvent(
            action="citizen_trip.alarm",
            outcome=Outcome.SUCCESS,
            actor_id=None,
            actor_name="system:citizen",
            resource_type="citizen_trip",
            resource_id=trip.id,
            detail={"sos": trip.alarm_sos_id, "raised_by": raised_by},
        )
    )
    return True


def answer_check_in(uow: UnitOfWork, citizen: Citizen, trip_id: str, safe: bool) -> dict[str, Any]:
    """The citizen answers the trip's check-in: safe (the checks rest for a while), or not
    (an SOS now, at the trip's latest place)."""
    trip = _own_trip(uow, citizen, trip_id)
    if trip.status != ACTIVE:
        raise Conflict("the trip has ended")
    now = utcnow()
    if safe:
        if check_in_view(trip) is None:
            raise Conflict("the trip is not waiting for a check-in")
        trip.check_in_answered_at = now
        trip.deviation = None
        uow.session.flush()
        uow.audit(
            actor_event(
                citizen.actor,
                "citizen_trip.check_in_answered",
                resource_type="citizen_trip",
                resource_id=trip.id,
                detail={"safe": True},
            )
        )
    elif trip.alarm_sos_id is None:
        trip.check_in_answered_at = now
        if not _alarm(uow, trip, "trip-check:not-safe"):
            raise Conflict("the trip has no position yet: raise an SOS from where you are")
    return trip_view(uow, trip)


def check_trips(uow: UnitOfWork, now: datetime | None = None) -> dict[str, int]:
    """Run every active trip's checks (at most :data:`CHECK_BATCH`, the longest-running first)."""
    now = now or utcnow()
    counts = {"checked": 0, "asked": 0, "alarm": 0}
    rows = uow.session.execute(
        select(CitizenTrip)
        .where(CitizenTrip.status == ACTIVE, CitizenTrip.alarm_sos_id.is_(None))
        .order_by(CitizenTrip.started_at)
        .limit(CHECK_BATCH)
    ).scalars()
    for trip in list(rows):
        counts["checked"] += 1
        done = check_trip(uow, trip, now)
        if done is not None:
            counts[done] += 1
    return counts
