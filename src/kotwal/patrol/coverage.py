"""Check-ins and beat coverage (issue 21 item 4).

**Codes.** Each check-in point has one code a day, ``KPC1.<point id>.<day>.<mac>``, where the
MAC is HMAC-SHA256 over the point and the station's calendar day under a key derived from the
instance's index key (:func:`kotwal.core.crypto.blind_index`, domain ``patrol.checkin``): the
key lives with the instance's other keys, never in the repository or the database. A code
names its day, so a code photographed on Tuesday is refused on Wednesday, and a code for one
point cannot be made into another's.

**Geofence.** A check-in counts only when the unit's own tracker (not the phone that scanned)
last placed it within the point's radius, with a fix no older than
``KOTWAL_PATROL_CHECKIN_FIX_SECONDS``. Every refusal is audited with its reason.

**Coverage of a shift.** The share of its beat's check-in points the unit checked in at during
the shift, and the share of the beat's area its track passed through: the beat is divided into
cells of ``KOTWAL_PATROL_COVERAGE_CELL_M`` (those whose centre lies inside it), the track is
drawn between consecutive fixes up to :data:`BRIDGE_MAX_M` apart (a longer jump is a tracker
that was off, or a bad fix, and is not drawn), and a cell counts once the drawn track crosses it.

**Uncovered beats.** :func:`check_uncovered` (``kotwal patrol check-coverage``, every few
minutes from cron or a timer) reads the positions received since its last run, notes the time
any unit was inside each beat (and the check-ins at the beat's points), and raises an alert to
the station for each beat nobody covered for ``KOTWAL_PATROL_UNCOVERED_HOURS``; the alert closes
itself when a unit is back in the beat.
"""

from __future__ import annotations

import hmac
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt
import shapely
from sqlalchemy import func, select

from kotwal.core.audit import Outcome, actor_event
from kotwal.core.clock import as_utc, station_today, utcnow
from kotwal.core.crypto import blind_index
from kotwal.core.errors import Conflict, InvalidInput, NotFound
from kotwal.core.policy import Actor
from kotwal.core.runtime import Runtime
from kotwal.core.scope import in_jurisdiction, require
from kotwal.core.uow import UnitOfWork
from kotwal.patrol import geo
from kotwal.patrol.models import (
    PatrolArea,
    PatrolBeatAlert,
    PatrolBeatPresence,
    PatrolCheckin,
    PatrolCoverageRun,
    PatrolLatestPosition,
    PatrolPoint,
    PatrolPosition,
    PatrolShift,
)
from kotwal.patrol.permissions import PatrolPermission as P
from kotwal.patrol.schemas import AreaKind

CODE_PREFIX = "KPC1"
CODE_DOMAIN = "patrol.checkin"
#: 128 bits of MAC: a forged code would need 2^128 guesses.
CODE_BITS = 128
_CODE = re.compile(
    rf"{CODE_PREFIX}\.([0-9a-f-]{{36}})\.(\d{{4}}-\d{{2}}-\d{{2}})\.([0-9a-f]{{{CODE_BITS // 4}}})"
)
#: Codes can be printed for the days ahead, up to this many (a month's sheets).
CODE_DAYS_AHEAD = 31
#: Consecutive fixes further apart than this are not joined when the track is drawn.
BRIDGE_MAX_M = 1_000.0
#: The coverage check reads again what was received this long before its last run (a batch
#: received just before the run may have committed just after it).
RUN_OVERLAP = timedelta(minutes=1)
#: Positions read per slice by the coverage check; a beat is marked as seen at the slice's end.
SLICE = timedelta(minutes=10)
SYSTEM = "system:coverage"
ALERT_PAGE_MAX = 500


class CheckinRefused(InvalidInput):
    """The check-in was not recorded; ``reason`` says why in one word."""

    slug = "checkin-refused"
    title = "The check-in was not recorded"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, reason=reason)
        self.reason = reason


def _mac(uow_or_runtime: UnitOfWork | Runtime, point_id: str, day: date) -> str:
    runtime = uow_or_runtime.runtime if isinstance(uow_or_runtime, UnitOfWork) else uow_or_runtime
    return blind_index(runtime.keyring, CODE_DOMAIN, f"{point_id}:{day.isoformat()}", CODE_BITS)


