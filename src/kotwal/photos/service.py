"""Photo operations, one transaction each (the caller's unit of work).

Adding a photograph: the owner's station (or an officer above it) may add one; the upload is
checked and re-encoded by :mod:`kotwal.core.images` before anything is stored, so what is
sealed is pixels without metadata, never the file as sent. Listing and downloading go through
the gate like any read of a record, placed in the owner's jurisdiction as it is at that moment.
Nothing is deleted: a photograph is retired, with who, when and why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select

from kotwal.core import images
from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.clock import utcnow
from kotwal.core.errors import (
    Conflict,
    Forbidden,
    IntegrityFailure,
    NotFound,
    Problem,
    PurposeRequired,
)
from kotwal.core.gate import MASKED, clean_purpose, disclose
from kotwal.core.policy import Actor, DataClass
from kotwal.core.runtime import Runtime
from kotwal.core.scope import require
from kotwal.core.uow import UnitOfWork
from kotwal.officers import service as force_service
from kotwal.officers.permissions import OfficersPermission
from kotwal.photos.models import (
    PLACED_AT,
    OfficerPhoto,
    OfficerPhotoImage,
    PersonPhoto,
    PersonPhotoImage,
    Photo,
    PhotoImage,
)
from kotwal.records import service as records_service
from kotwal.records.hooks import PERSON_PHOTOS
from kotwal.records.permissions import RecordsPermission

OWNER_PERSON = "person"
OWNER_OFFICER = "officer"
#: The largest upload accepted, before any parsing (a phone camera's photo is 2-6 MB).
MAX_UPLOAD_BYTES = images.MAX_BYTES
#: A photograph of a face needs far fewer pixels than this; more is a bomb or a scan.
MAX_PIXELS = images.MAX_PIXELS
#: Photographs in use per owner: enough for every angle and age, not a bulk image store.
MAX_ACTIVE_PER_OWNER = 20
#: Most photographs listed at once (newest first).
PAGE_MAX = 50
AnyPhoto = TypeVar("AnyPhoto", Photo, PhotoImage)


@dataclass(frozen=True)
class Owner:
    """A kind of record that has photographs: where one is filed and who may do what."""

    kind: str
    #: Where an owner of this kind is filed (its jurisdiction path), None if there is none.
    path: Callable[[UnitOfWork, str], str | None]
    read: str
    write: str
    photo: type[Photo]
    image: type[PhotoImage]
    #: The gated download, ``<prefix><photo id>``.
    url_prefix: str


OWNERS: dict[str, Owner] = {
    OWNER_PERSON: Owner(
        OWNER_PERSON,
        records_service.person_path,
        RecordsPermission.PERSON_PHOTO_READ,
        RecordsPermission.PERSON_PHOTO_WRITE,
        PersonPhoto,
        PersonPhotoImage,
        "/api/v1/photos/",
    ),
    OWNER_OFFICER: Owner(
        OWNER_OFFICER,
        force_service.officer_path,
        OfficersPermission.OFFICER_PHOTO_READ,
        OfficersPermission.OFFICER_PHOTO_WRITE,
        OfficerPhoto,
        OfficerPhotoImage,
        "/api/v1/officer-photos/",
    ),
}


def photo_url(owner_kind: str, photo_id: str) -> str:
    """The gated download of a photograph (the JSON API; the console has its own twin)."""
    return OWNERS[owner_kind].url_prefix + photo_id


def _owner_path(uow: UnitOfWork, owner: Owner, owner_id: str) -> str:
    path = owner.path(uow, owner_id)
    if path is None:
        raise NotFound(f"no such {owner.kind}")
    return path


def _place(records: Sequence[Photo | PhotoImage], path: str) -> None:
    for record in records:
        setattr(record, PLACED_AT, path)


def _event(
    actor: Actor,
    owner: Owner,
    action: str,
    outcome: str,
    resource_id: str | None,
    **detail: str | None,
) -> AuditEvent:
    resource_type = owner.photo.__disclosure__.resource_type
    return actor_event(
        actor,
        action,
        outcome,
        resource_type=resource_type,
        resource_id=resource_id,
        detail={**detail},
    )


def _shaped(owner: Owner, shown: dict[str, Any]) -> dict[str, Any]:
    return {**shown, "url": photo_url(owner.kind, shown["id"])}


def add_photo(
    uow: UnitOfWork, actor: Actor, owner_kind: str, owner_id: str, data: bytes
) -> dict[str, Any]:
    """Check, clean and seal a photograph of an owner in the actor's jurisdiction.

    A refused file changes nothing; the refusal itself is logged (as a failure, with the
    problem's type), so repeated attempts to slip a bomb or a disguised file in are visible.
    """
    owner = OWNERS[owner_kind]
    require(actor, owner.write)
    path = _owner_path(uow, owner, owner_id)
    if not actor.covers(path):
        refused = _event(
            actor,
            owner,
            "photo.create",
            Outcome.DENIED,
            None,
            owner_id=owner_id,
            reason="outside-jurisdiction",
        )
        uow.record_now([refused])
        raise Forbidden(f"only the {owner_kind}'s own station (or above) adds photographs")
    active = uow.session.execute(
        select(func.count())
        .select_from(owner.photo)
        .where(owner.photo.owner_id == owner_id, owner.photo.retired_at.is_(None))
    ).scalar_one()
    if active >= MAX_ACTIVE_PER_OWNER:
        raise Conflict(f"{active} photographs are in use; retire one before adding another")
    try:
        decoded = images.decode(data, max_bytes=MAX_UPLOAD_BYTES, max_pixels=MAX_PIXELS)
    except Problem as exc:
        failed = _event(
            actor, owner, "photo.create", Outcome.FAILURE, None, owner_id=owner_id, reason=exc.slug
        )
        uow.record_now([failed])
        raise
    clean = images.clean_bytes(decoded)
    photo = owner.photo(
        owner_id=owner_id,
        image=clean,
        sha256=hashlib.sha256(clean).hexdigest(),
        format=images.clean_format(decoded),
        width=decoded.width,
        height=decoded.height,
        byte_size=len(clean),
        created_by=actor.account_id,
        created_by_name=actor.username,
    )
    uow.session.add(photo)
    uow.session.flush()
    uow.audit(
        _event(
            actor,
            owner,
            "record.create",
            Outcome.SUCCESS,
            photo.id,
            owner_kind=owner_kind,
            owner_id=owner_id,
        )
    )
    _place([photo], path)
    return _shaped(owner, disclose(uow, actor, None, [photo])[0])


def list_photos(
    uow: UnitOfWork,
    actor: Actor,
    owner_kind: str,
    owner_id: str,
    purpose: str | None,
    *,
    include_retired: bool = False,
    limit: int = PAGE_MAX,
) -> list[dict[str, Any]]:
    """An owner's photographs, newest first, through the gate (metadata only: the pictures
    are each their own disclosure, by :func:`read_image`)."""
    owner = OWNERS[owner_kind]
    require(actor, owner.read)
    path = _owner_path(uow, owner, owner_id)
    query = select(owner.photo).where(owner.photo.owner_id == owner_id)
    if not include_retired:
        query = query.where(owner.photo.retired_at.is_(None))
    rows = list(
        uow.session.execute(
            query.order_by(owner.photo.created_at.desc(), owner.photo.id).limit(
                min(limit, PAGE_MAX)
            )
        ).scalars()
    )
    _place(rows, path)
    return [_shaped(owner, shown) for shown in disclose(uow, actor, purpose, rows)]


def _deny_read(uow: UnitOfWork, actor: Actor, owner: Owner, photo_id: str, reason: str) -> None:
    uow.record_now(
        [
            actor_event(
                actor,
                "record.disclose",
                Outcome.DENIED,
                resource_type=owner.image.__disclosure__.resource_type,
                resource_id=photo_id,
                detail={"reason": reason},
            )
        ]
    )


def read_image(
    uow: UnitOfWork, actor: Actor, owner_kind: str, photo_id: str, purpose: str | None
) -> tuple[bytes, str]:
    """The picture and its media type, disclosed through the gate (one audit event).

    Outside the owner's jurisdiction a purpose must be declared; a role not cleared for
    personal data is refused rather than sent a masked answer. A missing, retired or guessed
    id, or the id of another kind's photograph, all answer the same "not found".
    """
    owner = OWNERS[owner_kind]
    require(actor, owner.read)
    photo = _found(uow, owner.image, photo_id)
    path = _owner_path(uow, owner, photo.owner_id)
    _place([photo], path)
    purpose = clean_purpose(purpose)
    if not actor.covers(path) and purpose is None:
        _deny_read(uow, actor, owner, photo.id, "purpose-required")
        raise PurposeRequired()
    if actor.clearance < DataClass.CONFIDENTIAL:
        _deny_read(uow, actor, owner, photo.id, "clearance")
        raise Forbidden("your role is not cleared to see photographs")
    shown = disclose(uow, actor, purpose, [photo], kind="photo")[0]
    image = shown["image"]
    if image is MASKED or not isinstance(image, bytes):
        raise Forbidden("your role is not cleared to see photographs")
    if hashlib.sha256(image).hexdigest() != photo.sha256:
        # The picture opened (so it is the one sealed for this row), but the digest beside it
        # was changed: someone edited the table. Recorded; the picture is not sent.
        uow.record_now(
            [
                _event(
                    actor,
                    owner,
                    "record.integrity_failure",
                    Outcome.FAILURE,
                    photo.id,
                    field="sha256",
                )
            ]
        )
        raise IntegrityFailure()
    return image, images.MEDIA_TYPES[photo.format]


def _found(uow: UnitOfWork, cls: type[AnyPhoto], photo_id: str) -> AnyPhoto:
    """The photograph in use with this id and of this kind, or the one same "not found"."""
    photo = uow.session.get(cls, photo_id) if len(photo_id) == 36 else None
    if not isinstance(photo, cls) or photo.retired_at is not None:
        raise NotFound("no such photograph")
    return photo


def retire_photo(
    uow: UnitOfWork, actor: Actor, owner_kind: str, photo_id: str, reason: str
) -> dict[str, Any]:
    """Withdraw a photograph from use (kept, not served); the owner's station decides."""
    owner = OWNERS[owner_kind]
    require(actor, owner.write)
    photo = _found(uow, owner.photo, photo_id)
    path = _owner_path(uow, owner, photo.owner_id)
    if not actor.covers(path):
        uow.record_now(
            [
                _event(
                    actor,
                    owner,
                    "record.retire",
                    Outcome.DENIED,
                    photo.id,
                    reason="outside-jurisdiction",
                )
            ]
        )
        raise Forbidden(f"only the {owner.kind}'s own station (or above) retires photographs")
    photo.retired_at = utcnow()
    photo.retired_by = actor.account_id
    photo.retired_reason = reason
    uow.session.flush()
    uow.audit(
        _event(
            actor,
            owner,
            "record.retire",
            Outcome.SUCCESS,
            photo.id,
            owner_kind=photo.owner_kind,
            owner_id=photo.owner_id,
        )
    )
    _place([photo], path)
    return _shaped(owner, disclose(uow, actor, None, [photo])[0])


def person_photos(
    uow: UnitOfWork, actor: Actor, person_id: str, purpose: str | None
) -> list[dict[str, Any]]:
    """A person's photographs for their page: none for a reader not cleared to see them."""
    if not actor.can(RecordsPermission.PERSON_PHOTO_READ):
        return []
    return list_photos(uow, actor, OWNER_PERSON, person_id, purpose)


def install(runtime: Runtime) -> None:
    """Show a person's photographs on their records page."""
    runtime.hooks.register(PERSON_PHOTOS, "photos", person_photos)
