"""JSON routes of photographs: upload (multipart), list, gated download, retire."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, UploadFile
from fastapi.responses import Response

from kotwal.core.images import ImageTooLarge
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.officers.permissions import OfficersPermission
from kotwal.photos import service
from kotwal.photos.schemas import PhotoPage, PhotoRead, PhotoRetire
from kotwal.records.permissions import RecordsPermission
from kotwal.web.deps import ReadUnit, WriteUnit, require
from kotwal.web.params import Purpose

router = APIRouter(tags=["photos"])
Reader = Annotated[Actor, Depends(require(RecordsPermission.PERSON_PHOTO_READ))]
Writer = Annotated[Actor, Depends(require(RecordsPermission.PERSON_PHOTO_WRITE))]
OfficerReader = Annotated[Actor, Depends(require(OfficersPermission.OFFICER_PHOTO_READ))]
OfficerWriter = Annotated[Actor, Depends(require(OfficersPermission.OFFICER_PHOTO_WRITE))]
Limit = Annotated[int, Query(ge=1, le=service.PAGE_MAX)]
#: Multipart framing around the file (boundaries, part headers) on top of the image cap.
UPLOAD_OVERHEAD = 64 * 1024
#: The body limit of the upload route (``RequestLimits`` applies it before parsing).
UPLOAD_BODY_MAX = service.MAX_UPLOAD_BYTES + UPLOAD_OVERHEAD
UPLOAD_PATHS = ("/api/v1/persons/{id}/photos", "/api/v1/officers/{id}/photos")


def read_upload(file: UploadFile) -> bytes:
    """The uploaded file's bytes, refusing (without reading on) one past the cap."""
    data = file.file.read(service.MAX_UPLOAD_BYTES + 1)
    if len(data) > service.MAX_UPLOAD_BYTES:
        raise ImageTooLarge(f"the limit is {service.MAX_UPLOAD_BYTES:,} bytes")
    return data


@router.post("/persons/{person_id}/photos", status_code=201)
def add_person_photo(
    person_id: str, file: UploadFile, actor: Writer, uow: UnitOfWork = WriteUnit
) -> PhotoRead:
    """Add a photograph (JPEG, PNG or WebP, judged by content) of a person filed in your
    jurisdiction. It is stored re-encoded, without EXIF/GPS or any other metadata."""
    photo = service.add_photo(uow, actor, service.OWNER_PERSON, person_id, read_upload(file))
    return PhotoRead.model_validate(photo)


@router.get("/persons/{person_id}/photos")
def person_photos(
    person_id: str,
    actor: Reader,
    purpose: Purpose = None,
    include_retired: bool = False,
    limit: Limit = service.PAGE_MAX,
    uow: UnitOfWork = ReadUnit,
) -> PhotoPage:
    """A person's photographs (metadata), newest first; each picture is its own download."""
    found = service.list_photos(
        uow,
        actor,
        service.OWNER_PERSON,
        person_id,
        purpose,
        include_retired=include_retired,
        limit=limit,
    )
    return PhotoPage(items=[PhotoRead.model_validate(p) for p in found])


#: Cache-Control: no-store and X-Content-Type-Options: nosniff come from the security
#: middleware on every answer (set again here they would be sent twice, and a doubled nosniff
#: is not honoured by every browser).
IMAGE_HEADERS = {"content-disposition": "inline"}


@router.get(
    "/photos/{photo_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
)
def download_photo(
    photo_id: str, actor: Reader, purpose: Purpose = None, uow: UnitOfWork = ReadUnit
) -> Response:
    """The picture itself: an audited disclosure, never cached, never sniffed."""
    data, media_type = service.read_image(uow, actor, service.OWNER_PERSON, photo_id, purpose)
    return Response(content=data, media_type=media_type, headers=IMAGE_HEADERS)


@router.post("/photos/{photo_id}/retire")
def retire_photo(
    photo_id: str, body: PhotoRetire, actor: Writer, uow: UnitOfWork = WriteUnit
) -> PhotoRead:
    """Withdraw a photograph from use; it is kept (with who retired it and why), not served."""
    retired = service.retire_photo(uow, actor, service.OWNER_PERSON, photo_id, body.reason)
    return PhotoRead.model_validate(retired)


# Officers' photographs: the same store and checks under the force domain's permissions (the
# officer's own unit adds them; station command and above).


@router.post("/officers/{officer_id}/photos", status_code=201)
def add_officer_photo(
    officer_id: str, file: UploadFile, actor: OfficerWriter, uow: UnitOfWork = WriteUnit
) -> PhotoRead:
    """Add a photograph of an officer posted in your jurisdiction (JPEG, PNG or WebP)."""
    photo = service.add_photo(uow, actor, service.OWNER_OFFICER, officer_id, read_upload(file))
    return PhotoRead.model_validate(photo)


@router.get("/officers/{officer_id}/photos")
def officer_photos(
    officer_id: str,
    actor: OfficerReader,
    purpose: Purpose = None,
    include_retired: bool = False,
    limit: Limit = service.PAGE_MAX,
    uow: UnitOfWork = ReadUnit,
) -> PhotoPage:
    """An officer's photographs (metadata), newest first."""
    found = service.list_photos(
        uow,
        actor,
        service.OWNER_OFFICER,
        officer_id,
        purpose,
        include_retired=include_retired,
        limit=limit,
    )
    return PhotoPage(items=[PhotoRead.model_validate(p) for p in found])


@router.get(
    "/officer-photos/{photo_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
)
def download_officer_photo(
    photo_id: str, actor: OfficerReader, purpose: Purpose = None, uow: UnitOfWork = ReadUnit
) -> Response:
    """An officer's picture: an audited disclosure, never cached, never sniffed."""
    data, media_type = service.read_image(uow, actor, service.OWNER_OFFICER, photo_id, purpose)
    return Response(content=data, media_type=media_type, headers=IMAGE_HEADERS)


@router.post("/officer-photos/{photo_id}/retire")
def retire_officer_photo(
    photo_id: str, body: PhotoRetire, actor: OfficerWriter, uow: UnitOfWork = WriteUnit
) -> PhotoRead:
    """Withdraw an officer's photograph from use; it is kept, not served."""
    retired = service.retire_photo(uow, actor, service.OWNER_OFFICER, photo_id, body.reason)
    return PhotoRead.model_validate(retired)


def upload_limits() -> dict[str, int]:
    """Photo upload routes and their body cap (the image cap plus multipart framing)."""
    return dict.fromkeys(UPLOAD_PATHS, UPLOAD_BODY_MAX)