def make_code(runtime: Runtime, point_id: str, day: date) -> str:
    """The check-in code of a point for one of the stations' calendar days."""
    return f"{CODE_PREFIX}.{point_id}.{day.isoformat()}.{_mac(runtime, point_id, day)}"


def point_code(
    uow: UnitOfWork, actor: Actor, point_id: str, day: date | None = None
) -> tuple[PatrolPoint, date, str]:
    """The code to print or show at a point of the actor's jurisdiction for a day (today by
    default, up to :data:`CODE_DAYS_AHEAD` ahead; never a past day). Audited: whoever holds a
    code can check in with it that day."""
    require(actor, P.AREA_MANAGE)
    point = uow.session.get(PatrolPoint, point_id)
    if point is None or not actor.covers(point.jurisdiction_path):
        raise NotFound("no such check-in point in your jurisdiction")
    today = station_today(uow.runtime)
    day = day or today
    if not today <= day <= today + timedelta(days=CODE_DAYS_AHEAD):
        raise InvalidInput(f"codes are issued for today and up to {CODE_DAYS_AHEAD} days ahead")
    uow.audit(
        actor_event(
            actor,
            "patrol.checkin.code",
            Outcome.SUCCESS,
            resource_type="patrol_point",
            resource_id=point.id,
            detail={"day": day.isoformat()},
        )
    )
    return point, day, make_code(uow.runtime, point.id, day)


def _refuse(uow: UnitOfWork, actor: Actor, unit_id: str, reason: str, message: str) -> NoReturn:
    # Recorded whatever becomes of the request, which is refused and rolled back.
    uow.record_now(
        [
            actor_event(
                actor,
                "patrol.checkin",
                Outcome.DENIED,
                resource_type="patrol_unit",
                resource_id=unit_id[:64],
                detail={"reason": reason},
            )
        ]
    )
    raise CheckinRefused(reason, message)


def check_in(uow: UnitOfWork, actor: Actor, code: str, unit_id: str) -> PatrolCheckin:
    """Record a unit's check-in at the point whose code was scanned: the code must be genuine
    and today's, the unit on a running shift, and its tracker's latest fix recent and within
    the point's radius. Refusals are audited and write nothing else."""
    from kotwal.patrol import service  # the unit helpers; service does not import this module

    require(actor, P.CHECKIN)
    unit = service._writable_unit(uow, actor, unit_id, "patrol.checkin")
    found = _CODE.fullmatch(code.strip())
    if found is None:
        _refuse(uow, actor, unit.id, "unreadable", "this is not a kotwal check-in code")
    point_id, day_text, mac = found.groups()
    point = uow.session.get(PatrolPoint, point_id)
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        day = None
    if point is None or day is None or not hmac.compare_digest(mac, _mac(uow, point_id, day)):
        _refuse(uow, actor, unit.id, "forged", "the code is not one kotwal issued")
    today = station_today(uow.runtime)
    if day != today:
        _refuse(
            uow,
            actor,
            unit.id,
            "other-day",
            f"the code is for {day.isoformat()}, not today ({today.isoformat()}): scan the "
            "code shown at the point today",
        )
    if not actor.covers(point.jurisdiction_path):
        _refuse(uow, actor, unit.id, "outside", "the point is outside your jurisdiction")
    running = uow.session.execute(
        select(PatrolShift).where(PatrolShift.unit_id == unit.id, PatrolShift.ended_at.is_(None))
    ).scalar_one_or_none()
    if running is None:
        _refuse(uow, actor, unit.id, "no-shift", "the unit has no shift running")
    settings = service.settings_for(uow.runtime)
    now = utcnow()
    fix = uow.session.get(PatrolLatestPosition, unit.id)
    if fix is None or as_utc(fix.fixed_at) < now - timedelta(seconds=settings.checkin_fix_seconds):
        _refuse(
            uow,
            actor,
            unit.id,
            "no-fix",
            f"the unit's tracker has not placed it in the last "
            f"{settings.checkin_fix_seconds} s: a check-in needs a fresh position",
        )
    metres = geo.distance_m(fix.lon, fix.lat, point.lon, point.lat)
    if metres > point.radius_m:
        _refuse(
            uow,
            actor,
            unit.id,
            "outside-radius",
            f"the unit's tracker places it {metres:,.0f} m from the point; a check-in counts "
            f"within {point.radius_m} m",
        )
    checkin = PatrolCheckin(
        point_id=point.id,
        unit_id=unit.id,
        shift_id=running.id,
        beat_id=point.beat_id,
        jurisdiction_path=point.jurisdiction_path,
        day=day.isoformat(),
        at=now,
        fixed_at=fix.fixed_at,
        lat=fix.lat,
        lon=fix.lon,
        distance_m=round(metres, 1),
        by_name=actor.username[:64],
    )
    uow.session.add(checkin)
    uow.session.flush()
    uow.audit(
        actor_event(
            actor,
            "patrol.checkin",
            Outcome.SUCCESS,
            resource_type="patrol_point",
            resource_id=point.id,
            detail={"unit": unit.id, "distance_m": round(metres)},
        )
    )
    return checkin


