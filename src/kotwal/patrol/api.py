"""JSON routes of the patrolling domain (``/api/v1/patrol/...``). Units, live positions and
tracks come out of the gate; areas and points are read inside one's jurisdiction. The
trackers' own route is in :mod:`kotwal.patrol.public`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.patrol import coverage, service, stats
from kotwal.patrol.permissions import PatrolPermission as P
from kotwal.patrol.schemas import (
    AreaKind,
    AreaRead,
    AreasImported,
    BeatAlertRead,
    Candidate,
    CheckinCreate,
    CheckinRead,
    CoverageRead,
    CrewRead,
    DeviceEnrol,
    DeviceIssued,
    DeviceRead,
    IncidentAssign,
    IncidentCreate,
    IncidentEventRead,
    IncidentProgress,
    IncidentRead,
    Located,
    PointCode,
    PointCreate,
    PointRead,
    PositionRead,
    PublicFiguresRead,
    ResponseTimesRead,
    ShiftRead,
    ShiftStart,
    StatusChange,
    TrackPoint,
    TrackRead,
    UnitCreate,
    UnitEventRead,
    UnitRead,
    UnitStatus,
)
from kotwal.web.deps import ReadUnit, WriteUnit, require
from kotwal.web.params import Purpose

router = APIRouter(prefix="/patrol", tags=["patrol"])
AreaReader = Annotated[Actor, Depends(require(P.AREA_READ))]
AreaManager = Annotated[Actor, Depends(require(P.AREA_MANAGE))]
UnitReader = Annotated[Actor, Depends(require(P.UNIT_READ))]
UnitManager = Annotated[Actor, Depends(require(P.UNIT_MANAGE))]
StatusReporter = Annotated[Actor, Depends(require(P.UNIT_STATUS))]
DeviceManager = Annotated[Actor, Depends(require(P.DEVICE_MANAGE))]
PositionReader = Annotated[Actor, Depends(require(P.POSITION_READ))]
TrackReader = Annotated[Actor, Depends(require(P.TRACK_READ))]
StationId = Annotated[str | None, Query(min_length=36, max_length=36)]

IMPORT_PATH = "/api/v1/patrol/areas/import"
#: A state's beats drawn at a metre's detail fit in this.
IMPORT_BODY_MAX = 20 * 1024 * 1024


def upload_limits() -> dict[str, int]:
    """The GeoJSON import takes a larger body than other routes."""
    return {IMPORT_PATH: IMPORT_BODY_MAX}


@router.post("/areas/import", status_code=201)
def import_areas(
    document: Annotated[dict[str, Any], Body()], actor: AreaManager, uow: UnitOfWork = WriteUnit
) -> AreasImported:
    """Import station areas, beats and check-in points from a GeoJSON FeatureCollection: all or
    nothing, with every wrong feature listed (docs/domains/patrol.md)."""
    return service.import_geojson(uow, actor, document)


@router.get("/areas")
def list_areas(
    actor: AreaReader,
    station_id: StationId = None,
    kind: AreaKind | None = None,
    geometry: bool = False,
    limit: int = Query(default=100, ge=1, le=service.AREA_PAGE_MAX),
    uow: UnitOfWork = ReadUnit,
) -> list[AreaRead]:
    """Station areas and beats in your jurisdiction, by code; with their shapes if asked."""
    areas = service.list_areas(uow, actor, station_id=station_id, kind=kind, limit=limit)
    return [AreaRead.model_validate(service.area_out(a, geometry)) for a in areas]


@router.get("/areas/{area_id}")
def read_area(area_id: str, actor: AreaReader, uow: UnitOfWork = ReadUnit) -> AreaRead:
    """One area or beat with its shape (GeoJSON)."""
    return AreaRead.model_validate(service.area_out(service.read_area(uow, actor, area_id), True))


@router.get("/locate")
def locate(
    actor: AreaReader,
    lat: float = Query(ge=-90, le=90),
    lon: float = Query(ge=-180, le=180),
    uow: UnitOfWork = ReadUnit,
) -> Located:
    """The station area and beat a place lies in, and the check-in points near it."""
    found = service.locate(uow, actor, lat, lon)
    return Located(
        station_area=(
            AreaRead.model_validate(service.area_out(found.station_area, False))
            if found.station_area
            else None
        ),
        beat=AreaRead.model_validate(service.area_out(found.beat, False)) if found.beat else None,
        points=[(PointRead.model_validate(p, from_attributes=True), d) for p, d in found.points],
    )


@router.post("/points", status_code=201)
def add_point(body: PointCreate, actor: AreaManager, uow: UnitOfWork = WriteUnit) -> PointRead:
    """A check-in point (bank, ATM, place of worship, school, hot spot) at your station."""
    return PointRead.model_validate(service.add_point(uow, actor, body), from_attributes=True)


@router.get("/points")
def list_points(
    actor: AreaReader,
    station_id: StationId = None,
    limit: int = Query(default=100, ge=1, le=service.AREA_PAGE_MAX),
    uow: UnitOfWork = ReadUnit,
) -> list[PointRead]:
    """Check-in points in your jurisdiction."""
    points = service.list_points(uow, actor, station_id=station_id, limit=limit)
    return [PointRead.model_validate(p, from_attributes=True) for p in points]


@router.post("/units", status_code=201)
def create_unit(body: UnitCreate, actor: UnitManager, uow: UnitOfWork = WriteUnit) -> UnitRead:
    """A patrol unit at a station in your jurisdiction (off duty until its first shift)."""
    return UnitRead.model_validate(service.create_unit(uow, actor, body))


@router.get("/units")
def list_units(
    actor: UnitReader,
    station_id: StationId = None,
    status: UnitStatus | None = None,
    limit: int = Query(default=100, ge=1, le=service.UNIT_PAGE_MAX),
    uow: UnitOfWork = ReadUnit,
) -> list[UnitRead]:
    """Patrol units in your jurisdiction, by call sign."""
    units = service.list_units(uow, actor, station_id=station_id, status=status, limit=limit)
    return [UnitRead.model_validate(u) for u in units]


@router.get("/units/{unit_id}")
def read_unit(
    unit_id: str, actor: UnitReader, purpose: Purpose = None, uow: UnitOfWork = ReadUnit
) -> dict[str, Any]:
    """One patrol unit; outside your jurisdiction, masked until a purpose is given."""
    return service.read_unit(uow, actor, unit_id, purpose)


@router.post("/units/{unit_id}/status")
def change_status(
    unit_id: str, body: StatusChange, actor: StatusReporter, uow: UnitOfWork = WriteUnit
) -> UnitRead:
    """Report a unit's status (available, dispatched, en route, on scene, off duty)."""
    return UnitRead.model_validate(service.change_status(uow, actor, unit_id, body))


