"""Input and output shapes of the public alerts API. Inputs forbid unknown fields and carry
limits; a status, a drafter, an approval or a part count cannot be set from outside."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, Field, field_validator, model_validator

from kotwal.alerts.scrub import TEMPLATE_MAX, VARIABLES_MAX, VariableType
from kotwal.core.schemas import Input


class Category(enum.StrEnum):
    """DLT's template categories. Promotional is listed so that it can be refused by name: a
    police force sends service messages, never marketing."""

    TRANSACTIONAL = "transactional"
    SERVICE_IMPLICIT = "service-implicit"
    SERVICE_EXPLICIT = "service-explicit"
    PROMOTIONAL = "promotional"


class RegistryStatus(enum.StrEnum):
    """Whether a header or template may be used (as DLT has it)."""

    ACTIVE = "active"
    INACTIVE = "inactive"


class AllowedKind(enum.StrEnum):
    """What an allow-list entry allows."""

    URL = "url"
    PHONE = "phone"


#: DLT's entity and template IDs are long numbers (19 digits as issued today).
DLT_ID_PATTERN = r"^[0-9]{12,25}$"
#: A service or transactional header: six letters.
HEADER_PATTERN = r"^[A-Z]{6}$"
PHONE_PATTERN = r"^\+?[0-9][0-9 -]{5,19}$"
ID_LENGTH = 36
AREAS_MAX = 50


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


class EntityIn(Input):
    """The principal entity as registered on DLT."""

    pe_id: str = Field(pattern=DLT_ID_PATTERN, description="DLT principal entity ID")
    name: str = Field(min_length=2, max_length=200)


class HeaderIn(Input):
    """A sender header registered under an entity."""

    pe_id: str = Field(pattern=DLT_ID_PATTERN)
    header: str = Field(pattern=HEADER_PATTERN, description="Six letters, e.g. TGPOLC")
    status: RegistryStatus = RegistryStatus.ACTIVE

    _header_upper = field_validator("header", mode="before")(_upper)


class TemplateIn(Input):
    """A content template as registered on DLT, with the type of each ``{#var#}`` in order."""

    dlt_template_id: str = Field(pattern=DLT_ID_PATTERN)
    header: str = Field(pattern=HEADER_PATTERN)
    name: str = Field(min_length=2, max_length=200)
    category: Category
    text: str = Field(min_length=1, max_length=TEMPLATE_MAX)
    variables: list[VariableType] = Field(default_factory=list, max_length=VARIABLES_MAX)
    daily_cap: int = Field(default=20, ge=1, le=1_000_000, description="Alerts (OTPs) a day")
    locked: bool = Field(default=False, description="The one-time-password template")
    status: RegistryStatus = RegistryStatus.ACTIVE

    _header_upper = field_validator("header", mode="before")(_upper)


class AllowedIn(Input):
    """A URL (a prefix when it ends in "/") or a phone number messages may carry."""

    pe_id: str = Field(pattern=DLT_ID_PATTERN)
    kind: AllowedKind
    value: str = Field(min_length=3, max_length=200)


class RegistryFile(Input):
    """A mirror of the DLT registry (``kotwal alerts templates import``): the entity, its
    headers, templates and allow-list, each written if new, checked if already there."""

    entity: EntityIn
    headers: list[HeaderIn] = Field(default_factory=list, max_length=100)
    templates: list[TemplateIn] = Field(default_factory=list, max_length=2000)
    allowed: list[AllowedIn] = Field(default_factory=list, max_length=2000)


class ConsentIn(Input):
    """A citizen's consent to a service-explicit template, and how it was given."""

    template_id: str = Field(min_length=ID_LENGTH, max_length=ID_LENGTH)
    number: str = Field(pattern=PHONE_PATTERN)
    source: str = Field(min_length=3, max_length=100)


class MessageIn(Input):
    """A message to check against a template (nothing is written)."""

    template_id: str = Field(min_length=ID_LENGTH, max_length=ID_LENGTH)
    text: str = Field(min_length=1, max_length=TEMPLATE_MAX)


class CapCategory(enum.StrEnum):
    """CAP 1.2's event categories (``info/category``)."""

    GEO = "Geo"
    MET = "Met"
    SAFETY = "Safety"
    SECURITY = "Security"
    RESCUE = "Rescue"
    FIRE = "Fire"
    HEALTH = "Health"
    ENV = "Env"
    TRANSPORT = "Transport"
    INFRA = "Infra"
    CBRNE = "CBRNE"
    OTHER = "Other"


class CapUrgency(enum.StrEnum):
    """CAP 1.2's ``urgency``: how soon to act."""

    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"
    FUTURE = "Future"
    PAST = "Past"
    UNKNOWN = "Unknown"


class CapSeverity(enum.StrEnum):
    """CAP 1.2's ``severity``: how bad."""

    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"
    UNKNOWN = "Unknown"


class CapCertainty(enum.StrEnum):
    """CAP 1.2's ``certainty``: how sure."""

    OBSERVED = "Observed"
    LIKELY = "Likely"
    POSSIBLE = "Possible"
    UNLIKELY = "Unlikely"
    UNKNOWN = "Unknown"


#: The languages of a CAP document's info blocks: English and Telugu, as the force writes.
CAP_LANGUAGES = ("en-IN", "te-IN")


class CapInfoIn(Input):
    """One language's words of a CAP document (an ``info`` block)."""

    language: str = Field(pattern=r"^(en-IN|te-IN)$")
    event: str = Field(min_length=1, max_length=100)
    headline: str = Field(min_length=1, max_length=160)
    description: str = Field(min_length=1, max_length=2000)
    instruction: str | None = Field(default=None, min_length=1, max_length=1000)

    @field_validator("event", "headline", "description", "instruction")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        # XML 1.0 cannot carry most control characters; refuse them here, not at approval.
        if value is not None and any(ord(c) < 32 and c not in "\n\t" for c in value):
            raise ValueError("control characters are not allowed")
        return value


class CapIn(Input):
    """What the CAP document of an alert says besides the SMS: the kind of event, how urgent,
    severe and certain, its words in English and in Telugu, how long it stands, and GHMC wards
    it concerns (drawn as polygons). Approved with the alert, as part of it."""

    category: CapCategory
    urgency: CapUrgency
    severity: CapSeverity
    certainty: CapCertainty
    info: list[CapInfoIn] = Field(min_length=2, max_length=2)
    #: Hours from approval until the alert stops being current.
    hours: int = Field(default=24, ge=1, le=7 * 24)
    #: GHMC ward codes ("91-khairatabad") or numbers ("91").
    wards: list[str] = Field(default_factory=list, max_length=30)

    @field_validator("info")
    @classmethod
    def _both_languages(cls, value: list[CapInfoIn]) -> list[CapInfoIn]:
        if sorted(i.language for i in value) != sorted(CAP_LANGUAGES):
            raise ValueError("give one info block in English (en-IN) and one in Telugu (te-IN)")
        return value


class AlertDraftIn(MessageIn):
    """A draft alert: the template, the full text as it will be sent, and the areas (station,
    circle, district... ids) it is addressed to; optionally what its CAP document says (without
    it, the document carries the SMS text in its own language, event and severity unknown)."""

    areas: list[str] = Field(min_length=1, max_length=AREAS_MAX)
    cap: CapIn | None = None

    @field_validator("areas")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        if any(len(a) != ID_LENGTH for a in value):
            raise ValueError("each area is a jurisdiction id")
        if len(set(value)) != len(value):
            raise ValueError("an area is named twice")
        return value


class RejectIn(Input):
    """Why the approver sends a draft back."""

    reason: str = Field(min_length=5, max_length=500)


class TemplateRead(BaseModel):
    """A registered template with its header and entity."""

    id: str
    dlt_template_id: str
    pe_id: str
    header: str
    name: str
    category: str
    text: str
    variables: list[str]
    daily_cap: int
    locked: bool
    status: str


class TemplatePage(BaseModel):
    """The registry's templates."""

    items: list[TemplateRead]


class AllowedRead(BaseModel):
    """An allow-list entry."""

    id: str
    pe_id: str
    kind: str
    value: str


class CheckRead(BaseModel):
    """The scrub's verdict on a text and, when it matches, how it will be sent."""

    matches: bool
    reason: str | None = None
    reason_code: str | None = None
    variable: int | None = None
    values: list[str] = Field(default_factory=list)
    encoding: str
    characters: int
    units: int
    parts: int
    per_part: int
    room_left: int


class AreaRead(BaseModel):
    """A jurisdiction an alert is addressed to (public information)."""

    id: str
    code: str
    name: str
    kind: str


class AlertRead(BaseModel):
    """An alert, what it will cost, and where it stands in the two-officer rule."""

    id: str
    template_id: str
    dlt_template_id: str
    header: str
    text: str
    encoding: str
    characters: int
    parts: int
    #: awaiting, expired, queued or rejected.
    status: str
    drafted_by_name: str
    drafted_at: datetime
    approval_due: datetime
    decided_by_name: str | None
    decided_at: datetime | None
    decision_reason: str | None
    areas: list[AreaRead]
    queued_messages: int
    #: The alert's messages to subscribers by status (queued, submitting, submitted,
    #: delivered, undelivered, failed), once it has been fanned out.
    delivery: dict[str, int] = Field(default_factory=dict)
    #: Whether the subscribers have been found (a worker does it within seconds).
    fanned_out: bool = False
    #: The identifier of its signed CAP document, once approved (served at
    #: /public/alerts/cap/{identifier}.xml).
    cap_identifier: str | None = None
    #: What the drafter wrote for that document (None: it says the SMS alone); the approver
    #: approves these words with the SMS.
    cap: CapIn | None = None


class AlertPage(BaseModel):
    """Alerts, newest first."""

    items: list[AlertRead]


class ImportRead(BaseModel):
    """What an import of the registry wrote (and what was already there, unchanged)."""

    created: dict[str, int]
    unchanged: dict[str, int]
    deactivated: int


class RevokeIn(Input):
    """A number whose consent to a template ends."""

    template_id: str = Field(min_length=ID_LENGTH, max_length=ID_LENGTH)
    number: str = Field(pattern=PHONE_PATTERN)


class EntityRead(BaseModel):
    """A registered principal entity."""

    id: str
    pe_id: str
    name: str


class HeaderRead(BaseModel):
    """A registered sender header."""

    id: str
    pe_id: str
    header: str
    status: str


class RecordedRead(BaseModel):
    """The id of what was recorded (a consent), or how many consents a revocation ended."""

    id: str | None = None
    revoked: int | None = None


#: Areas and wards one subscriber may name, and subscribers one request or file may carry.
SUBSCRIBER_AREAS_MAX = 20
SUBSCRIBERS_MAX = 1_000_000


class SubscriberIn(Input):
    """A number that asked for public alerts: the CAP categories it wants, for which areas
    (jurisdiction codes: a station, a circle, a district) or GHMC wards, and how it asked."""

    number: str = Field(pattern=PHONE_PATTERN)
    categories: list[CapCategory] = Field(min_length=1, max_length=len(CapCategory))
    areas: list[str] = Field(default_factory=list, max_length=SUBSCRIBER_AREAS_MAX)
    wards: list[str] = Field(default_factory=list, max_length=SUBSCRIBER_AREAS_MAX)
    source: str = Field(min_length=3, max_length=100)

    @model_validator(mode="after")
    def _somewhere(self) -> SubscriberIn:
        if not self.areas and not self.wards:
            raise ValueError("name at least one area or ward")
        return self


class SubscribersIn(Input):
    """An opt-in list (an import): all or nothing."""

    subscribers: list[SubscriberIn] = Field(min_length=1, max_length=SUBSCRIBERS_MAX)


class SubscribedRead(BaseModel):
    """What a subscription or an import did."""

    added: int
    updated: int


class UnsubscribeIn(Input):
    """A number that asked to stop."""

    number: str = Field(pattern=PHONE_PATTERN)


class ChannelRead(BaseModel):
    """A channel and whether it is live now."""

    name: str
    kind: str
    owner: str
    live: bool
    reason: str | None
    expires_at: datetime
    last_used_at: datetime
    requested_by: str | None
    requested_at: datetime | None


class ChannelRequestIn(Input):
    """A request to enable or renew a channel: who answers for it, for how many days."""

    owner: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    days: int = Field(ge=1, le=3660)
