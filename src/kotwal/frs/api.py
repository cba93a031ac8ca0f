"""JSON routes of face recognition: detect, identify, verify, enrol, remove, status.

Photographs arrive as multipart uploads and are read into memory only (a probe is never
written to disk or database). Form fields are validated by the same ``Input`` schemas as JSON
bodies, so an unknown or malformed field is a 422 problem+json like anywhere else.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from kotwal.core.images import ImageTooLarge
from kotwal.core.policy import Actor
from kotwal.core.schemas import Input
from kotwal.core.uow import UnitOfWork
from kotwal.frs import service
from kotwal.frs.models import Gallery
from kotwal.frs.permissions import FrsPermission
from kotwal.frs.schemas import (
    DetectResult,
    EnrolForm,
    EnrolStoredPhoto,
    GalleryFaceOut,
    IdentifyForm,
    IdentifyResult,
    RemovalResult,
    RemoveRequest,
    StatusOut,
    VerifyForm,
    VerifyResult,
)
from kotwal.web.deps import ReadUnit, WriteUnit, require

router = APIRouter(prefix="/frs", tags=["face recognition"])
Searcher = Annotated[Actor, Depends(require(FrsPermission.FACE_SEARCH))]
Manager = Annotated[Actor, Depends(require(FrsPermission.GALLERY_MANAGE))]

#: Multipart framing on top of the photographs (two for a 1:1 verification).
UPLOAD_OVERHEAD = 64 * 1024
UPLOAD_BODY_MAX = 2 * service.MAX_PHOTO_BYTES + UPLOAD_OVERHEAD
UPLOAD_PATHS = (
    "/api/v1/frs/detect",
    "/api/v1/frs/identify",
    "/api/v1/frs/verify",
    "/api/v1/frs/galleries/{gallery}/faces",
)

Model = TypeVar("Model", bound=Input)


def _form(model: type[Model], **fields: Any) -> Model:
    """Validate form fields with an input schema; errors answer like a JSON body's."""
    try:
        return model.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_input=False)) from exc


def _read(photo: UploadFile) -> bytes:
    data = photo.file.read(service.MAX_PHOTO_BYTES + 1)
    if len(data) > service.MAX_PHOTO_BYTES:
        raise ImageTooLarge(f"the limit is {service.MAX_PHOTO_BYTES:,} bytes")
    return data


Photo = Annotated[UploadFile, File(description="JPEG, PNG or WebP, judged by content")]
PurposeField = Annotated[str, Form(description="Why this search is made")]
CaseField = Annotated[str, Form(description="FIR number of the case: STATION/YEAR/NUMBER")]


@router.post("/detect")
def detect(photo: Photo, actor: Searcher, uow: UnitOfWork = ReadUnit) -> DetectResult:
    """Faces in a photograph, with boxes and a quality score each."""
    return DetectResult.model_validate(service.detect(uow, actor, _read(photo)))


@router.post("/identify")
def identify(
    photo: Photo,
    actor: Searcher,
    purpose: PurposeField,
    case_number: CaseField,
    galleries: Annotated[list[str], Form(description="offenders, missing_persons, ...")],
    k: Annotated[int, Form()] = 5,
    uow: UnitOfWork = ReadUnit,
) -> IdentifyResult:
    """1:N search of one face against the chosen galleries: candidates at or above the
    calibrated threshold, best first, each person as the gate releases them; none is "no
    match"."""
    form = _form(IdentifyForm, purpose=purpose, case_number=case_number, galleries=galleries, k=k)
    return IdentifyResult.model_validate(service.identify(uow, actor, _read(photo), form))


@router.post("/verify")
def verify(
    actor: Searcher,
    purpose: PurposeField,
    case_number: CaseField,
    photo: Photo,
    other: Annotated[UploadFile | None, File(description="second photograph")] = None,
    person_id: Annotated[str | None, Form(description="or: a person's enrolled faces")] = None,
    uow: UnitOfWork = ReadUnit,
) -> VerifyResult:
    """1:1: are two photographs (or a photograph and a person's enrolled faces) one person?"""
    form = _form(VerifyForm, purpose=purpose, case_number=case_number, person_id=person_id)
    photos = [_read(photo)] + ([_read(other)] if other is not None else [])
    return VerifyResult.model_validate(service.verify(uow, actor, photos, form, form.person_id))


@router.post("/galleries/{gallery}/faces", status_code=201)
def enrol(
    gallery: Gallery,
    photo: Photo,
    person_id: Annotated[str, Form()],
    actor: Manager,
    uow: UnitOfWork = WriteUnit,
) -> GalleryFaceOut:
    """Enrol the one face of a photograph as a person's template in a gallery."""
    form = _form(EnrolForm, person_id=person_id)
    row = service.enrol(uow, actor, gallery, form.person_id, _read(photo))
    return GalleryFaceOut.model_validate(row, from_attributes=True)


@router.post("/galleries/{gallery}/photos", status_code=201)
def enrol_photo(
    gallery: Gallery, body: EnrolStoredPhoto, actor: Manager, uow: UnitOfWork = WriteUnit
) -> GalleryFaceOut:
    """Enrol a photograph already in the person's record (a mugshot from the photo store)."""
    row = service.enrol_photo(uow, actor, gallery, body.person_id, body.photo_id)
    return GalleryFaceOut.model_validate(row, from_attributes=True)


@router.get("/persons/{person_id}/faces")
def person_faces(
    person_id: str, actor: Manager, uow: UnitOfWork = ReadUnit
) -> list[GalleryFaceOut]:
    """A person's gallery faces, removed ones included (their templates are gone)."""
    return [
        GalleryFaceOut.model_validate(f, from_attributes=True)
        for f in service.person_faces(uow, actor, person_id)
    ]


@router.post("/faces/{face_id}/remove")
def remove_face(
    face_id: str, body: RemoveRequest, actor: Manager, uow: UnitOfWork = WriteUnit
) -> RemovalResult:
    """Take one face out of its gallery; the reason is kept and audited."""
    return RemovalResult(removed=service.remove_face(uow, actor, face_id, body.reason))


@router.post("/persons/{person_id}/remove")
def remove_person(
    person_id: str, body: RemoveRequest, actor: Manager, uow: UnitOfWork = WriteUnit
) -> RemovalResult:
    """Take every face of a person out of every gallery (traced, identified)."""
    return RemovalResult(removed=service.remove_person(uow, actor, person_id, body.reason))


@router.get("/status")
def status(actor: Searcher, uow: UnitOfWork = ReadUnit) -> StatusOut:
    """Model, dlib build (BLAS or not), threshold in force and gallery sizes."""
    return StatusOut.model_validate(service.status(uow))


def upload_limits() -> dict[str, int]:
    """Face recognition routes that take photographs, and their body cap."""
    return dict.fromkeys(UPLOAD_PATHS, UPLOAD_BODY_MAX)
