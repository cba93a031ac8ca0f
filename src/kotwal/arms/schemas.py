"""Input and output shapes of the arms licence API. Inputs forbid unknown fields (an id, a
status, a jurisdiction or a version cannot be set from outside); outputs are explicit
allow-lists where each protected field may come back masked."""

from __future__ import annotations

import enum
from datetime import date, datetime

from pydantic import BaseModel, Field, field_validator

from kotwal.core.schemas import Input
from kotwal.records.schemas import Masked


class LicenceStatus(enum.StrEnum):
    """Where a licence stands; a lapsed licence is still "valid" with a past expiry date."""

    VALID = "valid"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class Grounds(enum.StrEnum):
    """Why the licence was granted."""

    SELF_PROTECTION = "self_protection"
    CROP_PROTECTION = "crop_protection"
    SPORT = "sport"
    HEIRLOOM = "heirloom"
    OTHER = "other"


class WeaponCategory(enum.StrEnum):
    """The kind of weapon as licences name it (non-prohibited bore unless said otherwise)."""

    REVOLVER = "revolver"
    PISTOL = "pistol"
    RIFLE = "rifle"
    SHOTGUN_SBBL = "shotgun_sbbl"  # single barrel breech loading
    SHOTGUN_DBBL = "shotgun_dbbl"  # double barrel breech loading
    MUZZLE_LOADER = "muzzle_loader"
    OTHER = "other"


class ReviewOutcome(enum.StrEnum):
    """What the licensing officer decided on a suspension review."""

    SUSPEND = "suspend"
    NO_ACTION = "no_action"


#: Licence numbers as authorities write them: letters, digits and / - . separators.
LICENCE_NUMBER_PATTERN = r"^[A-Z0-9][A-Z0-9/.-]{2,63}$"
UIN_PATTERN = r"^[A-Z0-9-]{6,32}$"
PHONE_PATTERN = r"^[0-9 +()-]+$"


class WeaponAdd(Input):
    """A weapon endorsed on a licence."""

    category: WeaponCategory
    make: str = Field(min_length=1, max_length=100, description='Maker and model, e.g. "IOF .32"')
    bore: str = Field(min_length=1, max_length=32, description='Bore or calibre, e.g. ".32"')
    serial: str = Field(
        min_length=1, max_length=64, description="Serial number or identification mark"
    )
    endorsed_on: date | None = Field(default=None, description="Defaults to today")


class LicenceIssue(Input):
    """A licence as the licensing authority issued it, with the weapons endorsed on it."""

    licence_number: str = Field(min_length=3, max_length=64, pattern=LICENCE_NUMBER_PATTERN)
    uin: str = Field(min_length=6, max_length=32, pattern=UIN_PATTERN)
    holder_name: str = Field(min_length=1, max_length=200)
    holder_father_name: str | None = Field(default=None, max_length=200)
    holder_birth_year: int | None = Field(default=None, ge=1900, le=2100)
    holder_address: str | None = Field(default=None, max_length=500)
    holder_phone: str | None = Field(
        default=None, min_length=6, max_length=20, pattern=PHONE_PATTERN
    )
    person_id: str | None = Field(default=None, min_length=36, max_length=36)
    grounds: Grounds
    area_of_validity: str = Field(min_length=2, max_length=200)
    issuing_authority: str = Field(min_length=2, max_length=200)
    issued_on: date
    valid_until: date
    station_id: str = Field(min_length=36, max_length=36)
    weapons: list[WeaponAdd] = Field(min_length=1, max_length=10)

    @field_validator("licence_number", "uin", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        """One spelling per number: authorities write them in capitals."""
        return value.upper() if isinstance(value, str) else value


class LicenceUpdate(Input):
    """Holder details to change; what is left out stays. ``expected_version`` guards against
    two officers overwriting each other's edits."""

    expected_version: int = Field(ge=1)
    holder_name: str | None = Field(default=None, min_length=1, max_length=200)
    holder_father_name: str | None = Field(default=None, max_length=200)
    holder_birth_year: int | None = Field(default=None, ge=1900, le=2100)
    holder_address: str | None = Field(default=None, max_length=500)
    holder_phone: str | None = Field(
        default=None, min_length=6, max_length=20, pattern=PHONE_PATTERN
    )
    person_id: str | None = Field(default=None, min_length=36, max_length=36)
    area_of_validity: str | None = Field(default=None, min_length=2, max_length=200)
    reason: str = Field(min_length=5, max_length=500)


class LicenceRenew(Input):
    """A renewal to a new expiry date, with the order it rests on."""

    valid_until: date
    order_reference: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=500)


class LicenceAction(Input):
    """A suspension, reinstatement or cancellation: always with a reason (Arms Act 1959,
    section 17(4): the authority records its reasons in writing)."""

    reason: str = Field(min_length=5, max_length=500)
    order_reference: str | None = Field(default=None, max_length=100)


class ReviewDecision(Input):
    """The decision on a suspension review, always with its reason."""

    outcome: ReviewOutcome
    reason: str = Field(min_length=5, max_length=500)
    order_reference: str | None = Field(default=None, max_length=100)


class WeaponRead(BaseModel):
    """A weapon as disclosed by the gate: the serial may be masked."""

    id: str
    licence_id: str | Masked
    category: str | Masked
    make: str | Masked
    bore: str | Masked
    serial: str | Masked
    endorsed_on: date | Masked


class LicenceRead(BaseModel):
    """A licence as disclosed by the gate, with its weapons (also through the gate)."""

    id: str
    licence_number: str | Masked
    uin: str | Masked
    holder_name: str | Masked
    holder_father_name: str | Masked | None
    holder_birth_year: int | Masked | None
    holder_address: str | Masked | None
    holder_phone: str | Masked | None
    person_id: str | Masked | None
    grounds: str | Masked
    area_of_validity: str | Masked
    issuing_authority: str | Masked
    issued_on: date | Masked
    valid_until: date | Masked
    status: str | Masked
    status_reason: str | Masked | None
    station_id: str | Masked
    version: int | Masked
    weapons: list[WeaponRead]


class LicencePage(BaseModel):
    """A page of licences."""

    items: list[LicenceRead]
    #: Pass as ``after`` to get the next page; absent on the last page.
    next_after: str | None = None


class LicenceEventRead(BaseModel):
    """One step in a licence's life: what, why, on whose order, by whom and when. Earlier
    holder details stay sealed in the event store."""

    action: str
    version: int
    status: str
    valid_until: date
    reason: str | None
    order_reference: str | None
    changed_fields: list[str]
    by_name: str
    at: datetime


class ReviewRead(BaseModel):
    """A suspension review as disclosed by the gate."""

    id: str
    licence_id: str | Masked
    case_id: str | Masked
    person_id: str | Masked
    party_role: str | Masked
    match: str | Masked
    status: str | Masked
    outcome: str | Masked | None
    decision_reason: str | Masked | None
    decided_by_name: str | Masked | None
    decided_at: datetime | Masked | None
    station_id: str | Masked
    opened_at: datetime | Masked


class ReviewPage(BaseModel):
    """The review queue."""

    items: list[ReviewRead]
