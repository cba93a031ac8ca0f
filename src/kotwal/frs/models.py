"""Tables of the face recognition system. Every column declares its data class.

Embeddings are SECRET (biometric templates) and sealed like any other protected field; the
database is their source of truth and the search index is derived from it (see ``index.py``).
A face that leaves its gallery keeps its row (who enrolled it, who removed it, when and why)
but loses its template, which is the biometric itself.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kotwal.core.columns import PUBLIC, RESTRICTED, RecordId, jurisdiction_path_column, stamped
from kotwal.core.db import ID, Base
from kotwal.core.gate import Protected
from kotwal.core.policy import DataClass
from kotwal.core.sealed import Encrypted
from kotwal.frs.permissions import FrsPermission


class Gallery(enum.StrEnum):
    """Galleries by legal basis: each is searched alone or with others as the purpose allows."""

    OFFENDERS = "offenders"
    MISSING = "missing_persons"
    UNIDENTIFIED = "unidentified_bodies"


#: Which person categories (records domain) may be enrolled in which gallery: a missing
#: person's photograph never enters the offenders' gallery, and so on.
GALLERY_CATEGORIES: dict[Gallery, frozenset[str]] = {
    Gallery.OFFENDERS: frozenset({"offender", "suspect"}),
    Gallery.MISSING: frozenset({"missing_person"}),
    Gallery.UNIDENTIFIED: frozenset({"unidentified_body"}),
}


class GalleryFace(RecordId, Base):
    """One enrolled face: a person's template in one gallery, or the trace of a removed one."""

    __tablename__ = "frs_faces"
    __table_args__ = (
        Index("ix_frs_faces_person", "person_id"),
        Index("ix_frs_faces_changed", "changed_at"),
    )

    gallery: Mapped[str] = mapped_column(String(32), info=RESTRICTED)
    person_id: Mapped[str] = mapped_column(ID, ForeignKey("persons.id"), info=RESTRICTED)
    #: The person's station path when enrolled, so the gate can judge jurisdiction.
    jurisdiction_path: Mapped[str] = jurisdiction_path_column(index=False)
    #: The unit embedding as float32 bytes; None once the face has left the gallery.
    embedding: Mapped[Any] = mapped_column(Encrypted(DataClass.SECRET), nullable=True)
    model: Mapped[str] = mapped_column(String(80), info=RESTRICTED)
    quality: Mapped[float] = mapped_column(Float, info=RESTRICTED)
    detector: Mapped[str] = mapped_column(String(8), info=RESTRICTED)
    #: SHA-256 of the photograph the template came from (the photograph is not kept here).
    photo_sha256: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    enrolled_by: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    enrolled_by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    enrolled_at: Mapped[datetime] = stamped(RESTRICTED)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    removed_by_name: Mapped[str | None] = mapped_column(String(64), info=RESTRICTED)
    removal_reason: Mapped[str | None] = mapped_column(String(300), info=RESTRICTED)
    #: Bumped on enrolment and removal: the search index catches up from this column.
    changed_at: Mapped[datetime] = stamped(RESTRICTED)

    __disclosure__ = Protected(
        resource_type="frs_face",
        read_permission=FrsPermission.FACE_SEARCH,
        jurisdiction_path=lambda f: f.jurisdiction_path,
        fields=(
            "gallery",
            "person_id",
            "model",
            "quality",
            "detector",
            "enrolled_by_name",
            "enrolled_at",
            "removed_at",
            "removal_reason",
        ),
    )


class Calibration(RecordId, Base):
    """What ``kotwal frs calibrate`` measured for one model: the 1:1 threshold for a target
    false-match rate, and (from enough impostor pairs) the impostor tail and genuine scores from
    which the 1:N threshold for a target FPIR at a gallery's size is chosen. The newest one is
    used; one stored for a gallery is used for that gallery before one for every gallery."""

    __tablename__ = "frs_calibrations"
    __table_args__ = (Index("ix_frs_calibrations_model", "model", "created_at"),)

    model: Mapped[str] = mapped_column(String(80), info=PUBLIC)
    threshold: Mapped[float] = mapped_column(Float, info=PUBLIC)
    target_fmr: Mapped[float] = mapped_column(Float, info=PUBLIC)
    fmr: Mapped[float] = mapped_column(Float, info=PUBLIC)
    fnmr: Mapped[float] = mapped_column(Float, info=PUBLIC)
    identities: Mapped[int] = mapped_column(Integer, info=PUBLIC)
    genuine_pairs: Mapped[int] = mapped_column(Integer, info=PUBLIC)
    impostor_pairs: Mapped[int] = mapped_column(Integer, info=PUBLIC)
    #: The gallery this calibration is for; None for every gallery.
    gallery: Mapped[str | None] = mapped_column(String(32), info=PUBLIC)
    #: JSON: the fitted impostor tail and genuine quantiles (kotwal.frs.openset.dumps); None
    #: when the labelled set had too few impostor pairs for a tail.
    tail: Mapped[str | None] = mapped_column(Text, info=PUBLIC)
    created_by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(PUBLIC)
