"""Input and output shapes of the patrolling domain. Inputs forbid unknown fields and bound
every field; outputs are allow-lists of what a reader may see."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

ID36 = Annotated[str, StringConstraints(min_length=36, max_length=36)]
#: Area codes: capitals, digits and dashes ("HYD-PS-01-B03").
AREA_CODE_PATTERN = r"^[A-Z0-9][A-Z0-9-]{1,39}$"
CALL_SIGN_PATTERN = r"^[A-Z0-9][A-Z0-9 -]{1,31}$"
#: An Indian registration number once normalised: state, district, series, number
#: ("TS09PA1234", "AP28E1234"); a new "BH" series number also fits.
VEHICLE_PATTERN = r"^[A-Z0-9]{6,12}$"


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AreaKind(enum.StrEnum):
    STATION_AREA = "station_area"
    BEAT = "beat"


class PointKind(enum.StrEnum):
    """Where patrols check in."""

    BANK = "bank"
    ATM = "atm"
    PLACE_OF_WORSHIP = "place_of_worship"
    SCHOOL = "school"
    HOT_SPOT = "hot_spot"


class UnitKind(enum.StrEnum):
    BLUE_COLTS = "blue_colts"  # a motorcycle pair
    PATROL_CAR = "patrol_car"
    HIGHWAY_PATROL = "highway_patrol"


class UnitStatus(enum.StrEnum):
    AVAILABLE = "available"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    OFF_DUTY = "off_duty"


class CrewDuty(enum.StrEnum):
    IN_CHARGE = "in_charge"
    DRIVER = "driver"
    CREW = "crew"


class AreaRead(BaseModel):
    id: str
    kind: AreaKind
    code: str
    name: str
    station_id: str
    parent_id: str | None
    source: str | None
    #: The shape as a GeoJSON geometry, when asked for.
    geometry: dict[str, Any] | None = None
    bbox: tuple[float, float, float, float]


class AreasImported(BaseModel):
    station_areas: int
    beats: int
    points: int


class PointCreate(Input):
    kind: PointKind
    name: str = Field(min_length=2, max_length=200)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: int = Field(default=50, ge=5, le=1000)
    station_id: ID36


class PointRead(BaseModel):
    id: str
    kind: PointKind
    name: str
    lat: float
    lon: float
    radius_m: int
    station_id: str
    beat_id: str | None


class Located(BaseModel):
    """Where a point lies: its station's area and beat (if any are drawn there), and the
    check-in points within reach."""

    station_area: AreaRead | None
    beat: AreaRead | None
    points: list[tuple[PointRead, float]]


class UnitCreate(Input):
    call_sign: str = Field(min_length=2, max_length=32, pattern=CALL_SIGN_PATTERN)
    vehicle_number: str = Field(min_length=6, max_length=20)
    kind: UnitKind
    station_id: ID36


class UnitRead(BaseModel):
    id: str
    call_sign: str
    vehicle_number: str
    kind: UnitKind
    station_id: str
    status: UnitStatus
    status_at: datetime


class StatusChange(Input):
    status: UnitStatus
    note: str | None = Field(default=None, max_length=300)


class UnitEventRead(BaseModel):
    status: UnitStatus
    previous: UnitStatus | None
    note: str | None
    by_name: str
    at: datetime


class CrewMember(Input):
    officer_id: ID36
    duty: CrewDuty = CrewDuty.CREW


class ShiftStart(Input):
    starts_at: datetime
    ends_at: datetime
    beat_id: ID36 | None = None
    crew: list[CrewMember] = Field(min_length=1, max_length=8)


class CrewRead(BaseModel):
    officer_id: str
    duty: CrewDuty


class ShiftRead(BaseModel):
    id: str
    unit_id: str
    beat_id: str | None
    starts_at: datetime
    ends_at: datetime
    ended_at: datetime | None
    crew: list[CrewRead]


class DeviceEnrol(Input):
    label: str = Field(min_length=2, max_length=100)


class DeviceRead(BaseModel):
    id: str
    unit_id: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


class DeviceIssued(DeviceRead):
    """A new tracker's token, shown once: only its hash is kept."""

    token: str


class PositionRead(BaseModel):
    unit_id: str
    fixed_at: datetime
    received_at: datetime
    lat: float
    lon: float
    speed: float | None
    bearing: float | None
    accuracy: float | None
    battery: float | None


class TrackPoint(BaseModel):
    fixed_at: datetime
    lat: float
    lon: float
    speed: float | None
    bearing: float | None
    accuracy: float | None