# --- coverage of a shift --------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """A beat divided into square cells: the cells whose centre lies inside it, as keys."""

    min_lon: float
    min_lat: float
    dlon: float
    dlat: float
    nx: int
    ny: int
    cells: npt.NDArray[np.int64]

    def keys(
        self, lons: npt.NDArray[np.float64], lats: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.int64]:
        """The cells (keys) holding these places; places outside the grid are dropped."""
        ix = np.floor((lons - self.min_lon) / self.dlon).astype(np.int64)
        iy = np.floor((lats - self.min_lat) / self.dlat).astype(np.int64)
        keep = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        keys: npt.NDArray[np.int64] = iy[keep] * self.nx + ix[keep]
        return keys


@lru_cache(maxsize=8192)
def beat_grid(geometry: str, cell_m: int) -> Grid:
    """The grid of a beat's shape (GeoJSON text) in cells of ``cell_m`` metres (cached by the
    shape itself, so a changed shape is gridded anew)."""
    shape = geo.from_text(geometry)
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    dlat = cell_m / geo.METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians((min_lat + max_lat) / 2)), 0.01)
    nx = max(1, math.ceil((max_lon - min_lon) / dlon))
    ny = max(1, math.ceil((max_lat - min_lat) / dlat))
    xs = min_lon + (np.arange(nx) + 0.5) * dlon
    ys = min_lat + (np.arange(ny) + 0.5) * dlat
    gx, gy = np.meshgrid(xs, ys)
    inside = shapely.contains_xy(shape, gx.ravel(), gy.ravel())
    cells = np.flatnonzero(inside).astype(np.int64)
    if cells.size == 0:  # a beat thinner than a cell: the cell of a point inside it
        here = shape.representative_point()
        ix = min(int((here.x - min_lon) / dlon), nx - 1)
        iy = min(int((here.y - min_lat) / dlat), ny - 1)
        cells = np.array([iy * nx + ix], dtype=np.int64)
    return Grid(min_lon, min_lat, dlon, dlat, nx, ny, cells)


