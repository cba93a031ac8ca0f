"""Input and output shapes of the photo API. Outputs are allow-lists in which each protected
field may come back masked; the picture itself is never JSON, only the gated download."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from kotwal.core.schemas import Input


class Masked(BaseModel):
    """A field the reader may not see: it exists, its value is withheld."""

    masked: bool = True


class PhotoRead(BaseModel):
    """A photograph's metadata; ``url`` is the gated download of the picture."""

    id: str
    owner_kind: str | Masked
    owner_id: str | Masked
    format: str | Masked
    width: int | Masked
    height: int | Masked
    byte_size: int | Masked
    sha256: str | Masked
    created_by_name: str | Masked
    created_at: datetime | Masked
    retired_at: datetime | Masked | None
    retired_reason: str | Masked | None
    url: str


class PhotoPage(BaseModel):
    items: list[PhotoRead]


class PhotoRetire(Input):
    """Why a photograph is withdrawn (wrong person, poor likeness, replaced by a newer one)."""

    reason: str = Field(min_length=5, max_length=300)
