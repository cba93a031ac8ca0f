"""Output shapes of the decoy register API (it has no input but its query parameters)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class DecoyRead(BaseModel):
    """One decoy: which copy carries it, what kind of record it is and which one."""

    id: str
    copy_id: str
    copy_kind: str
    resource_type: str
    record_id: str
    planted_at: datetime
    planted_by_name: str


class DecoyPage(BaseModel):
    items: list[DecoyRead]
    next_offset: int | None


class CopyRead(BaseModel):
    """A copy of the data that left (or is) the primary, with how many decoys it carries."""

    id: str
    kind: str
    created_at: datetime
    created_by_name: str
    destination: str | None
    decoys: int
