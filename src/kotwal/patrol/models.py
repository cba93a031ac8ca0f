"""Tables of the patrolling domain: areas (a station's area and its beats), points where patrols
check in, patrol units with their status history, shifts and crews, the trackers that report
for a unit, and positions (the track, and the latest position of each unit).

Geometry is stored portably, as GeoJSON text with its bounding box in four columns, so the
same tables serve SQLite and PostgreSQL; the bounding box narrows a search in SQL and shapely
decides the rest in the process. (PostGIS columns are later work: docs/domains/patrol.md.)

Every column declares its data class. Beats, hot spots, units and where they are, are
operational: RESTRICTED. Positions are RESTRICTED and are read only through the gate.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kotwal.core.columns import PUBLIC, RESTRICTED, RecordId, jurisdiction_path_column, stamped
from kotwal.core.db import ID, Base
from kotwal.core.gate import Protected
from kotwal.core.policy import DataClass
from kotwal.patrol.permissions import PatrolPermission

#: An integer key that is 64-bit on PostgreSQL and SQLite's rowid on SQLite (which only
#: auto-increments an INTEGER PRIMARY KEY).
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


def _moment(info: dict[str, DataClass], nullable: bool = False) -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=nullable, info=info)


class PatrolArea(RecordId, Base):
    """A police station's area, or one beat inside it, as a polygon (GeoJSON, WGS 84).

    A station has at most one area; each beat names its station's area as its parent and lies
    inside it (checked on import, with a small tolerance for boundaries drawn from different
    sources)."""

    __tablename__ = "patrol_areas"
    __table_args__ = (
        Index("ix_patrol_areas_bbox", "min_lon", "max_lon", "min_lat", "max_lat"),
        Index("ix_patrol_areas_station_kind", "station_id", "kind"),
    )

    #: "station_area" or "beat".
    kind: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    #: Unique in the force: "HYD-PS-01" for a station's area, "HYD-PS-01-B03" for a beat.
    code: Mapped[str] = mapped_column(String(40), unique=True, info=RESTRICTED)
    name: Mapped[str] = mapped_column(String(200), info=RESTRICTED)
    station_id: Mapped[str] = mapped_column(ID, ForeignKey("jurisdictions.id"), info=PUBLIC)
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()
    parent_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("patrol_areas.id"), index=True, info=RESTRICTED
    )
    #: The polygon or multipolygon as GeoJSON geometry text.
    geometry: Mapped[str] = mapped_column(Text, info=RESTRICTED)
    min_lon: Mapped[float] = mapped_column(Float, info=RESTRICTED)
    min_lat: Mapped[float] = mapped_column(Float, info=RESTRICTED)
    max_lon: Mapped[float] = mapped_column(Float, info=RESTRICTED)
    max_lat: Mapped[float] = mapped_column(Float, info=RESTRICTED)
    #: Where the shape came from ("OpenStreetMap GHMC ward 50", a survey), shown beside it.
    source: Mapped[str | None] = mapped_column(String(200), info=RESTRICTED)
    created_by: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)


class PatrolPoint(RecordId, Base):
    """A place a patrol checks in at: a bank, an ATM, a place of worship, a school, or a hot
    spot the station watches. Located in its beat when it is added."""

    __tablename__ = "patrol_points"
    __table_args__ = (Index("ix_patrol_points_lat_lon", "lat", "lon"),)

    kind: Mapped[str] = mapped_column(String(20), info=RESTRICTED)
    name: Mapped[str] = mapped_column(String(200), info=RESTRICTED)
    lat: Mapped[float] = mapped_column(Float, info=RESTRICTED)
    lon: Mapped[float] = mapped_column(Float, info=RESTRICTED)
    #: A check-in counts within this many metres of the point.
    radius_m: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    station_id: Mapped[str] = mapped_column(ID, ForeignKey("jurisdictions.id"), info=PUBLIC)
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()
    beat_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("patrol_areas.id"), index=True, info=RESTRICTED
    )
    created_by: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)


_UNIT_FIELDS = ("call_sign", "vehicle_number", "kind", "station_id", "status", "status_at")


class PatrolUnit(RecordId, Base):
    """A patrol unit: a vehicle with a call sign, filed at its station; its status now (every
    change is a row of ``patrol_unit_events``)."""

    __tablename__ = "patrol_units"

    call_sign: Mapped[str] = mapped_column(String(32), unique=True, info=RESTRICTED)
    #: The registration number, normalised (capitals, no spaces or dashes): "TS09PA1234".
    vehicle_number: Mapped[str] = mapped_column(String(16), unique=True, info=RESTRICTED)
    #: "blue_colts" (motorcycle), "patrol_car" or "highway_patrol".
    kind: Mapped[str] = mapped_column(String(20), info=RESTRICTED)
    station_id: Mapped[str] = mapped_column(ID, ForeignKey("jurisdictions.id"), info=PUBLIC)
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()
    #: available, dispatched, en_route, on_scene, off_duty.
    status: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    status_at: Mapped[datetime] = _moment(RESTRICTED)
    version: Mapped[int] = mapped_column(Integer, default=1, info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)

    __disclosure__ = Protected(
        resource_type="patrol_unit",
        read_permission=PatrolPermission.UNIT_READ,
        jurisdiction_path=lambda u: u.jurisdiction_path,
        fields=_UNIT_FIELDS,
    )


class PatrolUnitTrack(Base):
    """The same row as :class:`PatrolUnit`, disclosed as the unit's *track*: reading where a
    unit has been is its own permission and its own audited disclosure (``patrol_track``, one
    event per unit and view), separate from reading the unit. The track's points are released
    only when this record's RESTRICTED fields are (inside the jurisdiction, or with a
    purpose)."""

    __table__ = PatrolUnit.__table__

    __disclosure__ = Protected(
        resource_type="patrol_track",
        read_permission=PatrolPermission.TRACK_READ,
        jurisdiction_path=lambda u: u.jurisdiction_path,
        fields=_UNIT_FIELDS,
    )


class PatrolUnitEvent(RecordId, Base):
    """One change of a unit's status (or its creation), with who made it and why; rows are
    only ever added."""

    __tablename__ = "patrol_unit_events"
    __table_args__ = (Index("ix_patrol_unit_events_unit_at", "unit_id", "at"),)

    unit_id: Mapped[str] = mapped_column(ID, ForeignKey("patrol_units.id"), info=PUBLIC)
    status: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    previous: Mapped[str | None] = mapped_column(String(16), info=RESTRICTED)
    note: Mapped[str | None] = mapped_column(String(300), info=RESTRICTED)
    by_id: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    at: Mapped[datetime] = stamped(RESTRICTED)


class PatrolShift(RecordId, Base):
    """A unit's shift: planned start and end, the beat it patrols, and when it actually ended
    (None while it runs)."""

    __tablename__ = "patrol_shifts"
    __table_args__ = (Index("ix_patrol_shifts_unit_starts", "unit_id", "starts_at"),)

    unit_id: Mapped[str] = mapped_column(ID, ForeignKey("patrol_units.id"), info=PUBLIC)
    beat_id: Mapped[str | None] = mapped_column(ID, ForeignKey("patrol_areas.id"), info=RESTRICTED)
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()
    starts_at: Mapped[datetime] = _moment(RESTRICTED)
    ends_at: Mapped[datetime] = _moment(RESTRICTED)
    ended_at: Mapped[datetime | None] = _moment(RESTRICTED, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)


class PatrolShiftCrew(RecordId, Base):
    """An officer of the force's roll on a shift's crew (the officers domain keeps the roll)."""

    __tablename__ = "patrol_shift_crew"
    __table_args__ = (Index("ix_patrol_shift_crew_shift", "shift_id"),)

    shift_id: Mapped[str] = mapped_column(ID, ForeignKey("patrol_shifts.id"), info=PUBLIC)
    officer_id: Mapped[str] = mapped_column(
        ID, ForeignKey("officers.id"), index=True, info=RESTRICTED
    )
    #: "in_charge", "driver" or "crew".
    duty: Mapped[str] = mapped_column(String(16), info=RESTRICTED)


class PatrolDevice(RecordId, Base):
    """A tracker (a phone running OsmAnd or Traccar Client, or a vehicle tracker) reporting for
    a unit. Authenticated by its own token, of which only the SHA-256 is kept; revoking it
    stops its pings at the next batch."""

    __tablename__ = "patrol_devices"

    unit_id: Mapped[str] = mapped_column(ID, ForeignKey("patrol_units.id"), index=True, info=PUBLIC)
    label: Mapped[str] = mapped_column(String(100), info=RESTRICTED)
    #: SHA-256 of the token (hex). The token is 256 random bits, so a plain hash suffices: it
    #: cannot be guessed from its hash, and a lookup by hash needs no per-row salt.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=RESTRICTED)
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()
    created_by: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)
    revoked_at: Mapped[datetime | None] = _moment(RESTRICTED, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(64), info=RESTRICTED)


class PatrolPosition(Base):
    """One position a unit's tracker reported: the track. Deleted by the purge once older than
    ``KOTWAL_PATROL_TRACK_DAYS`` (by the server's receiving time, which a tracker's clock
    cannot move)."""

    __tablename__ = "patrol_positions"
    __table_args__ = (
        Index("ix_patrol_positions_unit_fixed", "unit_id", "fixed_at"),
        Index("ix_patrol_positions_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True, info=PUBLIC)
    unit_id: Mapped[str] = mapped_column(ID, ForeignKey("patrol_units.id"), info=PUBLIC)
    device_id: Mapped[str] = mapped_column(ID, ForeignKey("patrol_devices.id"), info=RESTRICTED)
    #: When the tracker took the fix (its clock), and when the server received it (ours).
    fixed_at: Mapped[datetime] = _moment(RESTRICTED)
    received_at: Mapped[datetime] = _moment(RESTRICTED)
    lat: Mapped[float] = mapped_column(Float, info=RESTRICTED)
    lon: Mapped[float] = mapped_column(Float, info=RESTRICTED)
    #: Knots, as the OsmAnd protocol sends it; degrees; metres; percent.
    speed: Mapped[float | None] = mapped_column(Float, info=RESTRICTED)
    bearing: Mapped[float | None] = mapped_column(Float, info=RESTRICTED)
    accuracy: Mapped[float | None] = mapped_column(Float, info=RESTRICTED)
    battery: Mapped[float | None] = mapped_column(Float, info=RESTRICTED)


class PatrolLatestPosition(Base):
    """Where each unit is now: its newest fix (by the tracker's time), one row per unit, kept
    by the ping writer. Seeing it is :attr:`PatrolPermission.POSITION_READ`, through the
    gate."""

    __tablename__ = "patrol_latest_positions"

    #: The unit's id (the gate names a record by ``id``).
    id: Mapped[str] = mapped_column(
        ID, ForeignKey("patrol_units.id"), primary_key=True, info=PUBLIC
    )
    device_id: Mapped[str] = mapped_column(ID, ForeignKey("patrol_devices.id"), info=RESTRICTED)
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()
    fixed_at: Mapped[datetime] = _moment(RESTRICTED)
    received_at: Mapped[datetime] = _moment(RESTRICTED)
    lat: Mapped[float] = mapped_column(Float, info=RESTRICTED)
    lon: Mapped[float] = mapped_column(Float, info=RESTRICTED)
    speed: Mapped[float | None] = mapped_column(Float, info=RESTRICTED)
    bearing: Mapped[float | None] = mapped_column(Float, info=RESTRICTED)
    accuracy: Mapped[float | None] = mapped_column(Float, info=RESTRICTED)
    battery: Mapped[float | None] = mapped_column(Float, info=RESTRICTED)

    __disclosure__ = Protected(
        resource_type="patrol_position",
        read_permission=PatrolPermission.POSITION_READ,
        jurisdiction_path=lambda p: p.jurisdiction_path,
        fields=(
            "device_id",
            "fixed_at",
            "received_at",
            "lat",
            "lon",
            "speed",
            "bearing",
            "accuracy",
            "battery",
        ),
    )


class PatrolIncident(RecordId, Base):
    """An incident the control room entered from a Dial 100/112 call (later: a citizen's SOS):
    where, what, how urgent, the station and beat it falls in, and its course (each change is a
    row of ``patrol_incident_events``). The caller's own details are not kept here."""

    __tablename__ = "patrol_incidents"
    __table_args__ = (Index("ix_patrol_incidents_status_created", "status", "created_at"),)

    #: "dial_100", "dial_112" (later "sos").
    source: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    category: Mapped[str] = mapped_column(String(24), info=RESTRICTED)
    #: 1 (most urgent) to 4.
    priority: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    lat: Mapped[float] = mapped_column(Float, info=RESTRICTED)
    lon: Mapped[float] = mapped_column(Float, info=RESTRICTED)
    landmark: Mapped[str | None] = mapped_column(String(200), info=RESTRICTED)
    description: Mapped[str | None] = mapped_column(String(1000), info=RESTRICTED)
    station_id: Mapped[str] = mapped_column(ID, ForeignKey("jurisdictions.id"), info=PUBLIC)
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()
    beat_id: Mapped[str | None] = mapped_column(ID, ForeignKey("patrol_areas.id"), info=RESTRICTED)
    #: open, assigned, on_scene, closed, cancelled.
    status: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    unit_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("patrol_units.id"), index=True, info=RESTRICTED
    )
    created_by: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)
    assigned_at: Mapped[datetime | None] = _moment(RESTRICTED, nullable=True)
    on_scene_at: Mapped[datetime | None] = _moment(RESTRICTED, nullable=True)
    closed_at: Mapped[datetime | None] = _moment(RESTRICTED, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1, info=RESTRICTED)

    __disclosure__ = Protected(
        resource_type="patrol_incident",
        read_permission=PatrolPermission.INCIDENT_READ,
        jurisdiction_path=lambda i: i.jurisdiction_path,
        fields=(
            "source",
            "category",
            "priority",
            "lat",
            "lon",
            "landmark",
            "description",
            "station_id",
            "beat_id",
            "status",
            "unit_id",
            "created_at",
            "assigned_at",
            "on_scene_at",
            "closed_at",
            "version",
        ),
    )


