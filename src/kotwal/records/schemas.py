"""Input and output shapes of the records API. Inputs forbid unknown fields; outputs are
explicit allow-lists where each protected field may come back masked."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

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
