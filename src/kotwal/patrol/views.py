"""Console page of the patrolling domain: the units of one's jurisdiction with their status,
the beats drawn there, and, for those allowed to see them, where the units are now; the control
room's live map, fed by server-sent events; response times as a chart. Units, positions and
incidents come through the gate."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response, StreamingResponse

from kotwal.core.clock import as_utc, utcnow
from kotwal.core.errors import Problem
from kotwal.core.policy import Actor
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.patrol import control, coverage, service, stats
from kotwal.patrol.permissions import PatrolPermission as P
from kotwal.patrol.schemas import AreaKind
from kotwal.web.deps import ReadUnit, console, runtime_dependency
from kotwal.web.pages import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Actor, Depends(console(P.UNIT_READ))]
IncidentReader = Annotated[Actor, Depends(console(P.INCIDENT_READ))]
AreaManager = Annotated[Actor, Depends(console(P.AREA_MANAGE))]
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


STATIC = Path(__file__).parent / "static"
#: Seconds between two looks at what changed, and how long one stream lasts before the browser
#: reconnects (and its session is checked again).
TICK_SECONDS = 1.0
STREAM_SECONDS = 60.0
KEEPALIVE_SECONDS = 15.0


@router.get("/patrol/control")
def control_room(request: Request, actor: Reader, uow: UnitOfWork = ReadUnit) -> Response:
    """The control room: a live map of station areas, beats, units and open incidents, with
    the unit list and incident queue beside it (positions only with the permission)."""
    return render(
        request,
        "patrol/control.html",
        tile_url=control.tile_url(uow),
        can_see_positions=actor.can(P.POSITION_READ),
    )


def _json(value: Any) -> str:
    def default(o: Any) -> Any:
        if isinstance(o, datetime):
            return as_utc(o).isoformat()
        raise TypeError(type(o).__name__)

    return json.dumps(value, default=default, separators=(",", ":"))


def _tick(runtime: Runtime, actor: Actor, cursor: control.Cursor) -> dict[str, Any]:
    with UnitOfWork(runtime, write=False) as uow:
        return control.changes(uow, actor, cursor)


@router.get("/patrol/control/events")
async def control_events(
    request: Request, actor: Reader, runtime: Runtime = Depends(runtime_dependency)
) -> StreamingResponse:
    """Server-sent events for the control room's map: everything first, then each second what
    changed. A stream lasts a minute; the browser reconnects and the session is checked again."""

    async def stream() -> AsyncIterator[str]:
        cursor = control.Cursor()
        yield f"retry: {int(TICK_SECONDS * 1000)}\n\n"
        ends = time.monotonic() + STREAM_SECONDS
        quiet = time.monotonic()
        while time.monotonic() < ends:
            if await request.is_disconnected():
                return
            try:
                changed = await run_in_threadpool(_tick, runtime, actor, cursor)
            except Problem as problem:
                # Refused (the disclosure budget crossed, the account suspended): say so and
                # end; the page stops listening rather than asking again every second.
                why = {"status": problem.status, "title": problem.title, "detail": str(problem)}
                yield f"event: refused\ndata: {_json(why)}\n\n"
                return
            if changed:
                yield f"event: changes\ndata: {_json(changed)}\n\n"
                quiet = time.monotonic()
            elif time.monotonic() - quiet > KEEPALIVE_SECONDS:
                yield ": keep-alive\n\n"
                quiet = time.monotonic()
            await asyncio.sleep(TICK_SECONDS)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"x-accel-buffering": "no"}
    )


@router.get("/patrol/control.js")
def control_script(actor: Reader) -> FileResponse:
    """The control room's script (the page allows scripts from its own origin only)."""
    return FileResponse(STATIC / "control.js", media_type="text/javascript")


@router.get("/patrol/control.css")
def control_style(actor: Reader) -> FileResponse:
    """The control room's layout."""
    return FileResponse(STATIC / "control.css", media_type="text/css")


@router.get("/patrol/codes")
def checkin_codes(
    request: Request,
    actor: AreaManager,
    day: date | None = None,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """A printable sheet of the day's check-in codes (QR codes with the text beside them) for
    every check-in point of the jurisdiction; issuing each is audited."""
    sheet = []
    for point in service.list_points(uow, actor, limit=service.AREA_PAGE_MAX):
        _point, when, code = coverage.point_code(uow, actor, point.id, day)
        qr = segno.make(code, error="m").svg_data_uri(scale=4)
        sheet.append({"point": point, "day": when, "code": code, "qr": qr})
    return render(request, "patrol/codes.html", sheet=sheet, day=day)
