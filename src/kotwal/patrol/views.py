"""Console page of the patrolling domain: the units of one's jurisdiction with their status,
the beats drawn there, and, for those allowed to see them, where the units are now. Units and
positions come through the gate. (The control room's live map is later work.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.patrol import service
from kotwal.patrol.permissions import PatrolPermission as P
from kotwal.patrol.schemas import AreaKind
from kotwal.web.deps import ReadUnit, console
from kotwal.web.pages import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Actor, Depends(console(P.UNIT_READ))]
SHOWN = 200


@router.get("/patrol")
def patrol(request: Request, actor: Reader, uow: UnitOfWork = ReadUnit) -> Response:
    """Units by call sign, the beats, and (with the permission) the units' latest positions."""
    units = service.list_units(uow, actor, limit=SHOWN)
    beats = (
        service.list_areas(uow, actor, kind=AreaKind.BEAT, limit=SHOWN)
        if actor.can(P.AREA_READ)
        else []
    )
    positions = (
        {p["id"]: p for p in service.latest_positions(uow, actor, limit=SHOWN)}
        if actor.can(P.POSITION_READ)
        else None
    )
    return render(request, "patrol/patrol.html", units=units, beats=beats, positions=positions)
