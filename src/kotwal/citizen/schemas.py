"""Input and output of the citizens' routes and the officers' identity read. Inputs forbid
unknown fields and bound every length; outputs are explicit allow-lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_IN = ConfigDict(extra="forbid", str_strip_whitespace=True)
#: An installation id the app makes once (random, not a secret): what the per-device limit
#: counts.
DEVICE_PATTERN = r"^[A-Za-z0-9_-]{8,128}$"
MOBILE = Field(min_length=10, max_length=20, pattern=r"^[0-9+ -]+$")
MAX_FIXES = 100


class CodeRequestIn(BaseModel):
    model_config = _IN
    mobile: str = MOBILE
    device: str = Field(pattern=DEVICE_PATTERN)


class CodeSentOut(BaseModel):
    challenge: str
    expires_at: datetime


class SessionIn(BaseModel):
    model_config = _IN
    mobile: str = MOBILE
    challenge: str = Field(min_length=36, max_length=36)
    code: str = Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")
    #: What the citizen calls this device ("Asha's phone"), shown in their list of devices.
    device_label: str = Field(default="phone", min_length=1, max_length=60)
    #: The web app: the token is set as an HttpOnly cookie (no script can read it) and left
    #: out of the answer; the request must carry the app's header (``kotwal.citizen.deps``).
    cookie: bool = False


class SessionOut(BaseModel):
    #: The bearer token, shown once; None when it went into the web app's cookie instead.
    token: str | None
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type name, not a secret
    session_id: str
    citizen_id: str
    expires_at: datetime
    new_account: bool


class DeviceOut(BaseModel):
    id: str
    device_label: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    current: bool


class ContactIn(BaseModel):
    model_config = _IN
    name: str = Field(min_length=1, max_length=200)
    mobile: str = MOBILE


class ProfileIn(BaseModel):
    model_config = _IN
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(
        default=None, max_length=254, pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$"
    )
    address: str | None = Field(default=None, min_length=1, max_length=500)
    #: Replaces the list when given (at most five); left out, the list stays as it is.
    emergency_contacts: list[ContactIn] | None = Field(default=None, max_length=5)


class ContactOut(BaseModel):
    id: str
    name: str
    mobile: str


class ProfileOut(BaseModel):
    citizen_id: str
    mobile: str
    name: str | None
    email: str | None
    address: str | None
    emergency_contacts: list[ContactOut]


class AccessOut(BaseModel):
    """One officer's read of the citizen's data, as the audit log has it."""

    at: datetime
    officer_rank: str
    purpose: str | None
    what: str
    reference: int


class DeletedOut(BaseModel):
    deleted: bool = True
    trips: int
    sessions: int


class PlaceIn(BaseModel):
    model_config = _IN
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class TripIn(BaseModel):
    model_config = _IN
    vehicle_number: str = Field(min_length=2, max_length=20, pattern=r"^[A-Za-z0-9 -]+$")
    origin: str = Field(min_length=1, max_length=200)
    destination: str = Field(min_length=1, max_length=200)
    expected_arrival: datetime
    #: The start and the destination as places (the app's map pick); with both, the trip is
    #: checked for going off route.
    origin_place: PlaceIn | None = None
    destination_place: PlaceIn | None = None


class CheckInOut(BaseModel):
    """A check-in the trip is waiting for: what was noticed, and by when to answer."""

    deviation: str
    asked_at: datetime
    due_at: datetime


class CheckInIn(BaseModel):
    model_config = _IN
    #: True: all is well. False: raise an SOS now.
    safe: bool


class FixIn(BaseModel):
    model_config = _IN
    at: datetime
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy: float | None = Field(default=None, ge=0, le=100_000)


class FixesIn(BaseModel):
    model_config = _IN
    fixes: list[FixIn] = Field(min_length=1, max_length=MAX_FIXES)


class TripOut(BaseModel):
    id: str
    status: str
    vehicle_number: str | None
    origin: str | None
    destination: str | None
    expected_arrival: datetime
    started_at: datetime
    ended_at: datetime | None
    shred_after: datetime
    positions: int
    check_in: CheckInOut | None = None
    #: The SOS raised for this trip (check-in unanswered or answered "not safe").
    alarm_sos_id: str | None = None


class FixesOut(BaseModel):
    recorded: int
    positions: int
    #: A check-in asked for by this batch's checks (the app shows the question at once).
    check_in: CheckInOut | None = None


class IdentityOut(BaseModel):
    """A citizen's identity as the gate released it: a value, or ``{"masked": true}``."""

    id: str
    citizen_id: Any
    mobile: Any
    name: Any
    email: Any
    address: Any
    emergency_contacts: list[dict[str, Any]]


