"""The photo store: one table, ``photos``, mapped twice.

``Photo`` is the whole row and what listings disclose: format, size, digest, dates, but never
the picture (its column is deferred, so a listing does not even load the ciphertext).
``PhotoImage`` maps the same row with only what a download needs, and discloses the picture
itself. Two mappings give two audit trails: "saw that a photo exists" and "took the picture"
are different events, and a page of twenty thumbnails' metadata never decrypts twenty images.

A photo belongs to an owner (a person now; an officer when the force domain has them) and is
placed in the owner's jurisdiction at the moment it is read, never by a copy taken at upload:
a person moved to another station takes their photographs along.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kotwal.core.columns import RESTRICTED, RecordId, stamped
from kotwal.core.db import ID, Base
from kotwal.core.gate import Protected
from kotwal.core.policy import DataClass
from kotwal.core.sealed import Encrypted
from kotwal.officers.permissions import OfficersPermission
from kotwal.records.permissions import RecordsPermission

#: Attribute the service sets (not a column) to the owner's jurisdiction path before disclosure.
PLACED_AT = "placed_at"


def _placement(photo: Any) -> str | None:
    """Where the photo is filed: its owner's current jurisdiction; unknown means outside."""
    placed = getattr(photo, PLACED_AT, None)
    return placed if isinstance(placed, str) else None


class Photo(RecordId, Base):
    """A photograph of a person (or officer), cleaned of metadata and sealed."""

    __tablename__ = "photos"
    __table_args__ = (Index("ix_photos_owner", "owner_kind", "owner_id"),)

    owner_kind: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    owner_id: Mapped[str] = mapped_column(ID, info=RESTRICTED)
    #: The re-encoded picture (never the upload as sent). Personal data, so CONFIDENTIAL:
    #: biometric templates derived from it are the face recognition module's, and SECRET.
    image: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), deferred=True)
    #: SHA-256 of the stored (re-encoded) bytes, not of the upload: it checks what is served,
    #: and cannot confirm to someone holding the original file that it is in the store.
    sha256: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    format: Mapped[str] = mapped_column(String(8), info=RESTRICTED)
    width: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    height: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    byte_size: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    created_by: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    created_by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)
    #: Photos are retired, never deleted outside retention; a retired photo is not served.
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    retired_by: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    retired_reason: Mapped[str | None] = mapped_column(String(300), info=RESTRICTED)

    #: The row's kind says which class it loads as, and so which permission reads it.
    __mapper_args__ = {"polymorphic_on": "owner_kind"}
    #: Each kind of owner (the subclasses below) declares its own.
    __disclosure__: ClassVar[Protected]


#: What a listing shows of a photograph (never the picture).
# A table of data, aligned by hand: it reads better in rows than one item a line.
_LISTED = ("owner_kind", "owner_id", "format", "width", "height", "byte_size", "sha256",
           "created_by_name", "created_at", "retired_at", "retired_reason")  # fmt: skip


class PersonPhoto(Photo):
    """A photograph of a person of police interest: the records domain's permission."""

    __mapper_args__ = {"polymorphic_identity": "person"}
    __disclosure__ = Protected(
        resource_type="photo",
        read_permission=RecordsPermission.PERSON_PHOTO_READ,
        jurisdiction_path=_placement,
        fields=_LISTED,
    )


class OfficerPhoto(Photo):
    """A photograph of a police officer (identity card, personnel record)."""

    __mapper_args__ = {"polymorphic_identity": "officer"}
    __disclosure__ = Protected(
        resource_type="officer_photo",
        read_permission=OfficersPermission.OFFICER_PHOTO_READ,
        jurisdiction_path=_placement,
        fields=_LISTED,
    )


class PhotoImage(Base):
    """The same row as :class:`Photo`, narrowed to the picture: what a download discloses."""

    __table__ = Photo.__table__
    __mapper_args__ = {
        "include_properties": [
            "id",
            "owner_kind",
            "owner_id",
            "image",
            "sha256",
            "format",
            "retired_at",
        ],
        "polymorphic_on": "owner_kind",
    }

    id: Mapped[str]
    owner_kind: Mapped[str]
    owner_id: Mapped[str]
    image: Mapped[Any]
    sha256: Mapped[str]
    format: Mapped[str]
    retired_at: Mapped[datetime | None]
    __disclosure__: ClassVar[Protected]


#: What a download discloses: the picture, and what it takes to serve and check it.
_DOWNLOADED = ("format", "sha256", "image")


class PersonPhotoImage(PhotoImage):
    """The picture of a person's photograph."""

    __mapper_args__ = {"polymorphic_identity": "person"}
    __disclosure__ = Protected(
        resource_type="photo_image",
        read_permission=RecordsPermission.PERSON_PHOTO_READ,
        jurisdiction_path=_placement,
        fields=_DOWNLOADED,
    )


class OfficerPhotoImage(PhotoImage):
    """The picture of an officer's photograph."""

    __mapper_args__ = {"polymorphic_identity": "officer"}
    __disclosure__ = Protected(
        resource_type="officer_photo_image",
        read_permission=OfficersPermission.OFFICER_PHOTO_READ,
        jurisdiction_path=_placement,
        fields=_DOWNLOADED,
    )