@router.get("/units/{unit_id}/history")
def unit_history(
    unit_id: str, actor: UnitReader, uow: UnitOfWork = ReadUnit
) -> list[UnitEventRead]:
    """Every status the unit has had, with who set it and when."""
    return [
        UnitEventRead.model_validate(e, from_attributes=True)
        for e in service.unit_events(uow, actor, unit_id)
    ]


def _shift_out(uow: UnitOfWork, shifts: list[Any]) -> list[ShiftRead]:
    crews = service.crew_of(uow, [s.id for s in shifts])
    return [
        ShiftRead(
            id=s.id,
            unit_id=s.unit_id,
            beat_id=s.beat_id,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            ended_at=s.ended_at,
            crew=[CrewRead(officer_id=c.officer_id, duty=c.duty) for c in crews[s.id]],
        )
        for s in shifts
    ]


@router.post("/units/{unit_id}/shifts", status_code=201)
def start_shift(
    unit_id: str, body: ShiftStart, actor: UnitManager, uow: UnitOfWork = WriteUnit
) -> ShiftRead:
    """Start a unit's shift with its crew from the force's roll; the unit becomes available."""
    return _shift_out(uow, [service.start_shift(uow, actor, unit_id, body)])[0]


@router.post("/units/{unit_id}/shifts/end")
def end_shift(unit_id: str, actor: UnitManager, uow: UnitOfWork = WriteUnit) -> ShiftRead:
    """End the unit's running shift; the unit goes off duty."""
    return _shift_out(uow, [service.end_shift(uow, actor, unit_id)])[0]


@router.get("/units/{unit_id}/shifts")
def list_shifts(unit_id: str, actor: UnitReader, uow: UnitOfWork = ReadUnit) -> list[ShiftRead]:
    """The unit's shifts, newest first, with their crews."""
    return _shift_out(uow, service.list_shifts(uow, actor, unit_id))


@router.post("/units/{unit_id}/devices", status_code=201)
def enrol_device(
    unit_id: str, body: DeviceEnrol, actor: DeviceManager, uow: UnitOfWork = WriteUnit
) -> DeviceIssued:
    """A tracker for the unit. Its token is in this answer only: set it as the device
    identifier in OsmAnd or Traccar Client."""
    device, token = service.enrol_device(uow, actor, unit_id, body.label)
    read = DeviceRead.model_validate(device, from_attributes=True)
    return DeviceIssued(**read.model_dump(), token=token)


@router.get("/units/{unit_id}/devices")
def list_devices(
    unit_id: str, actor: DeviceManager, uow: UnitOfWork = ReadUnit
) -> list[DeviceRead]:
    """The unit's trackers, revoked ones included (tokens are never shown again)."""
    return [
        DeviceRead.model_validate(d, from_attributes=True)
        for d in service.list_devices(uow, actor, unit_id)
    ]


