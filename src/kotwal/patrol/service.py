"""Patrolling operations, one transaction each (the caller's unit of work).

Areas and check-in points are read inside the actor's jurisdiction; units are released
through the gate; live positions and tracks are RESTRICTED and released only through the
gate, each view audited (a track is one ``patrol_track`` disclosure per unit and view). Writes
land only at stations inside the actor's jurisdiction. Nothing about a unit is overwritten
without a trace: every status change is a row of ``patrol_unit_events``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from shapely.geometry import Point
from sqlalchemy import CursorResult, delete, func, select

from kotwal.core.audit import Outcome, actor_event
from kotwal.core.clock import as_utc, utcnow
from kotwal.core.csvfile import StationCodes
from kotwal.core.db import new_id
from kotwal.core.errors import Conflict, InvalidInput, NotFound, PurposeRequired
from kotwal.core.gate import MASKED, disclose
from kotwal.core.policy import Actor, DataClass, Jurisdiction
from kotwal.core.runtime import Runtime
from kotwal.core.scope import in_jurisdiction, refuse_outside, require, writable_station
from kotwal.core.uow import UnitOfWork
from kotwal.officers import service as officers_service
from kotwal.patrol import geo
from kotwal.patrol.config import PatrolSettings, patrol_settings
from kotwal.patrol.models import (
    PatrolArea,
    PatrolDevice,
    PatrolIncident,
    PatrolIncidentEvent,
    PatrolLatestPosition,
    PatrolPoint,
    PatrolPosition,
    PatrolShift,
    PatrolShiftCrew,
    PatrolUnit,
    PatrolUnitEvent,
    PatrolUnitTrack,
)
from kotwal.patrol.permissions import PatrolPermission as P
from kotwal.patrol.schemas import (
    AREA_CODE_PATTERN,
    VEHICLE_PATTERN,
    AreaKind,
    AreasImported,
    IncidentCategory,
    IncidentCreate,
    IncidentSource,
    IncidentStatus,
    PointCreate,
    PointKind,
    ShiftStart,
    StatusChange,
    UnitCreate,
    UnitStatus,
)

#: Features in one import, at most; a state's beats are a few thousand.
IMPORT_MAX_FEATURES = 10_000
IMPORT_MAX_ERRORS = 100
AREA_PAGE_MAX = 500
UNIT_PAGE_MAX = 500
#: Track points returned for one view, at most (a day at one fix every 10 s is 8,640).
TRACK_MAX_POINTS = 20_000
#: Check-in points within this many metres are listed by :func:`locate`.
NEAR_POINTS_M = 300.0
TOKEN_BYTES = 32
#: Track positions deleted per transaction by the purge.
PURGE_BATCH = 20_000


def install(runtime: Runtime) -> None:
    """Check the ``KOTWAL_PATROL_*`` settings when a process starts: a bad value stops it."""
    patrol_settings()


def token_hash(token: str) -> str:
    """The SHA-256 of a tracker's token, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def _station(uow: UnitOfWork, actor: Actor, station_id: str, action: str, what: str) -> str:
    """The path of a station the actor may write at (refusals audited)."""
    message = f"you can {what} only in your own jurisdiction"
    return writable_station(uow, actor, station_id, action, "patrol", message).path


# --- areas and points --------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureError:
    """One feature of an import that cannot be used: its number (from 1), its code or name
    if it has one, and why."""

    feature: int
    label: str
    reason: str

    def __str__(self) -> str:
        return f"feature {self.feature} ({self.label}): {self.reason}"


class AreasRejected(InvalidInput):
    """The file was not imported; nothing was written. ``errors`` lists the features."""

    slug = "import-rejected"
    title = "The file was not imported; nothing was written"

    def __init__(self, errors: list[FeatureError], total: int) -> None:
        super().__init__(
            f"{total} error(s) in the file; the first: {errors[0]}",
            errors=[
                {"feature": e.feature, "label": e.label, "reason": e.reason}
                for e in errors[:IMPORT_MAX_ERRORS]
            ],
            error_count=total,
        )
        self.errors = errors


@dataclass
class _Feature:
    number: int
    label: str
    properties: dict[str, Any]
    geometry: Any