#: Positions an open SOS takes in one request (the app sends every 5-10 s; a few queued while
#: the connection was down come together).
MAX_SOS_FIXES = 20


class SosFixesIn(BaseModel):
    model_config = _IN
    fixes: list[FixIn] = Field(min_length=1, max_length=MAX_SOS_FIXES)


class SosOut(BaseModel):
    """An SOS as its citizen sees it."""

    id: str
    status: str
    raised_at: datetime
    #: The control room has answered (acknowledged it, or sent a unit).
    acknowledged: bool
    acknowledged_at: datetime | None
    unit_sent: bool
    #: The police station it went to.
    station: str | None
    contacts_told: int
    positions: int
    closed_at: datetime | None


class SosFixesOut(SosOut):
    recorded: int


class SosPointOut(BaseModel):
    at: datetime
    lat: float
    lon: float
    accuracy: float | None


class SosRead(BaseModel):
    """An SOS for the control room, as the gate released it (a value or ``{"masked": true}``)."""

    id: str
    incident_id: Any
    station_id: Any
    status: Any
    raised_at: Any
    acknowledged_at: Any
    escalation_level: Any
    escalated_at: Any
    escalated_to: Any
    contacts_told: Any
    closed_at: Any
    closed_by: Any
    positions: Any
    answered: bool
    incident_status: str | None = None
    proposed_units: list[str] = []
    #: The citizen's positions, only while the SOS is open (None otherwise).
    track: list[SosPointOut] | None = None
    candidates: list[dict[str, Any]] = []


ReportKind = Literal[
    "crime_information",
    "traffic_violation",
    "crime_against_women",
    "police_misconduct",
    "suggestion",
    "good_work",
]
VerificationKind = Literal["tenant_verification", "servant_verification", "worker_verification"]
ReportState = Literal[
    "new",
    "confirmed",
    "investigating",
    "in_progress",
    "action_taken",
    "closed",
    "not_police_matter",
    "duplicate",
    "under_verification",
    "verified",
    "adverse_report",
    "rejected",
    "accepted",
    "declined",
]


class ReportIn(BaseModel):
    """A report: what, where (routing needs the place), and a vehicle number if one is seen."""

    model_config = _IN
    kind: ReportKind
    description: str = Field(min_length=1, max_length=2000)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    vehicle_number: str | None = Field(
        default=None, min_length=2, max_length=20, pattern=r"^[A-Za-z0-9 -]+$"
    )


class TipIn(ReportIn):
    """An anonymous tip: a report without an account, with the app's installation id (what
    the per-device limit counts)."""

    device: str = Field(pattern=DEVICE_PATTERN)


class ReceiptIn(BaseModel):
    model_config = _IN
    receipt: str = Field(min_length=10, max_length=64, pattern=r"^kt_[A-Za-z0-9_-]+$")


class ReportStep(BaseModel):
    status: str
    note: str | None
    at: datetime


class ReportOut(BaseModel):
    """A report as its sender sees it, with each change and what the police said."""

    id: str
    kind: str
    anonymous: bool
    description: str | None
    vehicle_number: str | None
    station: str | None
    status: str
    created_at: datetime
    updated_at: datetime
    photos: int
    course: list[ReportStep]