@router.post("/devices/{device_id}/revoke")
def revoke_device(device_id: str, actor: DeviceManager, uow: UnitOfWork = WriteUnit) -> DeviceRead:
    """Revoke a tracker's token: its pings are refused from now on."""
    device = service.revoke_device(uow, actor, device_id)
    return DeviceRead.model_validate(device, from_attributes=True)


@router.get("/positions")
def latest_positions(
    actor: PositionReader,
    station_id: StationId = None,
    limit: int = Query(default=500, ge=1, le=service.UNIT_PAGE_MAX),
    uow: UnitOfWork = ReadUnit,
) -> list[PositionRead]:
    """Where the units of your jurisdiction are now (each unit's position is a disclosure)."""
    shown = service.latest_positions(uow, actor, station_id=station_id, limit=limit)
    return [PositionRead.model_validate(dict(p, unit_id=p["id"])) for p in shown]


@router.get("/units/{unit_id}/track")
def unit_track(
    unit_id: str,
    actor: TrackReader,
    since: datetime,
    until: datetime,
    purpose: Purpose = None,
    uow: UnitOfWork = ReadUnit,
) -> TrackRead:
    """Where the unit has been (up to 7 days at a time): an audited disclosure; outside your
    jurisdiction, a purpose is needed."""
    shown, points, truncated = service.unit_track(uow, actor, unit_id, since, until, purpose)
    return TrackRead(
        unit_id=unit_id,
        call_sign=shown["call_sign"],
        since=since,
        until=until,
        points=[TrackPoint.model_validate(p, from_attributes=True) for p in points],
        truncated=truncated,
    )


IncidentReader = Annotated[Actor, Depends(require(P.INCIDENT_READ))]
CallTaker = Annotated[Actor, Depends(require(P.INCIDENT_CREATE))]
Dispatcher = Annotated[Actor, Depends(require(P.DISPATCH))]


@router.post("/incidents", status_code=201)
def create_incident(
    body: IncidentCreate, actor: CallTaker, uow: UnitOfWork = WriteUnit
) -> IncidentRead:
    """An incident from a Dial 100/112 call, filed at the station whose area holds the place."""
    return IncidentRead.model_validate(service.create_incident(uow, actor, body))


@router.get("/incidents")
def list_incidents(
    actor: IncidentReader,
    open_only: bool = True,
    limit: int = Query(default=100, ge=1, le=service.INCIDENT_PAGE_MAX),
    uow: UnitOfWork = ReadUnit,
) -> list[IncidentRead]:
    """The incident queue of your jurisdiction: most urgent first, then oldest."""
    found = service.list_incidents(uow, actor, open_only=open_only, limit=limit)
    return [IncidentRead.model_validate(i) for i in found]


@router.get("/incidents/{incident_id}")
def read_incident(
    incident_id: str, actor: IncidentReader, purpose: Purpose = None, uow: UnitOfWork = ReadUnit
) -> dict[str, Any]:
    """One incident; outside your jurisdiction, masked until a purpose is given."""
    return service.read_incident(uow, actor, incident_id, purpose)


@router.get("/incidents/{incident_id}/history")
def incident_history(
    incident_id: str, actor: IncidentReader, uow: UnitOfWork = ReadUnit
) -> list[IncidentEventRead]:
    """The incident's course with times: entered, assigned, on scene, closed."""
    return [
        IncidentEventRead.model_validate(e, from_attributes=True)
        for e in service.incident_events(uow, actor, incident_id)
    ]


@router.get("/incidents/{incident_id}/candidates")
def incident_candidates(
    incident_id: str,
    actor: Dispatcher,
    limit: int = Query(default=5, ge=1, le=service.CANDIDATES_MAX),
    uow: UnitOfWork = ReadUnit,
) -> list[Candidate]:
    """The available units nearest by travel distance (straight line x road factor), with
    where each is (an audited disclosure of each unit's position)."""
    found = service.candidates(uow, actor, incident_id, limit)
    return [Candidate.model_validate(c) for c in found]


@router.post("/incidents/{incident_id}/assign")
def assign_incident(
    incident_id: str, body: IncidentAssign, actor: Dispatcher, uow: UnitOfWork = WriteUnit
) -> IncidentRead:
    """Send an available unit: the incident is assigned and the unit dispatched."""
    return IncidentRead.model_validate(
        service.assign_incident(uow, actor, incident_id, body.unit_id)
    )