class TrackRead(BaseModel):
    unit_id: str
    call_sign: str
    since: datetime
    until: datetime
    points: list[TrackPoint]
    #: More points lie in the period than were returned (ask for a shorter period).
    truncated: bool


class IncidentSource(enum.StrEnum):
    DIAL_100 = "dial_100"
    DIAL_112 = "dial_112"
    #: A citizen's SOS from the citizens' app (kotwal.citizen), filed by ``file_incident``.
    SOS = "sos"


class IncidentCategory(enum.StrEnum):
    ASSAULT = "assault"
    THEFT = "theft"
    ROBBERY = "robbery"
    ACCIDENT = "accident"
    DISTURBANCE = "disturbance"
    DOMESTIC_VIOLENCE = "domestic_violence"
    FIRE = "fire"
    MEDICAL = "medical"
    MISSING_PERSON = "missing_person"
    WOMEN_SAFETY = "women_safety"
    OTHER = "other"


class IncidentStatus(enum.StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    ON_SCENE = "on_scene"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class IncidentCreate(Input):
    source: IncidentSource
    category: IncidentCategory
    priority: int = Field(ge=1, le=4)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    landmark: str | None = Field(default=None, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")
    description: str | None = Field(default=None, max_length=1000)
    #: Where it is filed when no station's area on the map holds the place.
    station_id: ID36 | None = None

    @field_validator("source")
    @classmethod
    def _a_call(cls, value: IncidentSource) -> IncidentSource:
        if value == IncidentSource.SOS:
            raise ValueError("an SOS comes from a citizen's app, not from a call taker")
        return value


class IncidentRead(BaseModel):
    id: str
    source: IncidentSource
    category: IncidentCategory
    priority: int
    lat: float
    lon: float
    landmark: str | None
    description: str | None
    station_id: str
    beat_id: str | None
    status: IncidentStatus
    unit_id: str | None
    created_at: datetime
    assigned_at: datetime | None
    on_scene_at: datetime | None
    closed_at: datetime | None
    version: int


class IncidentAssign(Input):
    unit_id: ID36


class IncidentProgress(Input):
    """What the control room records after assignment."""

    status: IncidentStatus
    note: str | None = Field(default=None, max_length=300)


class IncidentEventRead(BaseModel):
    status: IncidentStatus
    unit_id: str | None
    note: str | None
    by_name: str
    at: datetime


class Candidate(BaseModel):
    """An available unit proposed for an incident, nearest by travel first."""

    unit_id: str
    call_sign: str
    kind: UnitKind
    #: Straight line, and the estimate of the road distance (straight line x road factor).
    distance_m: float
    travel_m: float
    lat: float
    lon: float
    fixed_at: datetime


class CheckinCreate(Input):
    """A check-in: the code scanned at the point and the unit checking in."""

    code: str = Field(min_length=1, max_length=200)
    unit_id: str = Field(min_length=36, max_length=36)


class CheckinRead(BaseModel):
    id: str
    point_id: str
    unit_id: str
    shift_id: str | None
    beat_id: str | None
    day: str
    at: datetime
    distance_m: float


class PointCode(BaseModel):
    """A point's check-in code for one day, to print or show at the point."""

    point_id: str
    name: str
    day: date
    code: str


class CoverageRead(BaseModel):
    """How well a shift covered its beat: the share of its check-in points visited and of its
    area (cells of KOTWAL_PATROL_COVERAGE_CELL_M) passed through; null without a beat."""

    shift_id: str
    unit_id: str
    beat_id: str | None
    starts_at: datetime
    ends_at: datetime
    points: int
    points_visited: int
    points_share: float | None
    cells: int
    cells_passed: int
    area_share: float | None
    fixes: int


class BeatAlertRead(BaseModel):
    """A beat no unit covered for ``hours``."""

    id: str
    beat_id: str
    beat_code: str
    beat_name: str
    station_id: str
    hours: int
    last_covered_at: datetime | None
    raised_at: datetime
    status: str
    closed_at: datetime | None
    closed_by: str | None


class ResponseTimesRead(BaseModel):
    """A station's response times in one watch over a period (seconds)."""

    station_id: str
    station_code: str
    station_name: str
    watch: str
    incidents: int
    reached: int
    response_median_s: float | None
    response_p90_s: float | None
    dispatch_median_s: float | None
    dispatch_p90_s: float | None


class PublicFiguresRead(BaseModel):
    """A station's public figures over a period: counts, durations (seconds) and shares."""

    station_code: str
    station_name: str
    since: str
    until: str
    incidents: int
    reached: int
    response_median_s: float | None
    response_p90_s: float | None
    shifts: int
    shifts_with_beat: int
    area_share_median: float | None
    points_share_median: float | None