def drawn_track(
    lons: npt.NDArray[np.float64], lats: npt.NDArray[np.float64], step_m: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The places along a track (fixes in time order) at most ``step_m`` apart: each pair of
    consecutive fixes up to :data:`BRIDGE_MAX_M` apart is joined by a straight line sampled
    every ``step_m``; farther pairs are left unjoined."""
    if lons.size < 2:
        return lons, lats
    mid = math.radians(float(lats.mean()))
    dx = np.diff(lons) * math.cos(mid) * geo.METRES_PER_DEGREE
    dy = np.diff(lats) * geo.METRES_PER_DEGREE
    length = np.hypot(dx, dy)
    steps = np.where(length <= BRIDGE_MAX_M, np.ceil(length / step_m), 1).astype(np.int64)
    steps = np.maximum(steps, 1)
    starts = np.repeat(np.arange(steps.size), steps)
    offset = np.arange(int(steps.sum())) - np.repeat(np.cumsum(steps) - steps, steps)
    t = offset / steps[starts]
    out_lon = np.concatenate([lons[starts] + np.diff(lons)[starts] * t, lons[-1:]])
    out_lat = np.concatenate([lats[starts] + np.diff(lats)[starts] * t, lats[-1:]])
    return out_lon, out_lat


@dataclass(frozen=True)
class Coverage:
    """How well a shift covered its beat (None where the shift names no beat)."""

    shift_id: str
    unit_id: str
    beat_id: str | None
    starts_at: datetime
    ends_at: datetime
    points: int
    points_visited: int
    cells: int
    cells_passed: int
    fixes: int

    @property
    def points_share(self) -> float | None:
        return round(self.points_visited / self.points, 3) if self.points else None

    @property
    def area_share(self) -> float | None:
        return round(self.cells_passed / self.cells, 3) if self.cells else None


def _window(shift: PatrolShift, now: datetime) -> tuple[datetime, datetime]:
    end = as_utc(shift.ended_at) if shift.ended_at else min(as_utc(shift.ends_at), now)
    return as_utc(shift.starts_at), max(end, as_utc(shift.starts_at))


def _coordinates(
    connection: Any, stmt: Any
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The (lon, lat) rows of ``stmt`` as two arrays, through Core and the driver's own rows:
    a shift is thousands of fixes, and per-row objects (the ORM's, and numpy probing them)
    cost ten times the rest of the computation."""
    result = connection.execute(stmt)
    raw = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    flat = np.fromiter(itertools.chain.from_iterable(raw), dtype=np.float64)
    return flat[0::2], flat[1::2]


def coverage_of(uow: UnitOfWork, shifts: Sequence[PatrolShift]) -> list[Coverage]:
    """Coverage of each shift over its beat (no permission checked: callers check). One query
    for the beats, one for their points, one for the check-ins, and one per shift for its
    track (by the index on unit and time)."""
    from kotwal.patrol import service

    cell_m = service.settings_for(uow.runtime).coverage_cell_m
    now = utcnow()
    beat_ids = {s.beat_id for s in shifts if s.beat_id}
    geometry: dict[str, str] = {}
    points: dict[str, int] = {}
    if beat_ids:
        for beat_id, text in uow.session.execute(
            select(PatrolArea.id, PatrolArea.geometry).where(PatrolArea.id.in_(beat_ids))
        ):
            geometry[beat_id] = text
        for point_beat, count in uow.session.execute(
            select(PatrolPoint.beat_id, func.count())
            .where(PatrolPoint.beat_id.in_(beat_ids))
            .group_by(PatrolPoint.beat_id)
        ):
            points[str(point_beat)] = int(count)
    visited: dict[str, int] = {}
    ids = [s.id for s in shifts if s.beat_id]
    for chunk in range(0, len(ids), 500):
        stmt = (
            select(PatrolCheckin.shift_id, func.count(func.distinct(PatrolCheckin.point_id)))
            .join(PatrolShift, PatrolShift.id == PatrolCheckin.shift_id)
            .where(
                PatrolCheckin.shift_id.in_(ids[chunk : chunk + 500]),
                PatrolCheckin.beat_id == PatrolShift.beat_id,
            )
            .group_by(PatrolCheckin.shift_id)
        )
        for shift_id, count in uow.session.execute(stmt):
            visited[str(shift_id)] = int(count)
    connection = uow.session.connection()
    out = []
    for shift in shifts:
        start, end = _window(shift, now)
        if shift.beat_id is None or shift.beat_id not in geometry:
            out.append(Coverage(shift.id, shift.unit_id, None, start, end, 0, 0, 0, 0, 0))
            continue
        grid = beat_grid(geometry[shift.beat_id], cell_m)
        lons, lats = _coordinates(
            connection,
            select(PatrolPosition.lon, PatrolPosition.lat)
            .where(
                PatrolPosition.unit_id == shift.unit_id,
                PatrolPosition.fixed_at >= start,
                PatrolPosition.fixed_at <= end,
            )
            .order_by(PatrolPosition.fixed_at),
        )
        fixes = lons.size
        passed = 0
        if fixes:
            xs, ys = drawn_track(lons, lats, cell_m / 2)
            passed = int(np.isin(grid.cells, grid.keys(xs, ys)).sum())
        out.append(
            Coverage(
                shift.id,
                shift.unit_id,
                shift.beat_id,
                start,
                end,
                points.get(shift.beat_id, 0),
                visited.get(shift.id, 0),
                int(grid.cells.size),
                passed,
                fixes,
            )
        )
    return out


def shift_coverage(uow: UnitOfWork, actor: Actor, shift_id: str) -> Coverage:
    """How well one shift of the actor's jurisdiction covered its beat."""
    require(actor, P.COVERAGE_READ)
    shift = uow.session.get(PatrolShift, shift_id)
    if shift is None or not actor.covers(shift.jurisdiction_path):
        raise NotFound("no such shift in your jurisdiction")
    return coverage_of(uow, [shift])[0]


def coverage_between(
    uow: UnitOfWork, actor: Actor, since: datetime, until: datetime, limit: int = 1000
) -> list[Coverage]:
    """Coverage of the shifts of the actor's jurisdiction that started in a period (up to 7
    days), oldest first."""
    require(actor, P.COVERAGE_READ)
    since, until = as_utc(since), as_utc(until)
    if not timedelta(0) < until - since <= timedelta(days=7):
        raise InvalidInput("coverage is read for a period of up to 7 days, since before until")
    stmt = (
        select(PatrolShift)
        .where(
            in_jurisdiction(PatrolShift.jurisdiction_path, actor),
            PatrolShift.starts_at >= since,
            PatrolShift.starts_at < until,
        )
        .order_by(PatrolShift.starts_at, PatrolShift.id)
        .limit(min(limit, 5000))
    )
    return coverage_of(uow, list(uow.session.execute(stmt).scalars()))


# --- beats left uncovered -------------------------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    """What one run of the coverage check did."""

    since: datetime
    positions: int
    beats: int
    raised: int
    closed: int


def _seen(
    session: Any, since: datetime, now: datetime, index: geo.ShapeIndex
) -> tuple[dict[str, datetime], int]:
    """When each beat last held a position received in (since, now], to within a slice."""
    seen: dict[str, datetime] = {}
    total = 0
    start = since
    while start < now:
        end = min(start + SLICE, now)
        lons, lats = _coordinates(
            session.connection(),
            select(PatrolPosition.lon, PatrolPosition.lat).where(
                PatrolPosition.received_at > start, PatrolPosition.received_at <= end
            ),
        )
        total += lons.size
        if lons.size and len(index):
            places = shapely.points(lons, lats)
            hits = index.tree.query(places, predicate="intersects")
            for i in np.unique(hits[1]):
                seen[index.keys[int(i)]] = end
        start = end
    return seen, total


def check_uncovered(runtime: Runtime, actor: Actor, now: datetime | None = None) -> RunResult:
    """Note where units have been since the last run and raise an alert to the station for
    every beat no unit covered for ``KOTWAL_PATROL_UNCOVERED_HOURS`` (one open alert per beat;
    it closes itself once a unit is back). Beats drawn less than that long ago are not judged
    yet. Audited once per run, with its counts."""
    from kotwal.patrol import service

    hours = service.settings_for(runtime).uncovered_hours
    now = now or utcnow()
    horizon = now - timedelta(hours=hours)
    with UnitOfWork(runtime, write=False) as uow:
        last = uow.session.execute(select(func.max(PatrolCoverageRun.ran_at))).scalar()
        since = max(as_utc(last) - RUN_OVERLAP, horizon) if last else horizon
        beats = uow.session.execute(
            select(
                PatrolArea.id,
                PatrolArea.station_id,
                PatrolArea.jurisdiction_path,
                PatrolArea.created_at,
            ).where(PatrolArea.kind == AreaKind.BEAT.value)
        ).all()
        index = service.area_index.get(uow).beats
        seen, total = _seen(uow.session, since, now, index)
        checked = uow.session.execute(
            select(PatrolCheckin.beat_id, func.max(PatrolCheckin.at))
            .where(PatrolCheckin.at > since, PatrolCheckin.beat_id.is_not(None))
            .group_by(PatrolCheckin.beat_id)
        ).all()
    for beat_id, at in checked:
        at = as_utc(at)
        if beat_id not in seen or seen[beat_id] < at:
            seen[str(beat_id)] = at
    raised = closed = 0
    with UnitOfWork(runtime, write=True) as uow:
        session = uow.session
        presence = {p.id: p for p in session.execute(select(PatrolBeatPresence)).scalars()}
        for beat_id, at in seen.items():
            row = presence.get(beat_id)
            if row is None:
                row = presence[beat_id] = PatrolBeatPresence(id=beat_id, last_seen_at=at)
                session.add(row)
            elif as_utc(row.last_seen_at) < at:
                row.last_seen_at = at
        open_alerts = {
            a.beat_id: a
            for a in session.execute(
                select(PatrolBeatAlert).where(PatrolBeatAlert.status == "open")
            ).scalars()
        }
        for beat in beats:
            row = presence.get(beat.id)
            last_seen = as_utc(row.last_seen_at) if row else None
            covered = last_seen is not None and last_seen > horizon
            alert = open_alerts.get(beat.id)
            if covered and alert is not None:
                alert.status, alert.closed_at, alert.closed_by = "closed", now, SYSTEM
                closed += 1
            elif not covered and alert is None and as_utc(beat.created_at) <= horizon:
                session.add(
                    PatrolBeatAlert(
                        beat_id=beat.id,
                        station_id=beat.station_id,
                        jurisdiction_path=beat.jurisdiction_path,
                        hours=hours,
                        last_covered_at=last_seen,
                        raised_at=now,
                        status="open",
                    )
                )
                raised += 1
        session.add(
            PatrolCoverageRun(
                ran_at=now, since=since, positions=total, beats=len(beats), raised=raised
            )
        )
        uow.audit(
            actor_event(
                actor,
                "patrol.coverage.check",
                Outcome.SUCCESS,
                resource_type="patrol_beat_alert",
                detail={
                    "positions": total,
                    "beats": len(beats),
                    "raised": raised,
                    "closed": closed,
                },
            )
        )
    return RunResult(since, total, len(beats), raised, closed)


def list_beat_alerts(
    uow: UnitOfWork, actor: Actor, *, open_only: bool = True, limit: int = 100
) -> list[tuple[PatrolBeatAlert, PatrolArea]]:
    """Alerts for uncovered beats of the actor's jurisdiction, newest first, with their beat."""
    require(actor, P.COVERAGE_READ)
    stmt = (
        select(PatrolBeatAlert, PatrolArea)
        .join(PatrolArea, PatrolArea.id == PatrolBeatAlert.beat_id)
        .where(in_jurisdiction(PatrolBeatAlert.jurisdiction_path, actor))
    )
    if open_only:
        stmt = stmt.where(PatrolBeatAlert.status == "open")
    stmt = stmt.order_by(PatrolBeatAlert.raised_at.desc()).limit(min(limit, ALERT_PAGE_MAX))
    return [(row[0], row[1]) for row in uow.session.execute(stmt)]


def close_beat_alert(uow: UnitOfWork, actor: Actor, alert_id: str) -> PatrolBeatAlert:
    """Close an uncovered beat's alert (station command, inside its jurisdiction)."""
    require(actor, P.AREA_MANAGE)
    alert = uow.session.get(PatrolBeatAlert, alert_id)
    if alert is None or not actor.covers(alert.jurisdiction_path):
        raise NotFound("no such alert in your jurisdiction")
    if alert.status != "open":
        raise Conflict("the alert is closed already")
    alert.status, alert.closed_at, alert.closed_by = "closed", utcnow(), actor.username[:64]
    uow.audit(
        actor_event(
            actor,
            "patrol.coverage.close",
            Outcome.SUCCESS,
            resource_type="patrol_beat_alert",
            resource_id=alert.id,
        )
    )
    uow.session.flush()
    return alert
