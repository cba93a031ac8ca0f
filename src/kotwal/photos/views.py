"""Console twin of the picture download: the same service call, and so the same gate, audit
and purpose rule, guarded by the console session instead of a bearer token (an ``<img>`` on
the person page cannot send one)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.photos import service
from kotwal.photos.api import IMAGE_HEADERS
from kotwal.records.permissions import RecordsPermission
from kotwal.web.deps import ReadUnit, console
from kotwal.web.params import Purpose

router = APIRouter(include_in_schema=False)
Reader = Annotated[Actor, Depends(console(RecordsPermission.PERSON_PHOTO_READ))]


def console_url(photo_id: str) -> str:
    """Where the console fetches a picture (the page adds ``?purpose=`` when it has one)."""
    return f"/photos/{photo_id}"


@router.get("/photos/{photo_id}")
def photo(
    photo_id: str,
    actor: Reader,
    purpose: Purpose = None,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """The picture, for an ``<img>`` of the console: audited, never cached."""
    data, media_type = service.read_image(uow, actor, service.OWNER_PERSON, photo_id, purpose)
    return Response(content=data, media_type=media_type, headers=IMAGE_HEADERS)
