"""Positions from trackers: the OsmAnd/Traccar client protocol, and the writer that puts pings
into the database in batches.

**Protocol.** What the OsmAnd app and Traccar Client send (https://www.traccar.org/osmand/):
an HTTP request, GET or POST, with query or form parameters ``id`` (or ``deviceid``),
``lat``, ``lon``, ``timestamp`` (Unix seconds or milliseconds, or ISO 8601, or
"yyyy-MM-dd HH:mm:ss" in UTC), ``speed`` (knots), ``bearing`` (or ``heading``, degrees),
``accuracy`` (metres), ``batt`` (percent), ``altitude`` and ``valid``; or, from Traccar Client
9 on, a JSON body ``{"device_id": ..., "location": {"timestamp", "coords": {"latitude",
"longitude", "speed" (m/s), "heading", "accuracy"}, "battery": {"level" (0-1)}}}``. The
answer is an empty 200.

**Authentication.** These clients send nothing but the device identifier, so the identifier
*is* the tracker's token: 256 random bits issued by ``kotwal patrol device enrol`` (or the
API), of which the server keeps only the SHA-256. It may also come as a bearer token. No key
is shared between trackers; revoking one stops its pings at the next batch, since every batch
looks its tokens up in the database in the transaction that writes it.

**Writing.** A request hands its ping to the process's :class:`PingWriter` and waits (without
holding a thread) until the batch that holds it is committed: a 200 means the position is
durable. The writer takes what has queued (up to ``KOTWAL_PATROL_BATCH_MAX``), checks the
tokens, inserts the track rows and moves each unit's latest position forward, in one
transaction. On SQLite its writers of several processes take turns on the database's writer
lock, as the audit writer's do.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import threading
import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from kotwal.core.audit import AuditEvent, Outcome
from kotwal.core.clock import utcnow
from kotwal.core.runtime import Runtime
from kotwal.patrol.config import PatrolSettings
from kotwal.patrol.models import PatrolDevice, PatrolLatestPosition, PatrolPosition
from kotwal.patrol.service import settings_for, token_hash

#: Knots per metre per second: Traccar Client's JSON sends m/s, the query protocol knots.
KNOTS_PER_MPS = 1.943844
TOKEN_MAX = 200
#: Refused pings are audited once per token and process in this many seconds: a revoked
#: tracker retries every few seconds, and one event tells the story.
REFUSAL_AUDIT_SECONDS = 600
#: A writer with nothing to write for this long ends its thread.
IDLE_SECONDS = 30.0
#: Unix times below this are seconds, above it milliseconds (as Traccar decides).
_MS_THRESHOLD = 2**31


class BadPing(ValueError):
    """A ping that cannot be read; the message names the parameter."""


@dataclass(frozen=True)
class Ping:
    """One position as a tracker reported it, read and checked."""

    token_hash: str
    fixed_at: datetime
    received_at: datetime
    lat: float
    lon: float
    speed: float | None
    bearing: float | None
    accuracy: float | None
    battery: float | None
    #: False for a fix the tracker marks invalid or one older than tracks are kept: its token
    #: is still checked (the answer says whether the tracker is known), nothing is stored.
    keep: bool = True


def _number(raw: Any, name: str, low: float, high: float) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise BadPing(f"{name} is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise BadPing(f"{name} must lie between {low:g} and {high:g}")
    return value


def parse_timestamp(raw: Any, received: datetime) -> datetime:
    """The fix time as the OsmAnd protocol allows it; the receiving time if absent."""
    if raw is None or raw == "":
        return received
    text = str(raw).strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:
        if not math.isfinite(number) or number < 0:
            raise BadPing("timestamp is not a time")
        seconds = number if number < _MS_THRESHOLD else number / 1000
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise BadPing("timestamp is not a time") from None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadPing("timestamp is not Unix time, ISO 8601 or yyyy-MM-dd HH:mm:ss") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _token(raw: Any) -> str:
    if not isinstance(raw, str | int) or not str(raw).strip():
        raise BadPing("id (the tracker's token) is missing")
    token = str(raw).strip()
    if len(token) > TOKEN_MAX:
        raise BadPing("id is too long")
    return token


def ping_from_params(
    params: Mapping[str, Any],
    bearer: str | None,
    settings: PatrolSettings,
    received: datetime | None = None,
) -> Ping:
    """A ping from OsmAnd query or form parameters (see :attr:`Ping.keep` for the fixes
    answered and not stored)."""
    received = received or utcnow()
    token = _token(bearer or params.get("id") or params.get("deviceid"))
    if str(params.get("valid", "true")).lower() in ("false", "0"):
        return Ping(token_hash(token), received, received, 0.0, 0.0, None, None, None, None, False)
    lat = _number(params.get("lat"), "lat", -90, 90)
    lon = _number(params.get("lon"), "lon", -180, 180)
    if lat is None or lon is None:
        raise BadPing("lat and lon are required")
    return _checked(
        Ping(
            token_hash=token_hash(token),
            fixed_at=parse_timestamp(params.get("timestamp"), received),
            received_at=received,
            lat=lat,
            lon=lon,
            speed=_number(params.get("speed"), "speed", 0, 1000),
            bearing=_number(params.get("bearing", params.get("heading")), "bearing", 0, 360),
            accuracy=_number(params.get("accuracy"), "accuracy", 0, 100_000),
            battery=_number(params.get("batt"), "batt", 0, 100),
        ),
        settings,
    )


def ping_from_json(
    body: Any, bearer: str | None, settings: PatrolSettings, received: datetime | None = None
) -> Ping:
    """A ping from Traccar Client's JSON body (speed in m/s, battery level 0-1)."""
    if not isinstance(body, dict) or not isinstance(body.get("location"), dict):
        raise BadPing("the JSON body has no location")
    location = body["location"]
    coords = location.get("coords")
    if not isinstance(coords, dict):
        raise BadPing("location.coords is missing")
    battery = location.get("battery")
    level = battery.get("level") if isinstance(battery, dict) else None
    speed = _number(coords.get("speed"), "speed", -1, 1000)
    level_number = _number(level, "battery.level", -1, 1)
    params = {
        "id": body.get("device_id"),
        "lat": coords.get("latitude"),
        "lon": coords.get("longitude"),
        "timestamp": location.get("timestamp"),
        # The SDK sends -1 for "unknown".
        "speed": speed * KNOTS_PER_MPS if speed is not None and speed >= 0 else None,
        "bearing": coords.get("heading") if (coords.get("heading") or 0) >= 0 else None,
        "accuracy": coords.get("accuracy"),
        "batt": level_number * 100 if level_number is not None and level_number >= 0 else None,
    }
    return ping_from_params(params, bearer, settings, received)


