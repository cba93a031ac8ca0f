"""Input and output shapes of the breach defences' API. Inputs forbid unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from kotwal.core.schemas import Input


class StepUp(Input):
    """A fresh code from the authenticator the account enrolled."""

    totp: str = Field(min_length=6, max_length=8)


class ReviewReason(Input):
    """Why a security officer lifts a suspension or closes an alert (kept in the audit log)."""

    reason: str = Field(min_length=5, max_length=300)


class SignalRead(BaseModel):
    name: str
    points: int
    count: int


class AlertSummary(BaseModel):
    """One line of the security officers' queue."""

    id: str
    account_id: str | None
    username: str | None
    kind: str
    action: str
    status: str
    score: int
    signals: list[SignalRead]
    record_count: int
    account_suspended: bool
    created_at: datetime
    closed_at: datetime | None


class AlertRecordRead(BaseModel):
    record_id: str
    resource_type: str | None
    #: True when the cut-off refused this record (it did not leave).
    withheld: bool


class TimelineEntry(BaseModel):
    at: datetime
    what: str
    count: int
    out_of_jurisdiction: int = 0


class SuspensionRead(BaseModel):
    started_at: datetime
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: str | None


class AlertDetailRead(AlertSummary):
    """An alert with the records it names, the account's timeline and its suspensions."""

    detail: dict[str, Any]
    close_reason: str | None
    records: list[AlertRecordRead]
    timeline: list[TimelineEntry]
    suspensions: list[SuspensionRead]


class AlertPage(BaseModel):
    items: list[AlertSummary]


class PurposeVerdict(Input):
    """A supervisor's verdict on a read made under a purpose, and why (kept in the audit log)."""

    verdict: Literal["justified", "unjustified"]
    note: str = Field(min_length=5, max_length=300)


class PurposeReadOut(BaseModel):
    """A read beyond the reader's jurisdiction under a purpose, as its reviewer sees it."""

    id: str
    account_id: str
    username: str
    purpose: str
    case_number: str | None
    reason: str | None
    resource_type: str
    kind: str
    records: int
    record_ids: list[str]
    at: datetime
    verdict: str | None
    reviewed_at: datetime | None
    note: str | None


class PurposeReadPage(BaseModel):
    items: list[PurposeReadOut]
    reads: int = Field(description="reads under a purpose in the reviewer's scope")
    sampled: int = Field(description="of which sampled for review")
    judged: int
    unjustified: int