def _features(document: Any) -> list[_Feature]:
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise InvalidInput("the file is not a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise InvalidInput("the FeatureCollection has no features")
    if len(features) > IMPORT_MAX_FEATURES:
        raise InvalidInput(f"at most {IMPORT_MAX_FEATURES:,} features in one file")
    out = []
    for n, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        label = str(props.get("code") or props.get("name") or "no code")[:60]
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        out.append(_Feature(n, label, props, geometry))
    return out


def _text(props: dict[str, Any], key: str, low: int, high: int) -> str:
    value = props.get(key)
    if not isinstance(value, str) or not low <= len(value.strip()) <= high:
        raise geo.GeometryProblem(f"properties.{key} must be text of {low}-{high} characters")
    return value.strip()


class _Import:
    """Checks every feature of an import before anything is written: station areas first (a
    beat is checked against its station's area, from the same file or already stored)."""

    def __init__(self, uow: UnitOfWork, actor: Actor) -> None:
        self.uow, self.actor = uow, actor
        self.stations = StationCodes(uow.session, actor)
        self.errors: list[FeatureError] = []
        self.areas: list[PatrolArea] = []
        self.shapes: dict[str, Any] = {}  # area id -> shape, for this import's beats
        self.station_areas: dict[str, PatrolArea] = {}  # station id -> its area
        self.codes: set[str] = set()
        self.points: list[tuple[PatrolPoint, Any]] = []

    def fail(self, feature: _Feature, reason: str) -> None:
        self.errors.append(FeatureError(feature.number, feature.label, reason))

    def station(self, props: dict[str, Any]) -> tuple[str, str]:
        code = _text(props, "station", 1, 32)
        station_id, why = self.stations.station_id(code)
        if why is not None:
            raise geo.GeometryProblem(f"properties.station: {why}")
        node = _station_path(self.uow, station_id)
        return station_id, node

    def code(self, props: dict[str, Any]) -> str:
        code = _text(props, "code", 2, 40).upper()
        if not re.fullmatch(AREA_CODE_PATTERN, code):
            raise geo.GeometryProblem("properties.code: capitals, digits and dashes only")
        if code in self.codes:
            raise geo.GeometryProblem(f"the code {code} appears twice in the file")
        stored = select(PatrolArea.id).where(PatrolArea.code == code)
        if self.uow.session.execute(stored).first() is not None:
            raise geo.GeometryProblem(f"an area with the code {code} exists already")
        self.codes.add(code)
        return code

    def area(self, feature: _Feature, kind: AreaKind) -> None:
        props = feature.properties
        station_id, path = self.station(props)
        code, name = self.code(props), _text(props, "name", 2, 200)
        shape = geo.rounded(geo.polygon_from_geojson(feature.geometry))
        parent: PatrolArea | None = None
        if kind == AreaKind.STATION_AREA:
            if station_id in self.station_areas or _stored_area(self.uow, station_id):
                raise geo.GeometryProblem("this station has an area already")
        else:
            parent = self.station_areas.get(station_id) or _stored_area(self.uow, station_id)
            if parent is None:
                raise geo.GeometryProblem("the station has no area: import its area first")
            outer = self.shapes.get(parent.id) or geo.from_text(parent.geometry)
            if not geo.inside(shape, outer, geo.CONTAINMENT_TOLERANCE_M):
                raise geo.GeometryProblem(
                    f"the beat is not inside its station's area {parent.code} (allowing "
                    f"{geo.CONTAINMENT_TOLERANCE_M:.0f} m)"
                )
        min_lon, min_lat, max_lon, max_lat = shape.bounds
        row = PatrolArea(
            id=new_id(),
            kind=kind.value,
            code=code,
            name=name,
            station_id=station_id,
            jurisdiction_path=path,
            parent_id=parent.id if parent else None,
            geometry=geo.to_text(shape),
            min_lon=min_lon,
            min_lat=min_lat,
            max_lon=max_lon,
            max_lat=max_lat,
            source=str(props.get("source"))[:200] if props.get("source") else None,
            created_by=self.actor.username,
        )
        self.areas.append(row)
        self.shapes[row.id] = shape
        if kind == AreaKind.STATION_AREA:
            self.station_areas[station_id] = row

    def point(self, feature: _Feature, kind: PointKind) -> None:
        props = feature.properties
        station_id, path = self.station(props)
        here = geo.point_from_geojson(feature.geometry)
        radius = props.get("radius_m", 50)
        if not isinstance(radius, int) or not 5 <= radius <= 1000:
            raise geo.GeometryProblem("properties.radius_m must be a whole number of 5-1000")
        row = PatrolPoint(
            kind=kind.value,
            name=_text(props, "name", 2, 200),
            lat=round(here.y, geo.DECIMALS),
            lon=round(here.x, geo.DECIMALS),
            radius_m=radius,
            station_id=station_id,
            jurisdiction_path=path,
            created_by=self.actor.username,
        )
        self.points.append((row, here))


def _station_path(uow: UnitOfWork, station_id: str) -> str:
    """The materialised path of a station (the tree is the kernel's)."""
    node = uow.session.get(Jurisdiction, station_id)
    assert node is not None
    return node.path


def _stored_area(uow: UnitOfWork, station_id: str) -> PatrolArea | None:
    stmt = select(PatrolArea).where(
        PatrolArea.station_id == station_id, PatrolArea.kind == AreaKind.STATION_AREA.value
    )
    return uow.session.execute(stmt).scalars().first()


def import_geojson(uow: UnitOfWork, actor: Actor, document: Any) -> AreasImported:
    """Import station areas, beats and check-in points from a GeoJSON FeatureCollection, all or
    nothing: every feature is checked first, and any error refuses the whole file with each
    feature's problem listed (:class:`AreasRejected`).

    Each feature's ``properties`` carry ``kind`` (``station_area``, ``beat`` or a check-in
    point's kind), ``station`` (the station's code), and for areas ``code`` and ``name``, for
    points ``name`` and optionally ``radius_m``; ``source`` is kept if given.
    """
    require(actor, P.AREA_MANAGE)
    features = _features(document)
    work = _Import(uow, actor)
    kinds: dict[int, str] = {}
    for feature in features:
        kind = feature.properties.get("kind")
        kinds[feature.number] = kind if isinstance(kind, str) else ""
    # Station areas first, so that a beat in the same file is checked against its area.
    ordered = sorted(features, key=lambda f: kinds[f.number] != AreaKind.STATION_AREA.value)
    for feature in ordered:
        kind = kinds[feature.number]
        try:
            if kind in AreaKind.__members__.values():
                work.area(feature, AreaKind(kind))
            elif kind in PointKind.__members__.values():
                work.point(feature, PointKind(kind))
            else:
                allowed = ", ".join([*AreaKind, *PointKind])
                raise geo.GeometryProblem(f"properties.kind must be one of {allowed}")
        except geo.GeometryProblem as problem:
            work.fail(feature, str(problem))
    if work.stations.outside_jurisdiction:
        uow.audit(
            actor_event(
                actor,
                "patrol.areas.import",
                Outcome.DENIED,
                resource_type="patrol_area",
                detail={"reason": "outside-jurisdiction"},
            )
        )
    if work.errors:
        work.errors.sort(key=lambda e: e.feature)
        raise AreasRejected(work.errors, len(work.errors))
    uow.session.add_all(work.areas)
    uow.session.flush()
    beats = geo.ShapeIndex(
        [(a.id, work.shapes[a.id]) for a in work.areas if a.kind == AreaKind.BEAT.value]
    )
    for row, here in work.points:
        row.beat_id = _beat_of(uow, beats, here.x, here.y, row.station_id)
        uow.session.add(row)
    uow.session.flush()
    counts = AreasImported(
        station_areas=sum(a.kind == AreaKind.STATION_AREA.value for a in work.areas),
        beats=sum(a.kind == AreaKind.BEAT.value for a in work.areas),
        points=len(work.points),
    )
    uow.audit(
        actor_event(
            actor,
            "patrol.areas.import",
            Outcome.SUCCESS,
            resource_type="patrol_area",
            detail=counts.model_dump(),
        )
    )
    area_index.forget(uow.runtime)
    return counts


def _beat_of(
    uow: UnitOfWork, fresh: geo.ShapeIndex, lon: float, lat: float, station_id: str
) -> str | None:
    """The beat of the station that holds a point: among beats just imported, then stored."""
    for key in fresh.containing(lon, lat):
        return key
    index = area_index.get(uow)
    for key in index.beats.containing(lon, lat):
        if index.station_of.get(key) == station_id:
            return key
    return None


class AreaIndex:
    """STRtrees over the stored station areas, beats and check-in points of the force, with
    the station of each; built when first asked and rebuilt when the areas or points change
    (counted by rows and the newest creation time, checked per use)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: dict[int, tuple[tuple[Any, ...], _Indexes]] = {}

    def forget(self, runtime: Runtime) -> None:
        with self._lock:
            self._cached.pop(id(runtime), None)

    def get(self, uow: UnitOfWork) -> _Indexes:
        session = uow.session
        stamp = (
            *session.execute(select(func.count(), func.max(PatrolArea.created_at))).one(),
            *session.execute(select(func.count(), func.max(PatrolPoint.created_at))).one(),
        )
        key = id(uow.runtime)
        with self._lock:
            cached = self._cached.get(key)
            if cached is not None and cached[0] == stamp:
                return cached[1]
        built = _Indexes.build(uow)
        with self._lock:
            self._cached[key] = (stamp, built)
        return built


@dataclass
class _Indexes:
    areas: geo.ShapeIndex
    beats: geo.ShapeIndex
    points: geo.ShapeIndex
    station_of: dict[str, str]

    @classmethod
    def build(cls, uow: UnitOfWork) -> _Indexes:
        areas: list[tuple[str, Any]] = []
        beats: list[tuple[str, Any]] = []
        station_of: dict[str, str] = {}
        for area in uow.session.execute(select(PatrolArea)).scalars():
            target = areas if area.kind == AreaKind.STATION_AREA.value else beats
            target.append((area.id, geo.from_text(area.geometry)))
            station_of[area.id] = area.station_id
        points: list[tuple[str, Any]] = []
        for point in uow.session.execute(select(PatrolPoint)).scalars():
            points.append((point.id, Point(point.lon, point.lat)))
            station_of[point.id] = point.station_id
        return cls(geo.ShapeIndex(areas), geo.ShapeIndex(beats), geo.ShapeIndex(points), station_of)


area_index = AreaIndex()


def list_areas(
    uow: UnitOfWork,
    actor: Actor,
    *,
    station_id: str | None = None,
    kind: AreaKind | None = None,
    limit: int = 100,
) -> list[PatrolArea]:
    """Areas and beats in the actor's jurisdiction, by code."""
    require(actor, P.AREA_READ)
    stmt = select(PatrolArea).where(in_jurisdiction(PatrolArea.jurisdiction_path, actor))
    if station_id is not None:
        stmt = stmt.where(PatrolArea.station_id == station_id)
    if kind is not None:
        stmt = stmt.where(PatrolArea.kind == kind.value)
    stmt = stmt.order_by(PatrolArea.code).limit(min(limit, AREA_PAGE_MAX))
    return list(uow.session.execute(stmt).scalars())


def read_area(uow: UnitOfWork, actor: Actor, area_id: str) -> PatrolArea:
    require(actor, P.AREA_READ)
    area = uow.session.get(PatrolArea, area_id)
    if area is None or not actor.covers(area.jurisdiction_path):
        raise NotFound("no such area in your jurisdiction")
    return area


@dataclass(frozen=True)
class Location:
    station_area: PatrolArea | None
    beat: PatrolArea | None
    points: list[tuple[PatrolPoint, float]]


def locate(uow: UnitOfWork, actor: Actor, lat: float, lon: float) -> Location:
    """The station area and beat a point lies in, and the check-in points within
    :data:`NEAR_POINTS_M`, nearest first; only those inside the actor's jurisdiction."""
    require(actor, P.AREA_READ)
    index = area_index.get(uow)

    def visible_area(keys: list[str]) -> PatrolArea | None:
        for key in keys:
            area = uow.session.get(PatrolArea, key)
            if area is not None and actor.covers(area.jurisdiction_path):
                return area
        return None

    near: list[tuple[PatrolPoint, float]] = []
    for found in index.points.nearest(lon, lat, NEAR_POINTS_M, limit=10):
        point = uow.session.get(PatrolPoint, found.key)
        if point is not None and actor.covers(point.jurisdiction_path):
            near.append((point, round(found.distance_m, 1)))
    return Location(
        visible_area(index.areas.containing(lon, lat)),
        visible_area(index.beats.containing(lon, lat)),
        near,
    )


def add_point(uow: UnitOfWork, actor: Actor, data: PointCreate) -> PatrolPoint:
    """A check-in point at a station in the actor's jurisdiction, placed in its beat."""
    require(actor, P.AREA_MANAGE)
    path = _station(uow, actor, data.station_id, "patrol.point.create", "add check-in points")
    point = PatrolPoint(
        kind=data.kind.value,
        name=data.name,
        lat=round(data.lat, geo.DECIMALS),
        lon=round(data.lon, geo.DECIMALS),
        radius_m=data.radius_m,
        station_id=data.station_id,
        jurisdiction_path=path,
        created_by=actor.username,
    )
    point.beat_id = _beat_of(uow, geo.ShapeIndex([]), data.lon, data.lat, data.station_id)
    uow.session.add(point)
    uow.session.flush()
    uow.audit(
        actor_event(
            actor,
            "patrol.point.create",
            Outcome.SUCCESS,
            resource_type="patrol_point",
            resource_id=point.id,
        )
    )
    return point


def list_points(
    uow: UnitOfWork, actor: Actor, *, station_id: str | None = None, limit: int = 100
) -> list[PatrolPoint]:
    require(actor, P.AREA_READ)
    stmt = select(PatrolPoint).where(in_jurisdiction(PatrolPoint.jurisdiction_path, actor))
    if station_id is not None:
        stmt = stmt.where(PatrolPoint.station_id == station_id)
    stmt = stmt.order_by(PatrolPoint.name, PatrolPoint.id).limit(min(limit, AREA_PAGE_MAX))
    return list(uow.session.execute(stmt).scalars())


def area_out(area: PatrolArea, with_geometry: bool) -> dict[str, Any]:
    return {
        "id": area.id,
        "kind": area.kind,
        "code": area.code,
        "name": area.name,
        "station_id": area.station_id,
        "parent_id": area.parent_id,
        "source": area.source,
        "geometry": json.loads(area.geometry) if with_geometry else None,
        "bbox": (area.min_lon, area.min_lat, area.max_lon, area.max_lat),
    }


# --- units, their status and shifts ------------------------------------------------------


def normalise_vehicle(raw: str) -> str:
    """One spelling per registration number: capitals, without spaces, dashes or dots."""
    return re.sub(r"[\s.-]+", "", raw).upper()


def _unit(uow: UnitOfWork, unit_id: str) -> PatrolUnit:
    unit = uow.session.get(PatrolUnit, unit_id)
    if unit is None:
        raise NotFound("no such patrol unit")
    return unit


def _writable_unit(uow: UnitOfWork, actor: Actor, unit_id: str, action: str) -> PatrolUnit:
    unit = _unit(uow, unit_id)
    _station(uow, actor, unit.station_id, action, "act on patrol units")
    return unit


def _event(
    uow: UnitOfWork, actor: Actor, unit: PatrolUnit, previous: str | None, note: str | None
) -> None:
    uow.session.add(
        PatrolUnitEvent(
            unit_id=unit.id,
            status=unit.status,
            previous=previous,
            note=note,
            by_id=actor.account_id,
            by_name=actor.username[:64],
            at=unit.status_at,
        )
    )


def create_unit(uow: UnitOfWork, actor: Actor, data: UnitCreate) -> dict[str, Any]:
    """A patrol unit at a station in the actor's jurisdiction, off duty until a shift starts."""
    require(actor, P.UNIT_MANAGE)
    path = _station(uow, actor, data.station_id, "patrol.unit.create", "add patrol units")
    vehicle = normalise_vehicle(data.vehicle_number)
    if not re.fullmatch(VEHICLE_PATTERN, vehicle):
        raise InvalidInput("vehicle_number is not a registration number (e.g. TS09PA1234)")
    for column, value, what in (
        (PatrolUnit.vehicle_number, vehicle, "vehicle number"),
        (PatrolUnit.call_sign, data.call_sign, "call sign"),
    ):
        if uow.session.execute(select(PatrolUnit.id).where(column == value)).first():
            raise Conflict(f"a patrol unit with this {what} exists already")
    unit = PatrolUnit(
        call_sign=data.call_sign,
        vehicle_number=vehicle,
        kind=data.kind.value,
        station_id=data.station_id,
        jurisdiction_path=path,
        status=UnitStatus.OFF_DUTY.value,
        status_at=utcnow(),
    )
    uow.session.add(unit)
    uow.session.flush()
    _event(uow, actor, unit, None, "unit created")
    uow.audit(
        actor_event(
            actor,
            "patrol.unit.create",
            Outcome.SUCCESS,
            resource_type="patrol_unit",
            resource_id=unit.id,
        )
    )
    return disclose(uow, actor, None, [unit], kind="echo")[0]


def list_units(
    uow: UnitOfWork,
    actor: Actor,
    *,
    station_id: str | None = None,
    status: UnitStatus | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Units in the actor's jurisdiction, by call sign, through the gate."""
    require(actor, P.UNIT_READ)
    stmt = select(PatrolUnit).where(in_jurisdiction(PatrolUnit.jurisdiction_path, actor))
    if station_id is not None:
        stmt = stmt.where(PatrolUnit.station_id == station_id)
    if status is not None:
        stmt = stmt.where(PatrolUnit.status == status.value)
    stmt = stmt.order_by(PatrolUnit.call_sign).limit(min(limit, UNIT_PAGE_MAX))
    units = list(uow.session.execute(stmt).scalars())
    return disclose(uow, actor, None, units, kind="list")


def read_unit(
    uow: UnitOfWork, actor: Actor, unit_id: str, purpose: str | None = None
) -> dict[str, Any]:
    """One unit, through the gate (masked outside the jurisdiction unless a purpose is given)."""
    require(actor, P.UNIT_READ)
    return disclose(uow, actor, purpose, [_unit(uow, unit_id)], kind="record")[0]


def change_status(
    uow: UnitOfWork, actor: Actor, unit_id: str, change: StatusChange
) -> dict[str, Any]:
    """Set a unit's status; the change is kept with who made it and when."""
    require(actor, P.UNIT_STATUS)
    unit = _writable_unit(uow, actor, unit_id, "patrol.unit.status")
    if unit.status == change.status.value:
        raise Conflict(f"the unit is {change.status.value} already")
    previous = unit.status
    unit.status, unit.status_at = change.status.value, utcnow()
    unit.version += 1
    _event(uow, actor, unit, previous, change.note)
    uow.audit(
        actor_event(
            actor,
            "patrol.unit.status",
            Outcome.SUCCESS,
            resource_type="patrol_unit",
            resource_id=unit.id,
            detail={"from": previous, "to": unit.status},
        )
    )
    uow.session.flush()
    return disclose(uow, actor, None, [unit], kind="echo")[0]


def unit_events(uow: UnitOfWork, actor: Actor, unit_id: str) -> list[PatrolUnitEvent]:
    """Every status the unit has had, oldest first; inside the unit's jurisdiction."""
    require(actor, P.UNIT_READ)
    unit = _unit(uow, unit_id)
    if not actor.covers(unit.jurisdiction_path):
        raise NotFound("no such patrol unit in your jurisdiction")
    stmt = (
        select(PatrolUnitEvent)
        .where(PatrolUnitEvent.unit_id == unit.id)
        .order_by(PatrolUnitEvent.at, PatrolUnitEvent.id)
    )
    return list(uow.session.execute(stmt).scalars())


def start_shift(uow: UnitOfWork, actor: Actor, unit_id: str, data: ShiftStart) -> PatrolShift:
    """A shift for a unit with its crew from the force's roll; the unit becomes available.

    Every crew member must be on the roll and posted inside the actor's jurisdiction; a unit
    has one shift running at a time."""
    require(actor, P.UNIT_MANAGE)
    unit = _writable_unit(uow, actor, unit_id, "patrol.shift.start")
    starts, ends = as_utc(data.starts_at), as_utc(data.ends_at)
    if not timedelta(minutes=30) <= ends - starts <= timedelta(hours=16):
        raise InvalidInput("a shift lasts from 30 minutes to 16 hours")
    running = select(PatrolShift.id).where(
        PatrolShift.unit_id == unit.id, PatrolShift.ended_at.is_(None)
    )
    if uow.session.execute(running).first():
        raise Conflict("the unit has a shift running; end it first")
    officers = [member.officer_id for member in data.crew]
    if len(set(officers)) != len(officers):
        raise InvalidInput("an officer appears twice in the crew")
    for officer_id in officers:
        path = officers_service.officer_path(uow, officer_id)
        if path is None:
            raise InvalidInput(f"no officer {officer_id} on the force's roll")
        if not actor.covers(path):
            raise InvalidInput(f"officer {officer_id} is not posted in your jurisdiction")
    if data.beat_id is not None:
        beat = uow.session.get(PatrolArea, data.beat_id)
        if beat is None or beat.kind != AreaKind.BEAT.value or beat.station_id != unit.station_id:
            raise InvalidInput("beat_id does not name a beat of the unit's station")
    shift = PatrolShift(
        unit_id=unit.id,
        beat_id=data.beat_id,
        jurisdiction_path=unit.jurisdiction_path,
        starts_at=starts,
        ends_at=ends,
        created_by=actor.username[:64],
    )
    uow.session.add(shift)
    uow.session.flush()
    for member in data.crew:
        uow.session.add(
            PatrolShiftCrew(shift_id=shift.id, officer_id=member.officer_id, duty=member.duty.value)
        )
    if unit.status == UnitStatus.OFF_DUTY.value:
        unit.status, unit.status_at = UnitStatus.AVAILABLE.value, utcnow()
        unit.version += 1
        _event(uow, actor, unit, UnitStatus.OFF_DUTY.value, "shift started")
    uow.audit(
        actor_event(
            actor,
            "patrol.shift.start",
            Outcome.SUCCESS,
            resource_type="patrol_shift",
            resource_id=shift.id,
            detail={"unit": unit.id, "crew": len(officers)},
        )
    )
    uow.session.flush()
    return shift


def end_shift(uow: UnitOfWork, actor: Actor, unit_id: str) -> PatrolShift:
    """End the unit's running shift; the unit goes off duty."""
    require(actor, P.UNIT_MANAGE)
    unit = _writable_unit(uow, actor, unit_id, "patrol.shift.end")
    stmt = select(PatrolShift).where(PatrolShift.unit_id == unit.id, PatrolShift.ended_at.is_(None))
    shift = uow.session.execute(stmt).scalars().first()
    if shift is None:
        raise Conflict("the unit has no shift running")
    shift.ended_at = utcnow()
    if unit.status != UnitStatus.OFF_DUTY.value:
        previous = unit.status
        unit.status, unit.status_at = UnitStatus.OFF_DUTY.value, shift.ended_at
        unit.version += 1
        _event(uow, actor, unit, previous, "shift ended")
    uow.audit(
        actor_event(
            actor,
            "patrol.shift.end",
            Outcome.SUCCESS,
            resource_type="patrol_shift",
            resource_id=shift.id,
        )
    )
    uow.session.flush()
    return shift


def list_shifts(uow: UnitOfWork, actor: Actor, unit_id: str, limit: int = 50) -> list[PatrolShift]:
    """A unit's shifts, newest first; inside the unit's jurisdiction."""
    require(actor, P.UNIT_READ)
    unit = _unit(uow, unit_id)
    if not actor.covers(unit.jurisdiction_path):
        raise NotFound("no such patrol unit in your jurisdiction")
    stmt = (
        select(PatrolShift)
        .where(PatrolShift.unit_id == unit.id)
        .order_by(PatrolShift.starts_at.desc())
        .limit(min(limit, 200))
    )
    return list(uow.session.execute(stmt).scalars())


def crew_of(uow: UnitOfWork, shift_ids: list[str]) -> dict[str, list[PatrolShiftCrew]]:
    found: dict[str, list[PatrolShiftCrew]] = {s: [] for s in shift_ids}
    if shift_ids:
        stmt = select(PatrolShiftCrew).where(PatrolShiftCrew.shift_id.in_(shift_ids))
        for member in uow.session.execute(stmt).scalars():
            found[member.shift_id].append(member)
    return found


# --- trackers ----------------------------------------------------------------------------


def enrol_device(
    uow: UnitOfWork, actor: Actor, unit_id: str, label: str
) -> tuple[PatrolDevice, str]:
    """A tracker for a unit and its token, which is returned once and never stored (only its
    SHA-256 is)."""
    require(actor, P.DEVICE_MANAGE)
    unit = _writable_unit(uow, actor, unit_id, "patrol.device.enrol")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    device = PatrolDevice(
        unit_id=unit.id,
        label=label,
        token_hash=token_hash(token),
        jurisdiction_path=unit.jurisdiction_path,
        created_by=actor.username[:64],
    )
    uow.session.add(device)
    uow.session.flush()
    uow.audit(
        actor_event(
            actor,
            "patrol.device.enrol",
            Outcome.SUCCESS,
            resource_type="patrol_device",
            resource_id=device.id,
            detail={"unit": unit.id},
        )
    )
    return device, token


def revoke_device(uow: UnitOfWork, actor: Actor, device_id: str) -> PatrolDevice:
    """Revoke a tracker's token: its pings are refused from the next batch on."""
    require(actor, P.DEVICE_MANAGE)
    device = uow.session.get(PatrolDevice, device_id)
    if device is None:
        raise NotFound("no such tracker")
    _writable_unit(uow, actor, device.unit_id, "patrol.device.revoke")
    if device.revoked_at is not None:
        raise Conflict("the tracker is revoked already")
    device.revoked_at, device.revoked_by = utcnow(), actor.username[:64]
    uow.audit(
        actor_event(
            actor,
            "patrol.device.revoke",
            Outcome.SUCCESS,
            resource_type="patrol_device",
            resource_id=device.id,
        )
    )
    uow.session.flush()
    return device


def list_devices(uow: UnitOfWork, actor: Actor, unit_id: str) -> list[PatrolDevice]:
    require(actor, P.DEVICE_MANAGE)
    unit = _unit(uow, unit_id)
    if not actor.covers(unit.jurisdiction_path):
        raise NotFound("no such patrol unit in your jurisdiction")
    stmt = (
        select(PatrolDevice)
        .where(PatrolDevice.unit_id == unit.id)
        .order_by(PatrolDevice.created_at, PatrolDevice.id)
    )
    return list(uow.session.execute(stmt).scalars())


# --- positions ---------------------------------------------------------------------------


def latest_positions(
    uow: UnitOfWork, actor: Actor, *, station_id: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """Where the units of the actor's jurisdiction are now, through the gate (each unit's
    position is one disclosure)."""
    require(actor, P.POSITION_READ)
    stmt = select(PatrolLatestPosition).where(
        in_jurisdiction(PatrolLatestPosition.jurisdiction_path, actor)
    )
    if station_id is not None:
        stmt = stmt.join(PatrolUnit, PatrolUnit.id == PatrolLatestPosition.id).where(
            PatrolUnit.station_id == station_id
        )
    rows = list(uow.session.execute(stmt.limit(min(limit, UNIT_PAGE_MAX))).scalars())
    return disclose(uow, actor, None, rows, kind="list")


def unit_track(
    uow: UnitOfWork,
    actor: Actor,
    unit_id: str,
    since: datetime,
    until: datetime,
    purpose: str | None = None,
) -> tuple[dict[str, Any], list[PatrolPosition], bool]:
    """Where a unit has been between two moments: one ``patrol_track`` disclosure through the
    gate, audited with its purpose. Outside the actor's jurisdiction without a purpose the
    gate masks the unit, no point is released and the read is refused (audited)."""
    require(actor, P.TRACK_READ)
    since, until = as_utc(since), as_utc(until)
    if not timedelta(0) < until - since <= timedelta(days=7):
        raise InvalidInput("a track is read for a period of up to 7 days, since before until")
    track = uow.session.get(PatrolUnitTrack, unit_id)
    if track is None:
        raise NotFound("no such patrol unit")
    shown = disclose(uow, actor, purpose, [track], kind="record")[0]
    if shown["call_sign"] is MASKED or actor.clearance < DataClass.RESTRICTED:
        # Nothing of the track is released: the attempt is recorded whatever becomes of the
        # request (it is refused, and its unit of work rolled back).
        uow.record_now(
            [
                actor_event(
                    actor,
                    "record.disclose",
                    Outcome.DENIED,
                    resource_type="patrol_track",
                    resource_id=unit_id,
                    detail={"reason": "purpose-required"},
                )
            ]
        )
        raise PurposeRequired("the unit is outside your jurisdiction: give a purpose")
    stmt = (
        select(PatrolPosition)
        .where(
            PatrolPosition.unit_id == unit_id,
            PatrolPosition.fixed_at >= since,
            PatrolPosition.fixed_at < until,
        )
        .order_by(PatrolPosition.fixed_at, PatrolPosition.id)
        .limit(TRACK_MAX_POINTS + 1)
    )
    points = list(uow.session.execute(stmt).scalars())
    return shown, points[:TRACK_MAX_POINTS], len(points) > TRACK_MAX_POINTS


def purge_tracks(runtime: Runtime, actor: Actor, now: datetime | None = None) -> int:
    """Delete every position received more than ``KOTWAL_PATROL_TRACK_DAYS`` ago (by the
    server's clock, which no tracker can move), and latest positions as old; returns how many
    track positions went. Deleted :data:`PURGE_BATCH` rows per transaction, so that pings keep
    flowing while a day's millions go; audited once, with the counts and the period."""
    days = patrol_settings().track_days
    cutoff = (now or utcnow()) - timedelta(days=days)
    old = (
        select(PatrolPosition.id)
        .where(PatrolPosition.received_at < cutoff)
        .limit(PURGE_BATCH)
        .scalar_subquery()
    )
    gone = 0
    while True:
        with runtime.db.serial_writer(), runtime.db.transaction(write=True) as session:
            result = session.execute(delete(PatrolPosition).where(PatrolPosition.id.in_(old)))
            deleted = int(cast(CursorResult[Any], result).rowcount or 0)
        gone += deleted
        if deleted < PURGE_BATCH:
            break
    with UnitOfWork(runtime, write=True) as uow:
        result = uow.session.execute(
            delete(PatrolLatestPosition).where(PatrolLatestPosition.received_at < cutoff)
        )
        stale = int(cast(CursorResult[Any], result).rowcount or 0)
        uow.audit(
            actor_event(
                actor,
                "patrol.track.purge",
                Outcome.SUCCESS,
                resource_type="patrol_position",
                detail={"deleted": gone, "latest": stale, "days": days},
            )
        )
    return gone


# --- incidents and dispatch ---------------------------------------------------------------

#: Candidates proposed for an incident, at most.
CANDIDATES_MAX = 10
INCIDENT_PAGE_MAX = 200
#: What an incident may become, from what.
INCIDENT_MOVES: dict[str, set[str]] = {
    IncidentStatus.OPEN.value: {IncidentStatus.CANCELLED.value},
    IncidentStatus.ASSIGNED.value: {
        IncidentStatus.ON_SCENE.value,
        IncidentStatus.CLOSED.value,
        IncidentStatus.CANCELLED.value,
    },
    IncidentStatus.ON_SCENE.value: {IncidentStatus.CLOSED.value},
}
#: The assigned unit's status that goes with the incident's.
UNIT_FOR_INCIDENT = {
    IncidentStatus.ON_SCENE.value: UnitStatus.ON_SCENE.value,
    IncidentStatus.CLOSED.value: UnitStatus.AVAILABLE.value,
    IncidentStatus.CANCELLED.value: UnitStatus.AVAILABLE.value,
}


def _incident_event(
    uow: UnitOfWork, actor: Actor, incident: PatrolIncident, note: str | None = None
) -> None:
    uow.session.add(
        PatrolIncidentEvent(
            incident_id=incident.id,
            status=incident.status,
            unit_id=incident.unit_id,
            note=note,
            by_name=actor.username[:64],
        )
    )


def _incident_station(
    uow: UnitOfWork, actor: Actor, data: IncidentCreate
) -> tuple[str, str | None]:
    """The station (and beat) an incident falls in: the station area on the map that holds
    the place, else the station the call taker names."""
    index = area_index.get(uow)
    for area_id in index.areas.containing(data.lon, data.lat):
        station_id = index.station_of[area_id]
        beats = [
            b
            for b in index.beats.containing(data.lon, data.lat)
            if index.station_of.get(b) == station_id
        ]
        return station_id, beats[0] if beats else None
    if data.station_id is None:
        raise InvalidInput("no station's area on the map holds this place: give station_id")
    return data.station_id, None


def create_incident(uow: UnitOfWork, actor: Actor, data: IncidentCreate) -> dict[str, Any]:
    """An incident from a call, filed at the station whose area holds the place (inside the
    call taker's jurisdiction)."""
    require(actor, P.INCIDENT_CREATE)
    station_id, beat_id = _incident_station(uow, actor, data)
    path = _station(uow, actor, station_id, "patrol.incident.create", "enter incidents")
    incident = PatrolIncident(
        source=data.source.value,
        category=data.category.value,
        priority=data.priority,
        lat=round(data.lat, geo.DECIMALS),
        lon=round(data.lon, geo.DECIMALS),
        landmark=data.landmark,
        description=data.description,
        station_id=station_id,
        jurisdiction_path=path,
        beat_id=beat_id,
        status=IncidentStatus.OPEN.value,
        created_by=actor.username[:64],
    )
    uow.session.add(incident)
    uow.session.flush()
    _incident_event(uow, actor, incident)
    uow.audit(
        actor_event(
            actor,
            "patrol.incident.create",
            Outcome.SUCCESS,
            resource_type="patrol_incident",
            resource_id=incident.id,
            detail={"priority": data.priority, "category": data.category.value},
        )
    )
    return disclose(uow, actor, None, [incident], kind="echo")[0]


def _incident(uow: UnitOfWork, incident_id: str) -> PatrolIncident:
    incident = uow.session.get(PatrolIncident, incident_id)
    if incident is None:
        raise NotFound("no such incident")
    return incident


def list_incidents(
    uow: UnitOfWork, actor: Actor, *, open_only: bool = True, limit: int = 100
) -> list[dict[str, Any]]:
    """The incident queue of the actor's jurisdiction: most urgent, then oldest, first."""
    require(actor, P.INCIDENT_READ)
    stmt = select(PatrolIncident).where(in_jurisdiction(PatrolIncident.jurisdiction_path, actor))
    if open_only:
        stmt = stmt.where(
            PatrolIncident.status.in_(
                [
                    IncidentStatus.OPEN.value,
                    IncidentStatus.ASSIGNED.value,
                    IncidentStatus.ON_SCENE.value,
                ]
            )
        )
    stmt = stmt.order_by(PatrolIncident.priority, PatrolIncident.created_at)
    rows = list(uow.session.execute(stmt.limit(min(limit, INCIDENT_PAGE_MAX))).scalars())
    return disclose(uow, actor, None, rows, kind="list")


def read_incident(
    uow: UnitOfWork, actor: Actor, incident_id: str, purpose: str | None = None
) -> dict[str, Any]:
    require(actor, P.INCIDENT_READ)
    return disclose(uow, actor, purpose, [_incident(uow, incident_id)], kind="record")[0]


def incident_events(uow: UnitOfWork, actor: Actor, incident_id: str) -> list[PatrolIncidentEvent]:
    """An incident's course with times, oldest first; inside its jurisdiction."""
    require(actor, P.INCIDENT_READ)
    incident = _incident(uow, incident_id)
    if not actor.covers(incident.jurisdiction_path):
        raise NotFound("no such incident in your jurisdiction")
    stmt = (
        select(PatrolIncidentEvent)
        .where(PatrolIncidentEvent.incident_id == incident.id)
        .order_by(PatrolIncidentEvent.at, PatrolIncidentEvent.id)
    )
    return list(uow.session.execute(stmt).scalars())


@dataclass(frozen=True)
class Nearby:
    unit_id: str
    distance_m: float
    travel_m: float


def nearest_available(
    uow: UnitOfWork, actor: Actor, lat: float, lon: float, limit: int = 5
) -> list[Nearby]:
    """Available units of the actor's jurisdiction with a position, nearest first by travel
    distance: the straight line (haversine) times ``KOTWAL_PATROL_ROAD_FACTOR``, within
    ``KOTWAL_PATROL_NEAREST_KM``.

    The search widens in rings (:data:`NEAREST_RINGS_M`, then the whole reach): a bounding box
    narrows the rows in SQL, numpy measures them, and a ring that holds ``limit`` units within
    its radius holds the nearest ``limit`` (a unit outside the circle may be in the box, so
    only those inside count). In a city the first ring holds a few dozen units, not 5,000."""
    settings = settings_for(uow.runtime)
    reach = settings.nearest_km * 1000
    wanted = min(limit, CANDIDATES_MAX)
    found: list[Nearby] = []
    for radius in [r for r in NEAREST_RINGS_M if r < reach] + [reach]:
        ids, metres = _units_in_box(uow, actor, lat, lon, radius)
        inside = metres <= radius
        if int(inside.sum()) < wanted and radius < reach:
            continue
        order = np.argsort(metres)
        found = [
            Nearby(
                ids[int(i)],
                round(float(metres[i]), 1),
                round(float(metres[i]) * settings.road_factor, 1),
            )
            for i in order[:wanted]
            if metres[i] <= radius
        ]
        break
    return found


#: Radii (metres) the nearest-unit search tries before the whole reach.
NEAREST_RINGS_M = (2_000.0, 5_000.0)


def _units_in_box(
    uow: UnitOfWork, actor: Actor, lat: float, lon: float, radius_m: float
) -> tuple[list[str], npt.NDArray[np.float64]]:
    """Available units of the actor's jurisdiction whose latest position lies in the box around
    (lat, lon) that holds the circle of ``radius_m``; their ids and distances in metres."""
    reach_lat = radius_m / geo.METRES_PER_DEGREE
    reach_lon = reach_lat / max(math.cos(math.radians(lat)), 0.01)
    stmt = (
        select(PatrolLatestPosition.id, PatrolLatestPosition.lat, PatrolLatestPosition.lon)
        .join(PatrolUnit, PatrolUnit.id == PatrolLatestPosition.id)
        .where(
            PatrolLatestPosition.lat.between(lat - reach_lat, lat + reach_lat),
            PatrolLatestPosition.lon.between(lon - reach_lon, lon + reach_lon),
            PatrolUnit.status == UnitStatus.AVAILABLE.value,
            in_jurisdiction(PatrolUnit.jurisdiction_path, actor),
        )
    )
    rows = uow.session.execute(stmt).all()
    if not rows:
        return [], np.zeros(0)
    lats = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
    lons = np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows))
    return [r[0] for r in rows], geo.distances_m(lon, lat, lons, lats)


def candidates(
    uow: UnitOfWork, actor: Actor, incident_id: str, limit: int = 5
) -> list[dict[str, Any]]:
    """The available units nearest to an incident, each with its position released through
    the gate (and the unit as a part of the same answer)."""
    require(actor, P.DISPATCH)
    require(actor, P.POSITION_READ)
    incident = _incident(uow, incident_id)
    if not actor.covers(incident.jurisdiction_path):
        raise NotFound("no such incident in your jurisdiction")
    near = nearest_available(uow, actor, incident.lat, incident.lon, limit)
    if not near:
        return []
    ids = [n.unit_id for n in near]
    positions = {
        p.id: p
        for p in uow.session.execute(
            select(PatrolLatestPosition).where(PatrolLatestPosition.id.in_(ids))
        ).scalars()
    }
    units = {
        u.id: u
        for u in uow.session.execute(select(PatrolUnit).where(PatrolUnit.id.in_(ids))).scalars()
    }
    shown_positions = disclose(uow, actor, None, [positions[i] for i in ids], kind="list")
    shown_units = disclose(uow, actor, None, [units[i] for i in ids], kind="part")
    return [
        {
            "unit_id": n.unit_id,
            "call_sign": unit["call_sign"],
            "kind": unit["kind"],
            "distance_m": n.distance_m,
            "travel_m": n.travel_m,
            "lat": position["lat"],
            "lon": position["lon"],
            "fixed_at": position["fixed_at"],
        }
        for n, position, unit in zip(near, shown_positions, shown_units, strict=True)
    ]


def _move_unit(uow: UnitOfWork, actor: Actor, unit: PatrolUnit, status: str, note: str) -> None:
    if unit.status == status:
        return
    previous = unit.status
    unit.status, unit.status_at = status, utcnow()
    unit.version += 1
    _event(uow, actor, unit, previous, note)


def assign_incident(
    uow: UnitOfWork, actor: Actor, incident_id: str, unit_id: str
) -> dict[str, Any]:
    """Send an available unit of the actor's jurisdiction to an open incident: the incident is
    assigned, the unit dispatched, both with their times."""
    require(actor, P.DISPATCH)
    incident = _incident(uow, incident_id)
    if not actor.covers(incident.jurisdiction_path):
        raise refuse_outside(
            uow,
            actor,
            "patrol.incident.assign",
            "patrol_incident",
            "you can dispatch only to incidents in your jurisdiction",
        )
    if incident.status != IncidentStatus.OPEN.value:
        raise Conflict(f"the incident is {incident.status}, not open")
    unit = _writable_unit(uow, actor, unit_id, "patrol.incident.assign")
    if unit.status != UnitStatus.AVAILABLE.value:
        raise Conflict(f"the unit is {unit.status}, not available")
    incident.status, incident.unit_id = IncidentStatus.ASSIGNED.value, unit.id
    incident.assigned_at = utcnow()
    incident.version += 1
    _incident_event(uow, actor, incident)
    _move_unit(uow, actor, unit, UnitStatus.DISPATCHED.value, f"sent to incident {incident.id}")
    uow.audit(
        actor_event(
            actor,
            "patrol.incident.assign",
            Outcome.SUCCESS,
            resource_type="patrol_incident",
            resource_id=incident.id,
            detail={"unit": unit.id},
        )
    )
    uow.session.flush()
    return disclose(uow, actor, None, [incident], kind="echo")[0]


def progress_incident(
    uow: UnitOfWork, actor: Actor, incident_id: str, status: IncidentStatus, note: str | None
) -> dict[str, Any]:
    """Record an incident's next step (on scene, closed, cancelled); the assigned unit's status
    follows (on scene; available again when closed or cancelled)."""
    require(actor, P.DISPATCH)
    incident = _incident(uow, incident_id)
    if not actor.covers(incident.jurisdiction_path):
        raise refuse_outside(
            uow,
            actor,
            "patrol.incident.progress",
            "patrol_incident",
            "you can act only on incidents in your jurisdiction",
        )
    if status.value not in INCIDENT_MOVES.get(incident.status, set()):
        raise Conflict(f"an incident that is {incident.status} cannot become {status.value}")
    now = utcnow()
    incident.status = status.value
    if status == IncidentStatus.ON_SCENE:
        incident.on_scene_at = now
    else:
        incident.closed_at = now
    incident.version += 1
    _incident_event(uow, actor, incident, note)
    if incident.unit_id is not None:
        unit = _unit(uow, incident.unit_id)
        _move_unit(uow, actor, unit, UNIT_FOR_INCIDENT[status.value], f"incident {status.value}")
    uow.audit(
        actor_event(
            actor,
            "patrol.incident.progress",
            Outcome.SUCCESS,
            resource_type="patrol_incident",
            resource_id=incident.id,
            detail={"to": status.value},
        )
    )
    uow.session.flush()
    return disclose(uow, actor, None, [incident], kind="echo")[0]


def station_at(uow: UnitOfWork, lat: float, lon: float, within_m: float = 0.0) -> str | None:
    """The station whose area on the map holds a place, else (``within_m`` > 0) the station
    whose area is nearest within that many metres; None if none. For another domain routing
    what a citizen sends (a report) by where it happened; no actor: it discloses nothing."""
    index = area_index.get(uow)
    held = index.areas.containing(lon, lat)
    if not held and within_m > 0:
        held = [n.key for n in index.areas.nearest(lon, lat, within_m, limit=1)]
    return index.station_of[held[0]] if held else None


def stations_near(
    uow: UnitOfWork, lat: float, lon: float, within_m: float, limit: int = 5
) -> list[tuple[str, float]]:
    """The stations whose areas hold a place or lie within ``within_m`` metres of it, nearest
    first (0 for the area that holds it): (station id, metres). For the citizens' station
    directory; no actor: station areas are the force's public map."""
    index = area_index.get(uow)
    found: dict[str, float] = {}
    for near in index.areas.nearest(lon, lat, within_m, limit=limit * 2):
        station_id = index.station_of[near.key]
        found.setdefault(station_id, round(near.distance_m, 1))
    return sorted(found.items(), key=lambda item: item[1])[:limit]


def file_incident(
    uow: UnitOfWork,
    by: str,
    *,
    source: IncidentSource,
    category: IncidentCategory,
    priority: int,
    lat: float,
    lon: float,
    description: str | None = None,
) -> PatrolIncident:
    """An incident another domain files on no officer's behalf (a citizen's SOS), in the queue
    like a call: at the station whose area holds the place, else the station whose area is
    nearest within ``KOTWAL_PATROL_NEAREST_KM`` (a place just off the mapped areas is not
    dropped). ``by`` names the filer in the incident's course and the audit log. Raises
    :class:`InvalidInput` when no station's area is that near."""
    index = area_index.get(uow)
    held = index.areas.containing(lon, lat)
    if not held:
        reach = settings_for(uow.runtime).nearest_km * 1000
        held = [n.key for n in index.areas.nearest(lon, lat, reach, limit=1)]
    if not held:
        raise InvalidInput("no police station's area on the map holds this place or is near it")
    station_id = index.station_of[held[0]]
    beats = [b for b in index.beats.containing(lon, lat) if index.station_of.get(b) == station_id]
    filer = Actor(account_id=None, username=by[:64])
    incident = PatrolIncident(
        source=source.value,
        category=category.value,
        priority=priority,
        lat=round(lat, geo.DECIMALS),
        lon=round(lon, geo.DECIMALS),
        description=description,
        station_id=station_id,
        jurisdiction_path=_station_path(uow, station_id),
        beat_id=beats[0] if beats else None,
        status=IncidentStatus.OPEN.value,
        created_by=filer.username,
    )
    uow.session.add(incident)
    uow.session.flush()
    _incident_event(uow, filer, incident)
    uow.audit(
        actor_event(
            filer,
            "patrol.incident.create",
            Outcome.SUCCESS,
            resource_type="patrol_incident",
            resource_id=incident.id,
            detail={"priority": priority, "category": category.value, "source": source.value},
        )
    )
    return incident


_settings_cache: dict[int, tuple[Runtime, PatrolSettings]] = {}


def settings_for(runtime: Runtime) -> PatrolSettings:
    """The patrol settings this runtime serves with, read once (reading the environment per
    ping cost more than the rest of the trackers' route)."""
    held = _settings_cache.get(id(runtime))
    if held is None or held[0] is not runtime:
        held = _settings_cache[id(runtime)] = (runtime, patrol_settings())
    return held[1]
