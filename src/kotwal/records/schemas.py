"""Input and output shapes of the records API. Inputs forbid unknown fields; outputs are
explicit allow-lists where each protected field may come back masked."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from kotwal.core.schemas import Input


class Masked(BaseModel):
    """A field the reader may not see: it exists, its value is withheld."""

    masked: bool = True


class PersonCategory(enum.StrEnum):
    OFFENDER = "offender"
    SUSPECT = "suspect"
    MISSING = "missing_person"
    UNIDENTIFIED_BODY = "unidentified_body"


class PersonStatus(enum.StrEnum):
    ACTIVE = "active"
    ABSCONDING = "absconding"
    IN_CUSTODY = "in_custody"
    DECEASED = "deceased"
    TRACED = "traced"


class Sex(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"
    TRANSGENDER = "transgender"
    UNKNOWN = "unknown"


class PersonCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    name_te: str | None = Field(default=None, max_length=200, description="Name in Telugu script")
    father_name: str | None = Field(default=None, max_length=200)
    aliases: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=20
    )
    marks: str | None = Field(default=None, max_length=500, description="Identifying marks")
    category: PersonCategory
    sex: Sex = Sex.UNKNOWN
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    status: PersonStatus = PersonStatus.ACTIVE
    station_id: str = Field(min_length=36, max_length=36)
    phone: str | None = Field(default=None, min_length=6, max_length=20, pattern=r"^[0-9 +()-]+$")
    address: str | None = Field(default=None, max_length=500)


class PersonUpdate(Input):
    """Fields to change; what is left out stays. ``expected_version`` guards against two
    officers overwriting each other's edits."""

    expected_version: int = Field(ge=1)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_te: str | None = Field(default=None, max_length=200)
    father_name: str | None = Field(default=None, max_length=200)
    aliases: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        default=None, max_length=20
    )
    marks: str | None = Field(default=None, max_length=500)
    category: PersonCategory | None = None
    sex: Sex | None = None
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    status: PersonStatus | None = None
    station_id: str | None = Field(default=None, min_length=36, max_length=36)
    phone: str | None = Field(default=None, min_length=6, max_length=20, pattern=r"^[0-9 +()-]+$")
    address: str | None = Field(default=None, max_length=500)


class PersonVersionRead(BaseModel):
    """Who changed what, when. The earlier values stay sealed in the version store."""

    version: int
    changed_fields: list[str]
    changed_by_name: str
    changed_at: datetime


class PersonRead(BaseModel):
    """A person as disclosed by the gate: protected fields may be masked."""

    id: str
    name: str | Masked
    name_te: str | Masked | None
    father_name: str | Masked | None
    category: str | Masked
    sex: str | Masked | None
    birth_year: int | Masked | None
    marks: str | Masked | None
    status: str | Masked
    station_id: str | Masked
    phone: str | Masked | None
    address: str | Masked | None
    version: int | Masked


class PersonPage(BaseModel):
    items: list[PersonRead]


class PersonHit(BaseModel):
    """One search result: the person as the gate releases them, how well and why they matched.
    Reasons name the matching record's words only when its name is released to the reader."""

    person: PersonRead
    score: float
    reasons: list[str]


class PersonSearchPage(BaseModel):
    query: str
    items: list[PersonHit]
    #: Matches outside the reader's jurisdiction, counted and not shown: declare a purpose
    #: to see them (their names and scores would confirm who exists where).
    outside_jurisdiction: int = 0


class HistorySheetOpen(Input):
    """Open a history sheet on a person at a station in one's jurisdiction."""

    person_id: str = Field(min_length=36, max_length=36)
    category: str = Field(min_length=2, max_length=32, pattern=r"^[a-z_]+$")
    station_id: str = Field(min_length=36, max_length=36)
    legal_basis: str = Field(
        min_length=5, max_length=500, description="Standing order or order reference"
    )
    modus_operandi: str | None = Field(default=None, max_length=2000)
    opened_on: date | None = Field(default=None, description="Defaults to today")
    next_review_on: date | None = Field(
        default=None, description="Defaults to the category's review interval"
    )