class TipOut(ReportOut):
    #: Shown once: the only way to follow an anonymous tip.
    receipt: str


class ReportPhotoOut(BaseModel):
    id: str
    format: str
    width: int
    height: int
    byte_size: int
    #: The photo carried a GPS position (kept sealed for the police; not in the stored image).
    position_read: bool


class ReportMove(BaseModel):
    """The next step of a report's course, what the citizen is told, and the version read."""

    model_config = _IN
    status: ReportState
    note: str | None = Field(default=None, min_length=1, max_length=500)
    duplicate_of: str | None = Field(default=None, min_length=36, max_length=36)
    version: int = Field(ge=1)


class ReportRead(BaseModel):
    """A report for an officer, as the gate released it (a value or ``{"masked": true}``)."""

    id: str
    citizen_id: Any
    anonymous: Any
    kind: Any
    description: Any
    place: Any
    vehicle_number: Any
    station_id: Any
    status: Any
    duplicate_of: Any
    created_at: Any
    updated_at: Any
    version: Any
    photos: list[dict[str, Any]] = []
    course: list[dict[str, Any]] = []


class TripWatchRead(BaseModel):
    """A trip for the control room, as the gate released it, with its positions."""

    id: str
    status: Any
    vehicle_number: Any
    origin: Any
    destination: Any
    expected_arrival: Any
    started_at: Any
    ended_at: Any
    positions: Any
    last_heard_at: datetime
    overdue: bool
    under_sos: bool
    track: list[SosPointOut]


class StationOut(BaseModel):
    """A police station in the directory."""

    id: str
    code: str
    name: str
    #: The district (or circle) it belongs to.
    within: str | None
    distance_m: float
    #: Its area holds the place asked about.
    holds: bool


class LostPhoneIn(BaseModel):
    """A phone reported lost: its IMEI (*#06#), and optionally what it is and where it was
    lost (a place routes the report to that station)."""

    model_config = _IN
    imei: str = Field(min_length=15, max_length=20, pattern=r"^[0-9 /-]+$")
    make_model: str | None = Field(default=None, min_length=1, max_length=100)
    lost_at: datetime
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class LostPhoneOut(BaseModel):
    id: str
    imei: str | None
    make_model: str | None
    lost_at: datetime
    station: str | None
    status: str
    updated_at: datetime


class LostPhoneClose(BaseModel):
    model_config = _IN
    #: "found" (the owner has it back) or "withdrawn".
    status: Literal["found", "withdrawn"]


class LostPhoneLookup(BaseModel):
    """Whether a phone is reported lost now, and its reports as the gate released them."""

    reported_lost: bool
    reports: list[dict[str, Any]]


class VerificationIn(BaseModel):
    """A request to verify a tenant, a domestic servant or a worker: the person's particulars
    (sealed) and the premises where they will live or work (its place routes the request)."""

    model_config = _IN
    kind: VerificationKind
    name: str = Field(min_length=2, max_length=200)
    relative_name: str | None = Field(default=None, min_length=2, max_length=200)
    mobile: str | None = MOBILE
    id_document: str | None = Field(
        default=None, min_length=4, max_length=40, description="e.g. a voter ID's number"
    )
    permanent_address: str = Field(min_length=5, max_length=500)
    premises: str = Field(min_length=5, max_length=500)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class CommunityIn(BaseModel):
    """A community-policing sign-up: what one offers, and where one lives (its station)."""

    model_config = _IN
    interests: list[
        Literal[
            "neighbourhood_watch",
            "traffic_volunteer",
            "women_safety",
            "cyber_awareness",
            "senior_citizens",
            "events",
        ]
    ] = Field(min_length=1, max_length=6)
    note: str | None = Field(default=None, min_length=1, max_length=500)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