def _checked(ping: Ping, settings: PatrolSettings) -> Ping:
    if ping.fixed_at > ping.received_at + timedelta(seconds=settings.future_seconds):
        raise BadPing("timestamp lies in the future (check the tracker's clock)")
    if ping.fixed_at < ping.received_at - timedelta(days=settings.track_days):
        return dataclasses.replace(ping, keep=False)
    return ping


# --- the writer --------------------------------------------------------------------------

_writers: dict[int, PingWriter] = {}
_writers_lock = threading.Lock()


@dataclass
class _Waiting:
    ping: Ping
    done: asyncio.Future[bool] | Future[bool]
    loop: asyncio.AbstractEventLoop | None


def _settle(waiting: _Waiting, accepted: bool | BaseException) -> None:
    done = waiting.done

    def put() -> None:
        if done.done():
            return
        if isinstance(accepted, BaseException):
            done.set_exception(accepted)
        else:
            done.set_result(accepted)

    if waiting.loop is not None:
        # A loop that has closed has nobody waiting on it any more.
        with contextlib.suppress(RuntimeError):
            waiting.loop.call_soon_threadsafe(put)
    else:
        put()


class PingWriter:
    """One thread per process that writes queued pings in batches (see the module's text)."""

    def __init__(self, runtime: Runtime, settings: PatrolSettings | None = None) -> None:
        self.runtime = runtime
        self.settings = settings or settings_for(runtime)
        self._queue: deque[_Waiting] = deque()
        self._ready = threading.Condition()
        self._stopping = False
        self._refusals: dict[str, float] = {}
        self._thread = threading.Thread(target=self._run, name="kotwal-ping-writer", daemon=True)
        self._thread.start()
        dialect = runtime.db.engine.dialect.name
        self._upsert = pg_insert if dialect == "postgresql" else sqlite_insert

    def _put(self, waiting: _Waiting) -> None:
        # Called with the registry's lock held (see _enqueue), so the writer cannot retire
        # between being found and being given the ping.
        with self._ready:
            if self._stopping:
                raise RuntimeError("the ping writer has stopped")
            self._queue.append(waiting)
            self._ready.notify()

    def stop(self) -> None:
        with self._ready:
            self._stopping = True
            self._ready.notify()
        self._thread.join(timeout=10)

    def _retire_if_idle(self) -> bool:
        """After :data:`IDLE_SECONDS` without a ping the thread ends (and the next ping
        starts another): a runtime that is closed leaves no thread behind."""
        with _writers_lock, self._ready:
            if self._queue:
                return False
            self._stopping = True
            if _writers.get(id(self.runtime)) is self:
                del _writers[id(self.runtime)]
            return True

    def _take(self) -> list[_Waiting]:
        with self._ready:
            deadline = time.monotonic() + IDLE_SECONDS
            while not self._queue and not self._stopping and time.monotonic() < deadline:
                self._ready.wait(timeout=max(0.0, deadline - time.monotonic()))
            if not self._queue:
                if self._stopping:
                    return []
                idle = True
            else:
                idle = False
        if idle:
            return [] if self._retire_if_idle() else self._take()
        # Let a batch gather: pings arrive continuously, and one commit for many is the point.
        wait = self.settings.batch_wait_ms / 1000
        if wait and len(self._queue) < self.settings.batch_max:
            time.sleep(wait)
        with self._ready:
            count = min(len(self._queue), self.settings.batch_max)
            return [self._queue.popleft() for _ in range(count)]

    def _run(self) -> None:
        while True:
            batch = self._take()
            if not batch:
                return
            try:
                verdicts = self._write([w.ping for w in batch])
            except Exception as exc:  # the requests answer 503; the writer carries on
                for waiting in batch:
                    _settle(waiting, exc)
                continue
            for waiting, accepted in zip(batch, verdicts, strict=True):
                _settle(waiting, accepted)

    def _write(self, pings: list[Ping]) -> list[bool]:
        db = self.runtime.db
        with db.serial_writer(), db.transaction(write=True) as session:
            hashes = {p.token_hash for p in pings}
            found = session.execute(
                select(
                    PatrolDevice.token_hash,
                    PatrolDevice.id,
                    PatrolDevice.unit_id,
                    PatrolDevice.jurisdiction_path,
                ).where(PatrolDevice.token_hash.in_(hashes), PatrolDevice.revoked_at.is_(None))
            ).all()
            devices = {row[0]: row[1:] for row in found}
            track: list[dict[str, Any]] = []
            newest: dict[str, dict[str, Any]] = {}
            verdicts: list[bool] = []
            for ping in pings:
                device = devices.get(ping.token_hash)
                verdicts.append(device is not None)
                if device is None or not ping.keep:
                    continue
                device_id, unit_id, path = device
                row = {
                    "unit_id": unit_id,
                    "device_id": device_id,
                    "fixed_at": ping.fixed_at,
                    "received_at": ping.received_at,
                    "lat": ping.lat,
                    "lon": ping.lon,
                    "speed": ping.speed,
                    "bearing": ping.bearing,
                    "accuracy": ping.accuracy,
                    "battery": ping.battery,
                }
                track.append(row)
                held = newest.get(unit_id)
                if held is None or ping.fixed_at >= held["fixed_at"]:
                    latest = dict(row, id=unit_id, jurisdiction_path=path)
                    del latest["unit_id"]
                    newest[unit_id] = latest
            if track:
                session.execute(insert(PatrolPosition), track)
                self._move_latest(session, list(newest.values()))
            refused = self._refusals_to_audit(
                [p for p, ok in zip(pings, verdicts, strict=True) if not ok]
            )
        if refused:
            self.runtime.committer.write(refused)
        return verdicts

    def _move_latest(self, session: Any, rows: list[dict[str, Any]]) -> None:
        """Insert or move forward each unit's latest position, never backward: a tracker
        that sends its buffered fixes late must not pull a unit back to where it was."""
        stmt = self._upsert(PatrolLatestPosition)
        excluded = stmt.excluded
        columns = [c for c in rows[0] if c != "id"]
        stmt = stmt.on_conflict_do_update(
            index_elements=[PatrolLatestPosition.id],
            set_={c: excluded[c] for c in columns},
            where=excluded.fixed_at >= PatrolLatestPosition.fixed_at,
        )
        session.execute(stmt, rows)

    def _refusals_to_audit(self, refused: list[Ping]) -> list[AuditEvent]:
        now, events = time.monotonic(), []
        for ping in refused:
            last = self._refusals.get(ping.token_hash)
            if last is not None and now - last < REFUSAL_AUDIT_SECONDS:
                continue
            self._refusals[ping.token_hash] = now
            events.append(
                AuditEvent(
                    action="patrol.ping",
                    outcome=Outcome.DENIED,
                    actor_id=None,
                    actor_name="tracker",
                    resource_type="patrol_device",
                    # A prefix of the token's hash names the tracker to whoever holds its
                    # record, and tells nobody else anything.
                    detail={"reason": "unknown-or-revoked-token", "token": ping.token_hash[:12]},
                )
            )
        if len(self._refusals) > 10_000:
            self._refusals.clear()
        return events


def _enqueue(runtime: Runtime, waiting: _Waiting) -> None:
    with _writers_lock:
        writer = _writers.get(id(runtime))
        if writer is None or writer.runtime is not runtime:
            writer = _writers[id(runtime)] = PingWriter(runtime)
        writer._put(waiting)


async def submit(runtime: Runtime, ping: Ping) -> bool:
    """Queue a ping and wait, without holding a thread, until its batch is committed: True if
    it was written, False if its token is unknown or revoked."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[bool] = loop.create_future()
    _enqueue(runtime, _Waiting(ping, done, loop))
    return await done


def submit_wait(runtime: Runtime, ping: Ping, timeout: float = 30.0) -> bool:
    """:func:`submit` for a caller without an event loop (commands, tests)."""
    done: Future[bool] = Future()
    _enqueue(runtime, _Waiting(ping, done, None))
    return done.result(timeout)


def stop_writer(runtime: Runtime) -> None:
    """Stop this runtime's writer once it has written what it holds."""
    with _writers_lock:
        writer = _writers.pop(id(runtime), None)
    if writer is not None:
        writer.stop()