class HistorySheetReview(Input):
    next_review_on: date
    note: str | None = Field(default=None, max_length=500, description="Reviewing officer's note")


class HistorySheetClose(Input):
    reason: str = Field(min_length=5, max_length=500)
    closed_on: date | None = Field(default=None, description="Defaults to today")


class HistorySheetRead(BaseModel):
    """A history sheet as disclosed by the gate: protected fields may be masked."""

    id: str
    person_id: str | Masked
    category: str | Masked
    station_id: str | Masked
    legal_basis: str | Masked
    modus_operandi: str | Masked | None
    opened_on: date | Masked
    next_review_on: date | Masked
    closed_on: date | Masked | None
    close_reason: str | Masked | None
    version: int | Masked


class HistorySheetPage(BaseModel):
    items: list[HistorySheetRead]


class CasePartyRole(enum.StrEnum):
    ACCUSED = "accused"
    ARRESTED = "arrested"
    CHARGE_SHEETED = "charge_sheeted"
    CONVICTED = "convicted"
    ACQUITTED = "acquitted"


#: Station code / year / number, e.g. "PS-A/2026/0007".
FIR_PATTERN = r"^[A-Z0-9_-]{2,32}/(19|20)[0-9]{2}/[0-9]{1,6}$"
SECTION_PATTERN = r"^(BNS|IPC) [0-9]{1,3}[A-Z]{0,2}(\([0-9]{1,2}\))?$"


def canonical_fir(value: str) -> str:
    """One spelling per FIR: the number without leading zeros padded to four digits, so that
    "PS-A/2026/7" and "PS-A/2026/0007" are the same case."""
    code, year, number = value.split("/")
    return f"{code}/{year}/{int(number):04d}"


class CaseCreate(Input):
    fir_number: str = Field(min_length=9, max_length=64, pattern=FIR_PATTERN)
    sections: list[Annotated[str, Field(max_length=24, pattern=SECTION_PATTERN)]] = Field(
        min_length=1, max_length=20, description='Codes such as "BNS 303" or "IPC 379"'
    )
    registered_on: date
    station_id: str = Field(min_length=36, max_length=36)

    @field_validator("fir_number", mode="after")
    @classmethod
    def _canonical(cls, value: str) -> str:
        return canonical_fir(value)


class CasePartyAdd(Input):
    person_id: str = Field(min_length=36, max_length=36)
    role: CasePartyRole
    role_on: date


class LawSectionRead(BaseModel):
    code: str
    act: str
    title: str
    equivalent: str | None


class CasePartyRead(BaseModel):
    id: str
    case_id: str | Masked
    person_id: str | Masked
    role: str | Masked
    role_on: date | Masked


class CaseRead(BaseModel):
    """A case as disclosed by the gate, with the titles of its sections (public law) when the
    sections themselves are released, and the parties the reader may see."""

    id: str
    fir_number: str | Masked
    sections: list[LawSectionRead] | Masked
    registered_on: date | Masked
    station_id: str | Masked
    parties: list[CasePartyRead]


class CasePage(BaseModel):
    items: list[CaseRead]


class HistorySheetEventRead(BaseModel):
    """One step in a sheet's life: who opened, reviewed or closed it, when, and the dates."""

    action: str
    version: int
    previous_review_on: date | None
    next_review_on: date | None
    note: str | None
    by_name: str
    at: datetime


class PersonImportResult(BaseModel):
    rows_read: int
    created: int


class PersonExportRequest(Input):
    """An export names its scope (a station, or the whole of one's jurisdiction) and why."""

    station_code: str | None = Field(default=None, max_length=32)
    purpose: str = Field(min_length=5, max_length=300)
