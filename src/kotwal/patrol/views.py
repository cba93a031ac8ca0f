"""Console page of the patrolling domain: the units of one's jurisdiction with their status,
the beats drawn there, and, for those allowed to see them, where the units are now. Units and
positions come through the gate. (The control room's live map is later work.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from kotwal.core.clock import utcnow
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.patrol import service, stats
from kotwal.patrol.permissions import PatrolPermission as P
from kotwal.patrol.schemas import AreaKind
from kotwal.web.deps import ReadUnit, console
from kotwal.web.pages import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Actor, Depends(console(P.UNIT_READ))]
IncidentReader = Annotated[Actor, Depends(console(P.INCIDENT_READ))]
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


@router.get("/patrol/response")
def response_times(
    request: Request,
    actor: IncidentReader,
    days: int = Query(default=30, ge=1, le=92),
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """Response times per station and watch over the last ``days`` days, as a chart and a
    table (counts and durations only)."""
    until = utcnow()
    found = stats.response_times(uow, actor, until - timedelta(days=days), until)
    longest = max((r.response_p90_s or 0 for r in found), default=0) or 1
    return render(request, "patrol/response.html", rows=found, days=days, longest=longest)