@router.post("/incidents/{incident_id}/status")
def progress_incident(
    incident_id: str, body: IncidentProgress, actor: Dispatcher, uow: UnitOfWork = WriteUnit
) -> IncidentRead:
    """Record the next step (on scene, closed, cancelled); the unit's status follows."""
    return IncidentRead.model_validate(
        service.progress_incident(uow, actor, incident_id, body.status, body.note)
    )


CheckinReporter = Annotated[Actor, Depends(require(P.CHECKIN))]
CoverageReader = Annotated[Actor, Depends(require(P.COVERAGE_READ))]


@router.get("/points/{point_id}/code")
def point_code(
    point_id: str, actor: AreaManager, day: date | None = None, uow: UnitOfWork = WriteUnit
) -> PointCode:
    """The point's check-in code for a day (today by default, up to a month ahead), to print
    as a QR code or show on a screen at the point. Issuing it is audited."""
    point, day, code = coverage.point_code(uow, actor, point_id, day)
    return PointCode(point_id=point.id, name=point.name, day=day, code=code)


@router.post("/checkins", status_code=201)
def check_in(
    body: CheckinCreate, actor: CheckinReporter, uow: UnitOfWork = WriteUnit
) -> CheckinRead:
    """Check a unit in at the point whose code was scanned: today's code, and the unit's own
    tracker within the point's radius (refusals are audited and write nothing)."""
    found = coverage.check_in(uow, actor, body.code, body.unit_id)
    return CheckinRead.model_validate(found, from_attributes=True)


def _coverage_out(found: coverage.Coverage) -> CoverageRead:
    return CoverageRead(
        **asdict(found), points_share=found.points_share, area_share=found.area_share
    )


@router.get("/shifts/{shift_id}/coverage")
def shift_coverage(
    shift_id: str, actor: CoverageReader, uow: UnitOfWork = ReadUnit
) -> CoverageRead:
    """How well the shift covered its beat: points visited and area passed through."""
    return _coverage_out(coverage.shift_coverage(uow, actor, shift_id))


@router.get("/coverage")
def coverage_between(
    actor: CoverageReader, since: datetime, until: datetime, uow: UnitOfWork = ReadUnit
) -> list[CoverageRead]:
    """Coverage of the shifts of your jurisdiction that started in a period (up to 7 days)."""
    return [_coverage_out(c) for c in coverage.coverage_between(uow, actor, since, until)]


def _alert_out(alert: Any, beat: Any) -> BeatAlertRead:
    return BeatAlertRead(
        id=alert.id,
        beat_id=alert.beat_id,
        beat_code=beat.code,
        beat_name=beat.name,
        station_id=alert.station_id,
        hours=alert.hours,
        last_covered_at=alert.last_covered_at,
        raised_at=alert.raised_at,
        status=alert.status,
        closed_at=alert.closed_at,
        closed_by=alert.closed_by,
    )


@router.get("/coverage/alerts")
def beat_alerts(
    actor: CoverageReader,
    open_only: bool = True,
    limit: int = Query(default=100, ge=1, le=coverage.ALERT_PAGE_MAX),
    uow: UnitOfWork = ReadUnit,
) -> list[BeatAlertRead]:
    """Beats of your jurisdiction that no unit covered for KOTWAL_PATROL_UNCOVERED_HOURS."""
    found = coverage.list_beat_alerts(uow, actor, open_only=open_only, limit=limit)
    return [_alert_out(a, b) for a, b in found]


@router.post("/coverage/alerts/{alert_id}/close")
def close_beat_alert(
    alert_id: str, actor: AreaManager, uow: UnitOfWork = WriteUnit
) -> BeatAlertRead:
    """Close an uncovered beat's alert (station command)."""
    alert = coverage.close_beat_alert(uow, actor, alert_id)
    beat = service.read_area(uow, actor, alert.beat_id)
    return _alert_out(alert, beat)


@router.get("/response-times")
def response_times(
    actor: IncidentReader, since: datetime, until: datetime, uow: UnitOfWork = ReadUnit
) -> list[ResponseTimesRead]:
    """Median and 90th percentile of the time from call to a unit on scene (and to a unit
    sent), per station and watch, for incidents entered in a period of up to 92 days."""
    found = stats.response_times(uow, actor, since, until)
    return [ResponseTimesRead.model_validate(asdict(r)) for r in found]


FiguresExporter = Annotated[Actor, Depends(require(P.FIGURES_EXPORT))]


@router.get("/public-figures")
def public_figures(
    actor: FiguresExporter, since: datetime, until: datetime, uow: UnitOfWork = ReadUnit
) -> list[PublicFiguresRead]:
    """What a force may publish per station over up to 31 days: incidents reached and how fast,
    shifts and how well they covered their beats; no position, unit or place (audited)."""
    found = stats.public_figures(uow, actor, since, until)
    return [PublicFiguresRead.model_validate(asdict(f)) for f in found]
