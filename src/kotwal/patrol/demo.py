"""The patrolling part of `kotwal demo`: station areas and beats for every demo station, check-in
points, two patrol units per station, and at the first Hyderabad station a shift with its crew,
a tracker and an hour of positions; a week of closed incidents at the first stations (for the
response times) and one open incident in the queue.

Hyderabad's stations patrol real Greater Hyderabad wards (OpenStreetMap, shipped in
``data/``): each ward is a beat, and the station's area is the union of its wards with the
slivers between neighbouring wards closed. The other districts get squares laid out around
their city (3 km areas of four 1.5 km beats). Everything else is generated from the seed and
visibly synthetic ("Demo bank 3", vehicle numbers in the unissued "DM" series). It goes in
through the service and the trackers' own path, so the seeding is audited like any other
entry.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shapely import unary_union
from shapely.geometry import Point, box, mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select, update

from kotwal.core.clock import utcnow
from kotwal.core.policy import Actor, Jurisdiction
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.manifest import DemoContext
from kotwal.officers import service as officers_service
from kotwal.patrol import ingest, service
from kotwal.patrol.config import patrol_settings
from kotwal.patrol.models import PatrolArea, PatrolIncident, PatrolIncidentEvent, PatrolUnit
from kotwal.patrol.schemas import (
    CrewMember,
    IncidentCategory,
    IncidentCreate,
    IncidentSource,
    IncidentStatus,
    PointKind,
    ShiftStart,
    UnitCreate,
    UnitKind,
)
from kotwal.patrol.wards import STATION_WARDS, load_wards

#: Where the squares of districts without ward polygons are laid (longitude, latitude).
CENTRES = {"HYD": (78.4867, 17.385), "CYB": (78.376, 17.447), "WGL": (79.594, 17.969)}
#: A generated station area's side, in degrees (about 3 km).
SIDE = 0.027
#: Slivers narrower than this between neighbouring wards are closed (about 30 m).
CLOSE = 0.0003
#: Positions sent for the demo's tracked units, one a minute.
TRACK_MINUTES = 60


@dataclass(frozen=True)
class _Station:
    id: str
    code: str
    name: str


def _place(name: str) -> str:
    return name.removesuffix(" Police Station")


def _feature(kind: str, station: str, code: str, name: str, shape_: Any, source: str) -> Any:
    return {
        "type": "Feature",
        "properties": {
            "kind": kind,
            "station": station,
            "code": code,
            "name": name,
            "source": source,
        },
        "geometry": mapping(shape_),
    }


def _ward_features(node: _Station, wards: dict[str, Any]) -> list[Any]:
    names = STATION_WARDS[_place(node.name)]
    shapes = [shape(wards[n]["geometry"]) for n in names]
    # Closing (grow, then shrink) fills the slivers between wards drawn by different hands.
    area = unary_union(shapes).buffer(CLOSE).buffer(-CLOSE)
    out = [
        _feature(
            "station_area",
            node.code,
            node.code,
            f"{node.name} area",
            area,
            "union of OpenStreetMap GHMC wards",
        )
    ]
    for i, (name, ward) in enumerate(zip(names, shapes, strict=True), start=1):
        source = f"OpenStreetMap GHMC ward, {wards[name]['properties']['osm']}"
        out.append(_feature("beat", node.code, f"{node.code}-B{i:02d}", name, ward, source))
    return out


def _square_features(node: _Station, index: int) -> list[Any]:
    lon0, lat0 = CENTRES.get(node.code.split("-")[0], CENTRES["HYD"])
    col, row = index % 5, index // 5
    west, south = lon0 + (col - 2.5) * SIDE, lat0 + (row - 1) * SIDE
    half = SIDE / 2
    out = [
        _feature(
            "station_area",
            node.code,
            node.code,
            f"{node.name} area",
            box(west, south, west + SIDE, south + SIDE),
            "generated for the demo",
        )
    ]
    for i, (dx, dy) in enumerate(((0, 0), (1, 0), (0, 1), (1, 1)), start=1):
        beat = box(
            west + dx * half, south + dy * half, west + (dx + 1) * half, south + (dy + 1) * half
        )
        code = f"{node.code}-B{i:02d}"
        out.append(_feature("beat", node.code, code, f"Beat {i}", beat, "generated for the demo"))
    return out


def _points(rng: random.Random, node: _Station, beats: list[Any], start: int) -> list[Any]:
    """One check-in point of each kind, inside the station's beats."""
    out = []
    for n, kind in enumerate(PointKind, start=start):
        beat: BaseGeometry = shape(rng.choice(beats)["geometry"])
        west, south, east, north = beat.bounds
        while True:
            lon, lat = rng.uniform(west, east), rng.uniform(south, north)
            if beat.contains(Point(lon, lat)):
                break
        title = kind.value.replace("_", " ")
        out.append(
            {
                "type": "Feature",
                "properties": {
                    "kind": kind.value,
                    "station": node.code,
                    "name": f"Demo {title} {n}",
                    "radius_m": 50,
                },
                "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            }
        )
    return out


def _map(nodes: list[_Station], seed: int) -> dict[str, Any]:
    wards = load_wards()
    rng = random.Random(f"kotwal-patrol-{seed}")  # noqa: S311  # nosec B311 - fake data
    features: list[Any] = []
    for index, node in enumerate(nodes):
        if node.code.startswith("HYD-") and _place(node.name) in STATION_WARDS:
            mine = _ward_features(node, wards)
        else:
            mine = _square_features(node, index % 10)
        features += mine
        features += _points(rng, node, [f for f in mine if f["properties"]["kind"] == "beat"], 1)
    return {"type": "FeatureCollection", "features": features}


def _units(uow: UnitOfWork, seeder: Actor, nodes: list[_Station]) -> list[dict[str, Any]]:
    made = []
    for n, node in enumerate(nodes):
        for kind, tag in ((UnitKind.BLUE_COLTS, "BC"), (UnitKind.PATROL_CAR, "PC")):
            number = f"TS00DM{2 * n + (tag == 'PC') + 1:04d}"
            made.append(
                service.create_unit(
                    uow,
                    seeder,
                    UnitCreate(
                        call_sign=f"{node.code}-{tag}1",
                        vehicle_number=number,
                        kind=kind,
                        station_id=node.id,
                    ),
                )
            )
    return made


def _shift_and_track(runtime: Runtime, seeder: Actor, node: _Station, unit: Any) -> None:
    """A shift with two of the station's officers, a tracker, and an hour of positions sent
    through the trackers' own path, walking the first beat."""
    now = utcnow()
    with UnitOfWork(runtime, write=True) as uow:
        crew = officers_service.list_officers(uow, seeder, unit_id=node.id, limit=2)
        if crew:
            service.start_shift(
                uow,
                seeder,
                unit["id"],
                ShiftStart(
                    starts_at=now - timedelta(hours=1),
                    ends_at=now + timedelta(hours=7),
                    crew=[CrewMember(officer_id=o["id"]) for o in crew],
                ),
            )
        _device, token = service.enrol_device(uow, seeder, unit["id"], "Demo duty phone")
        beat = uow.session.execute(
            select(PatrolArea.geometry).where(PatrolArea.code == f"{node.code}-B01")
        ).scalar_one()
    ring = list(shape(json.loads(beat)).representative_point().buffer(0.003).exterior.coords)
    settings = patrol_settings()
    for minute in range(TRACK_MINUTES):
        lon, lat = ring[minute % len(ring)]
        at = now - timedelta(minutes=TRACK_MINUTES - minute)
        ping = ingest.ping_from_params(
            {"id": token, "lat": lat, "lon": lon, "timestamp": int(at.timestamp()), "speed": 8},
            None,
            settings,
        )
        ingest.submit_wait(runtime, ping)


#: Stations given a week of closed incidents (for the response times) and days of them.
INCIDENT_STATIONS = 5
INCIDENT_DAYS = 7


def _incidents(runtime: Runtime, seeder: Actor, nodes: list[_Station], seed: int) -> None:
    """A week of closed Dial 100/112 incidents at the first stations, each sent, reached and
    closed after made-up but plausible minutes (for the response-time chart), and one open
    incident near the tracked unit waiting in the queue."""
    rng = random.Random(f"kotwal-patrol-incidents-{seed}")  # noqa: S311  # nosec B311 - fake data
    now = utcnow()
    categories = list(IncidentCategory)
    with UnitOfWork(runtime, write=True) as uow:
        for node in nodes[:INCIDENT_STATIONS]:
            area = uow.session.execute(
                select(PatrolArea.geometry).where(PatrolArea.code == node.code)
            ).scalar_one()
            unit_id = uow.session.execute(
                select(PatrolUnit.id).where(PatrolUnit.call_sign == f"{node.code}-PC1")
            ).scalar_one()
            here = shape(json.loads(area)).representative_point()
            for day in range(1, INCIDENT_DAYS + 1):
                for _ in range(rng.randint(2, 4)):
                    made = service.create_incident(
                        uow,
                        seeder,
                        IncidentCreate(
                            source=rng.choice([IncidentSource.DIAL_100, IncidentSource.DIAL_112]),
                            category=rng.choice(categories),
                            priority=rng.randint(1, 4),
                            lat=here.y + rng.uniform(-0.004, 0.004),
                            lon=here.x + rng.uniform(-0.004, 0.004),
                            station_id=node.id,
                        ),
                    )
                    incident = uow.session.get(PatrolIncident, made["id"])
                    assert incident is not None
                    entered = now - timedelta(days=day, minutes=rng.randint(0, 24 * 60 - 1))
                    sent = entered + timedelta(minutes=rng.uniform(0.5, 6))
                    reached = sent + timedelta(minutes=rng.uniform(3, 25))
                    closed = reached + timedelta(minutes=rng.uniform(15, 60))
                    incident.created_at, incident.unit_id = entered, unit_id
                    incident.assigned_at, incident.on_scene_at = sent, reached
                    incident.closed_at, incident.status = closed, IncidentStatus.CLOSED.value
                    uow.session.execute(
                        update(PatrolIncidentEvent)
                        .where(PatrolIncidentEvent.incident_id == incident.id)
                        .values(at=entered)
                    )
                    for status, at in (
                        (IncidentStatus.ASSIGNED, sent),
                        (IncidentStatus.ON_SCENE, reached),
                        (IncidentStatus.CLOSED, closed),
                    ):
                        uow.session.add(
                            PatrolIncidentEvent(
                                incident_id=incident.id,
                                status=status.value,
                                unit_id=unit_id,
                                by_name=seeder.username[:64],
                                at=at,
                            )
                        )
        first = nodes[0]
        beat = uow.session.execute(
            select(PatrolArea.geometry).where(PatrolArea.code == f"{first.code}-B01")
        ).scalar_one()
        near = shape(json.loads(beat)).representative_point()
        service.create_incident(
            uow,
            seeder,
            IncidentCreate(
                source=IncidentSource.DIAL_100,
                category=IncidentCategory.DISTURBANCE,
                priority=2,
                lat=near.y + 0.002,
                lon=near.x + 0.002,
                landmark="Near the bus stop (demo)",
                station_id=first.id,
            ),
        )


def seed(ctx: DemoContext) -> None:
    """Areas, beats and points for every station, units, one tracked unit, and incidents."""
    runtime = ctx.runtime
    with UnitOfWork(runtime, write=False) as uow:
        if uow.session.execute(select(func.count()).select_from(PatrolArea)).scalar_one():
            return
        found = uow.session.execute(select(Jurisdiction).where(Jurisdiction.id.in_(ctx.stations)))
        by_id = {j.id: _Station(j.id, j.code, j.name) for j in found.scalars()}
    nodes = [by_id[s] for s in ctx.stations if s in by_id]
    if not nodes:
        return
    progress = ctx.step("patrol: beats, points, units and incidents", 4)
    with UnitOfWork(runtime, write=True) as uow:
        service.import_geojson(uow, ctx.seeder, _map(nodes, ctx.seed))
    progress(1, 4)
    with UnitOfWork(runtime, write=True) as uow:
        units = _units(uow, ctx.seeder, nodes)
    progress(2, 4)
    _shift_and_track(runtime, ctx.seeder, nodes[0], units[0])
    progress(3, 4)
    _incidents(runtime, ctx.seeder, nodes, ctx.seed)
    progress(4, 4)
