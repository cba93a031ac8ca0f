"""Input and output shapes of the force API. Inputs forbid unknown fields (so an officer's
unit, jurisdiction, version or id cannot be smuggled into a create or an update); outputs are
explicit allow-lists where each protected field may come back masked."""

from __future__ import annotations

import enum
from datetime import date, datetime

from pydantic import BaseModel, Field

from kotwal.core.schemas import Input
from kotwal.records.schemas import Masked

ID_FIELD = Field(min_length=36, max_length=36)
PHONE_PATTERN = r"^[0-9 +()-]+$"
BELT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 /-]*$"
PAGE_MAX = 100


class Rank(enum.StrEnum):
    """Ranks of a state police force, from the top."""

    DGP = "dgp"
    ADGP = "adgp"
    IGP = "igp"
    DIG = "dig"
    SP = "sp"  # also DCP in a commissionerate
    ADDL_SP = "addl_sp"
    ASP = "asp"  # also DSP / ACP
    INSPECTOR = "inspector"
    SUB_INSPECTOR = "sub_inspector"
    ASI = "asi"
    HEAD_CONSTABLE = "head_constable"
    CONSTABLE = "constable"


RANK_TITLES: dict[str, str] = {
    "dgp": "Director General of Police",
    "adgp": "Additional DGP",
    "igp": "Inspector General",
    "dig": "Deputy Inspector General",
    "sp": "SP / DCP",
    "addl_sp": "Additional SP / DCP",
    "asp": "ASP / DSP / ACP",
    "inspector": "Inspector",
    "sub_inspector": "Sub-Inspector",
    "asi": "Assistant Sub-Inspector",
    "head_constable": "Head Constable",
    "constable": "Police Constable",
}


class OfficerStatus(enum.StrEnum):
    """Whether an officer is serving, on leave, suspended or retired."""

    SERVING = "serving"
    ON_LEAVE = "on_leave"
    SUSPENDED = "suspended"
    RETIRED = "retired"


def normalise_belt(raw: str) -> str:
    """A belt number as stored and searched: upper case, without spaces."""
    return "".join(raw.split()).upper()


class EarlierPosting(Input):
    """A posting that has ended, for entering an officer with their career so far."""

    unit_id: str = ID_FIELD
    post: str | None = Field(default=None, max_length=100)
    from_date: date
    to_date: date


class OfficerCreate(Input):
    """A new officer record: the current posting, earlier ones, and contacts."""

    name: str = Field(min_length=1, max_length=200)
    rank: Rank
    belt_number: str = Field(min_length=2, max_length=32, pattern=BELT_PATTERN)
    status: OfficerStatus = OfficerStatus.SERVING
    unit_id: str = Field(
        min_length=36, max_length=36, description="Station or unit of the current posting"
    )
    post: str | None = Field(default=None, max_length=100, description="Post held there")
    posted_on: date = Field(description="First day of the current posting")
    earlier_postings: list[EarlierPosting] = Field(default_factory=list, max_length=40)
    official_phone: str | None = Field(
        default=None, min_length=6, max_length=20, pattern=PHONE_PATTERN
    )
    official_email: str | None = Field(
        default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    )
    personal_phone: str | None = Field(
        default=None, min_length=6, max_length=20, pattern=PHONE_PATTERN
    )
    personal_address: str | None = Field(default=None, max_length=500)
    account_id: str | None = Field(default=None, min_length=36, max_length=36)


class OfficerUpdate(Input):
    """Fields to change; what is left out stays. The posting changes only by a transfer."""

    expected_version: int = Field(ge=1)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    rank: Rank | None = None
    belt_number: str | None = Field(default=None, min_length=2, max_length=32, pattern=BELT_PATTERN)
    status: OfficerStatus | None = None
    official_phone: str | None = Field(
        default=None, min_length=6, max_length=20, pattern=PHONE_PATTERN
    )
    official_email: str | None = Field(
        default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    )
    personal_phone: str | None = Field(
        default=None, min_length=6, max_length=20, pattern=PHONE_PATTERN
    )
    personal_address: str | None = Field(default=None, max_length=500)
    account_id: str | None = Field(default=None, min_length=36, max_length=36)


class Transfer(Input):
    """Post an officer to another station or unit from a date; the open posting ends the day
    before."""

    expected_version: int = Field(ge=1)
    unit_id: str = ID_FIELD
    post: str | None = Field(default=None, max_length=100)
    from_date: date


class PostingRead(BaseModel):
    """One posting as shown: the unit (with its public name), post and dates."""

    unit_id: str
    unit_name: str
    post: str | None
    from_date: date
    to_date: date | None


class OfficerRead(BaseModel):
    """An officer as disclosed by the gate: protected fields may be masked; the posting
    history comes with the record when its RESTRICTED fields are released."""

    id: str
    name: str | Masked
    rank: str | Masked
    belt_number: str | Masked
    status: str | Masked
    unit_id: str | Masked
    official_phone: str | Masked | None
    official_email: str | Masked | None
    personal_phone: str | Masked | None
    personal_address: str | Masked | None
    account_id: str | Masked | None
    version: int | Masked
    postings: list[PostingRead] | Masked


class OfficerPage(BaseModel):
    """A page of officers."""

    items: list[OfficerRead]
    offset: int
    limit: int


class OfficerHit(BaseModel):
    """An officer found by name, with the score and the reasons for it."""

    officer: OfficerRead
    score: float
    reasons: list[str]


class OfficerSearchPage(BaseModel):
    """The answer to a name search, best first."""

    query: str
    items: list[OfficerHit]


class VersionRead(BaseModel):
    """Who changed what, when. The earlier values stay in the version store."""

    version: int
    changed_fields: list[str]
    changed_by_name: str
    changed_at: datetime


LATITUDE = Field(default=None, ge=-90, le=90)
LONGITUDE = Field(default=None, ge=-180, le=180)


class StationProfileCreate(Input):
    """A station's first profile; the id is the station's jurisdiction id."""

    station_id: str = ID_FIELD
    address: str = Field(min_length=5, max_length=500)
    phone: str | None = Field(default=None, min_length=6, max_length=20, pattern=PHONE_PATTERN)
    latitude: float | None = LATITUDE
    longitude: float | None = LONGITUDE
    sho_officer_id: str | None = Field(default=None, min_length=36, max_length=36)


class StationProfileUpdate(Input):
    """Fields of a station profile to change, guarded by the version."""

    expected_version: int = Field(ge=1)
    address: str | None = Field(default=None, min_length=5, max_length=500)
    phone: str | None = Field(default=None, min_length=6, max_length=20, pattern=PHONE_PATTERN)
    latitude: float | None = LATITUDE
    longitude: float | None = LONGITUDE
    sho_officer_id: str | None = Field(default=None, min_length=36, max_length=36)


class StationRead(BaseModel):
    """A station: its place in the tree (public) and its profile through the gate."""

    id: str
    code: str
    name: str
    parent_id: str | None
    address: str | Masked | None
    phone: str | Masked | None
    latitude: float | Masked | None
    longitude: float | Masked | None
    sho_officer_id: str | Masked | None
    version: int | Masked | None


class StationDetail(StationRead):
    """A station with its station house officer and the officers posted there."""

    sho: OfficerRead | None
    officers: list[OfficerRead]


class StationPage(BaseModel):
    """A page of stations."""

    items: list[StationRead]
    offset: int
    limit: int
