"""Console pages of face recognition: a search form, the probe shown beside its candidates,
and a human's confirmation before a candidate is put forward for a case.

The probe is shown from memory as an inline image of its cleaned pixels (no EXIF) and is not
stored anywhere; a candidate becomes a lead for the case only when the operator confirms it,
with a note, and that confirmation is its own audit event.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError

from kotwal.core import images
from kotwal.core.errors import InvalidInput, Problem
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.frs import service
from kotwal.frs.models import Gallery
from kotwal.frs.permissions import FrsPermission
from kotwal.frs.schemas import ConfirmForm, IdentifyForm
from kotwal.photos import service as photos_service
from kotwal.web.deps import ReadUnit, WriteUnit, console
from kotwal.web.pages import render

router = APIRouter(include_in_schema=False)
Searcher = Annotated[Actor, Depends(console(FrsPermission.FACE_SEARCH))]


@router.get("/frs")
def search_page(request: Request, actor: Searcher, uow: UnitOfWork = ReadUnit) -> Response:
    """The search form, with the threshold in force and the gallery sizes."""
    return render(request, "frs/search.html", status=service.status(uow), galleries=list(Gallery))


@router.post("/frs/identify")
def identify_page(
    request: Request,
    actor: Searcher,
    photo: UploadFile,
    purpose: Annotated[str, Form(max_length=200)],
    case_number: Annotated[str, Form(max_length=64)],
    galleries: Annotated[list[str], Form()],
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """Search, then show the probe beside each candidate; nothing is linked yet."""
    try:
        form = IdentifyForm.model_validate(
            {"purpose": purpose, "case_number": case_number, "galleries": galleries, "k": 5}
        )
    except ValidationError as exc:
        raise InvalidInput(
            "give a purpose (5-200 characters), the case's FIR number and a gallery"
        ) from exc
    data = photo.file.read(service.MAX_PHOTO_BYTES + 1)
    error, result, probe_src, mugshots = None, None, None, {}
    try:
        result = service.identify(uow, actor, data, form)
        probe_src = _inline(data)
        mugshots = _mugshots(uow, actor, result["candidates"], form.declared)
    except Problem as exc:
        error = exc.detail or exc.title
    return render(
        request,
        "frs/results.html",
        result=result,
        probe_src=probe_src,
        mugshots=mugshots,
        error=error,
        form=form,
    )


def _mugshots(
    uow: UnitOfWork, actor: Actor, candidates: list[dict[str, Any]], purpose: str
) -> dict[str, str]:
    """Each candidate's newest photograph (through the photo store's gate), for the side-by-
    side comparison; the picture itself is fetched by the browser from its gated URL."""
    found: dict[str, str] = {}
    for c in candidates:
        person_id = str(c["person"]["id"])
        listed = photos_service.list_photos(
            uow, actor, photos_service.OWNER_PERSON, person_id, purpose, limit=1
        )
        if listed and not isinstance(listed[0].get("format"), dict):
            found[c["face_id"]] = f"/photos/{listed[0]['id']}?purpose={quote(purpose)}"
    return found


def _inline(data: bytes) -> str:
    """The probe's cleaned pixels as a data: URL for this one page (never stored)."""
    decoded = images.decode(
        data, max_bytes=service.MAX_PHOTO_BYTES, max_pixels=service.MAX_PHOTO_PIXELS
    )
    media = images.MEDIA_TYPES[images.clean_format(decoded)]
    return f"data:{media};base64,{base64.b64encode(images.clean_bytes(decoded)).decode()}"


@router.post("/frs/confirm")
def confirm_page(
    request: Request,
    actor: Searcher,
    face_id: Annotated[str, Form(max_length=36)],
    case_number: Annotated[str, Form(max_length=64)],
    purpose: Annotated[str, Form(max_length=200)],
    note: Annotated[str, Form(max_length=300)],
    uow: UnitOfWork = WriteUnit,
) -> Response:
    """A human's confirmation that a candidate is the person in the probe, for this case."""
    try:
        form = ConfirmForm.model_validate(
            {"face_id": face_id, "case_number": case_number, "purpose": purpose, "note": note}
        )
    except ValidationError as exc:
        raise InvalidInput("say in a note (5-300 characters) why this is the same person") from exc
    confirmed = service.confirm(uow, actor, form)
    return render(request, "frs/confirmed.html", confirmed=confirmed, form=form)
