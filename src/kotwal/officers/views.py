"""Console pages of the force domain: find an officer by name or belt number (or list the
officers of one's jurisdiction), an officer's record with the posting history, the list of
police stations and a station with its SHO and officers. Everything comes through the gate,
with a purpose box when the record is outside one's jurisdiction."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from kotwal import panels
from kotwal.core.clock import station_today
from kotwal.core.errors import Problem
from kotwal.core.policy import Actor, Jurisdiction
from kotwal.core.uow import UnitOfWork
from kotwal.officers import service
from kotwal.officers.permissions import OfficersPermission
from kotwal.officers.schemas import BELT_PATTERN, PAGE_MAX, RANK_TITLES
from kotwal.web import charts
from kotwal.web.deps import ReadUnit, console
from kotwal.web.pages import render
from kotwal.web.params import PLAIN_TEXT, Purpose

router = APIRouter(include_in_schema=False)
Reader = Annotated[Actor, Depends(console(OfficersPermission.OFFICER_READ))]
StationReader = Annotated[Actor, Depends(console(OfficersPermission.STATION_READ))]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
PAGE = 50
#: Ids are UUIDs; anything else is refused before it reaches the database.
RecordId = Annotated[str, Path(min_length=36, max_length=36, pattern=r"^[0-9a-fA-F-]{36}$")]


def _unit_names(uow: UnitOfWork, officers: list[dict[str, Any]]) -> dict[str, str]:
    """Names of the units the (disclosed) officers are posted to; masked ids are skipped."""
    return service.unit_names(
        uow, {o["unit_id"] for o in officers if isinstance(o.get("unit_id"), str)}
    )


@router.get("/officers")
def officers(
    request: Request,
    actor: Reader,
    name: Annotated[str | None, Query(max_length=100, pattern=PLAIN_TEXT)] = None,
    belt: Annotated[str | None, Query(max_length=32, pattern=BELT_PATTERN)] = None,
    purpose: Purpose = None,
    offset: Offset = 0,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """Search officers by name or belt number; without a query, the officers posted in one's
    own jurisdiction, a page at a time."""
    hits: list[dict[str, Any]] = []
    error = None
    searched = bool(name or belt)
    try:
        if name:
            hits = service.search_by_name(uow, actor, name, purpose)
        elif belt:
            hits = [
                {"officer": o, "score": 1.0, "reasons": ["same belt number"]}
                for o in service.find_by_belt(uow, actor, belt, purpose)
            ]
        else:
            hits = [
                {"officer": o, "score": None, "reasons": []}
                for o in service.list_officers(uow, actor, offset=offset, limit=PAGE)
            ]
    except Problem as exc:
        error = exc.detail or exc.title
    return render(
        request,
        "officers/officers.html",
        name=name or "",
        belt=belt or "",
        purpose=purpose or "",
        searched=searched,
        hits=hits,
        units=_unit_names(uow, [h["officer"] for h in hits]),
        ranks=RANK_TITLES,
        offset=offset,
        page=PAGE,
        more=not searched and len(hits) == PAGE,
        error=error,
    )


@router.get("/officers/{officer_id}")
def officer(
    request: Request,
    officer_id: RecordId,
    actor: Reader,
    purpose: Purpose = None,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """One officer with the posting history (masked outside the jurisdiction until a
    purpose is declared; the personal contact masked beyond one's clearance)."""
    record = service.read_officer(uow, actor, officer_id, purpose)
    return render(
        request,
        "officers/officer.html",
        officer=record,
        purpose=purpose or "",
        units=_unit_names(uow, [record]),
        ranks=RANK_TITLES,
        today=station_today(uow.runtime),
    )


@router.get("/stations")
def stations(
    request: Request, actor: StationReader, offset: Offset = 0, uow: UnitOfWork = ReadUnit
) -> Response:
    """The police stations, by code, with their public addresses and phones."""
    found = service.list_stations(uow, actor, offset=offset, limit=PAGE_MAX)
    return render(
        request,
        "officers/stations.html",
        stations=found,
        offset=offset,
        page=PAGE_MAX,
        more=len(found) == PAGE_MAX,
    )


@router.get("/stations/{station_id}")
def station(
    request: Request,
    station_id: RecordId,
    actor: StationReader,
    purpose: Purpose = None,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """One station: its profile, its station house officer and the officers posted there."""
    record = service.read_station(uow, actor, station_id, purpose)
    node = uow.session.get(Jurisdiction, station_id)
    figures = panels.station_panels(uow, actor, node) if node is not None else []
    return render(
        request,
        "officers/station.html",
        station=record,
        purpose=purpose or "",
        ranks=RANK_TITLES,
        posted=service.count_posted(uow, actor, station_id),
        panels=figures,
        chart=charts.chart,
    )
