"""Input and output shapes of the face recognition API. Inputs forbid unknown fields; a search
always carries a declared purpose and the case (FIR) it serves."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from kotwal.core.schemas import Input
from kotwal.frs.models import Gallery
from kotwal.records.schemas import FIR_PATTERN

MAX_K = 20


class SearchPurpose(Input):
    """Why a search is made: a reason and the FIR number of the case (``STATION/YEAR/NUMBER``)."""

    purpose: str = Field(min_length=5, max_length=200)
    case_number: str = Field(min_length=9, max_length=64, pattern=FIR_PATTERN)

    @field_validator("case_number", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @property
    def declared(self) -> str:
        """The purpose as the gate and the audit log record it: case number first."""
        return f"{self.case_number}: {self.purpose}"


class IdentifyForm(SearchPurpose):
    galleries: list[Gallery] = Field(min_length=1, max_length=len(Gallery))
    k: int = Field(default=5, ge=1, le=MAX_K)


class VerifyForm(SearchPurpose):
    person_id: str | None = Field(default=None, min_length=8, max_length=36)


class ConfirmForm(SearchPurpose):
    """An operator's confirmation that a candidate is the person in the probe."""

    face_id: str = Field(min_length=8, max_length=36)
    note: str = Field(min_length=5, max_length=300)


class EnrolForm(Input):
    person_id: str = Field(min_length=8, max_length=36)


class EnrolStoredPhoto(Input):
    person_id: str = Field(min_length=8, max_length=36)
    photo_id: str = Field(min_length=8, max_length=36)


class RemoveRequest(Input):
    reason: str = Field(min_length=5, max_length=300)


class BoxOut(BaseModel):
    left: int
    top: int
    right: int
    bottom: int


class QualityOut(BaseModel):
    score: float
    size: float
    confidence: float
    sharpness: float


class FaceOut(BaseModel):
    box: BoxOut
    detector: str
    quality: QualityOut


class DetectResult(BaseModel):
    probe_sha256: str
    faces: list[FaceOut]


class Candidate(BaseModel):
    #: The person's best face in the shortlist: what a confirmation names.
    face_id: str
    gallery: str
    #: Against the person's mean template (every active face of theirs in the galleries).
    similarity: float
    faces: int
    #: The person as the gate releases them to this reader (fields may be masked).
    person: dict[str, Any]


class IdentifyResult(BaseModel):
    probe_sha256: str
    probe_face: FaceOut
    model: str
    #: The open-set threshold: for the target FPIR at the number of faces searched.
    threshold: float
    target_fpir: float
    gallery_size: int
    decision: Literal["match", "no_match"]
    #: Only candidates at or above the threshold; below it there is no candidate, not a guess.
    candidates: list[Candidate]


class VerifyResult(BaseModel):
    model: str
    threshold: float
    similarity: float
    decision: Literal["match", "no_match"]


class GalleryFaceOut(BaseModel):
    id: str
    gallery: str
    person_id: str
    model: str
    quality: float
    detector: str
    enrolled_at: datetime
    removed_at: datetime | None = None
    removal_reason: str | None = None


class RemovalResult(BaseModel):
    removed: list[str]


class ThresholdInForce(BaseModel):
    """A gallery's 1:N threshold at its current size, and what its calibration predicts."""

    size: int
    size_bound: int
    threshold: float
    source: str
    floored: bool
    predicted_fpir: float
    predicted_fnir: float | None


class StatusOut(BaseModel):
    model: str
    dlib_version: str
    blas: bool
    #: The 1:1 threshold (verification, and the floor of every 1:N threshold).
    threshold: float
    threshold_source: str
    target_fpir: float
    galleries: dict[str, int]
    search_thresholds: dict[str, ThresholdInForce]
    index: str