class PatrolIncidentEvent(RecordId, Base):
    """One step of an incident's course (entered, assigned to a unit, on scene, closed,
    cancelled), with who and when; rows are only ever added."""

    __tablename__ = "patrol_incident_events"
    __table_args__ = (Index("ix_patrol_incident_events_incident_at", "incident_id", "at"),)

    incident_id: Mapped[str] = mapped_column(ID, ForeignKey("patrol_incidents.id"), info=PUBLIC)
    status: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    unit_id: Mapped[str | None] = mapped_column(ID, info=RESTRICTED)
    note: Mapped[str | None] = mapped_column(String(300), info=RESTRICTED)
    by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    at: Mapped[datetime] = stamped(RESTRICTED)


class PatrolCheckin(RecordId, Base):
    """A unit checked in at a check-in point: the point's code for the day was scanned, and the
    unit's own tracker placed it within the point's radius. Rows are only ever added."""

    __tablename__ = "patrol_checkins"
    __table_args__ = (
        Index("ix_patrol_checkins_point_at", "point_id", "at"),
        Index("ix_patrol_checkins_unit_at", "unit_id", "at"),
        Index("ix_patrol_checkins_beat_at", "beat_id", "at"),
    )

    point_id: Mapped[str] = mapped_column(ID, ForeignKey("patrol_points.id"), info=PUBLIC)
    unit_id: Mapped[str] = mapped_column(ID, ForeignKey("patrol_units.id"), info=PUBLIC)
    shift_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("patrol_shifts.id"), info=RESTRICTED
    )
    beat_id: Mapped[str | None] = mapped_column(ID, ForeignKey("patrol_areas.id"), info=RESTRICTED)
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()
    #: The station's calendar day the scanned code was for ("2026-12-07").
    day: Mapped[str] = mapped_column(String(10), info=RESTRICTED)
    at: Mapped[datetime] = stamped(RESTRICTED)
    #: The tracker's fix that placed the unit at the point, and how far from it.
    fixed_at: Mapped[datetime] = _moment(RESTRICTED)
    lat: Mapped[float] = mapped_column(Float, info=RESTRICTED)
    lon: Mapped[float] = mapped_column(Float, info=RESTRICTED)
    distance_m: Mapped[float] = mapped_column(Float, info=RESTRICTED)
    by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)


class PatrolBeatPresence(Base):
    """When a unit's track was last inside a beat, kept by the coverage check (one row per beat
    that has ever been patrolled)."""

    __tablename__ = "patrol_beat_presence"

    #: The beat's id.
    id: Mapped[str] = mapped_column(ID, ForeignKey("patrol_areas.id"), primary_key=True)
    last_seen_at: Mapped[datetime] = _moment(RESTRICTED)


class PatrolCoverageRun(RecordId, Base):
    """One run of the coverage check: from when it read positions, how many, and how many
    beats it found uncovered (alerts raised)."""

    __tablename__ = "patrol_coverage_runs"

    ran_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True, info=PUBLIC)
    since: Mapped[datetime] = _moment(PUBLIC)
    positions: Mapped[int] = mapped_column(Integer, info=PUBLIC)
    beats: Mapped[int] = mapped_column(Integer, info=PUBLIC)
    raised: Mapped[int] = mapped_column(Integer, info=PUBLIC)


class PatrolBeatAlert(RecordId, Base):
    """A beat no unit covered (no position inside it, no check-in at its points) for
    ``hours``: raised to its station's house officer, open until closed. One open alert per
    beat at a time."""

    __tablename__ = "patrol_beat_alerts"
    __table_args__ = (Index("ix_patrol_beat_alerts_status_beat", "status", "beat_id"),)

    beat_id: Mapped[str] = mapped_column(ID, ForeignKey("patrol_areas.id"), info=RESTRICTED)
    station_id: Mapped[str] = mapped_column(ID, ForeignKey("jurisdictions.id"), info=PUBLIC)
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()
    hours: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    #: When a unit was last in the beat (None: never, as far as the kept tracks go).
    last_covered_at: Mapped[datetime | None] = _moment(RESTRICTED, nullable=True)
    raised_at: Mapped[datetime] = stamped(RESTRICTED)
    #: "open", or "closed" (by an officer, or by the check once a unit is back in the beat).
    status: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    closed_at: Mapped[datetime | None] = _moment(RESTRICTED, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), info=RESTRICTED)
