"""Console pages of the records domain: find a person by phone, open a record (through the
gate, with a purpose when the record is outside one's jurisdiction)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from kotwal.core.errors import Problem
from kotwal.core.policy import Actor, Permission
from kotwal.core.uow import UnitOfWork
from kotwal.records import service
from kotwal.web.deps import ReadUnit, console
from kotwal.web.pages import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Actor, Depends(console(Permission.RECORDS_PERSON_READ))]
Purpose = Annotated[str | None, Query(max_length=300)]


@router.get("/persons")
def persons(
    request: Request,
    actor: Reader,
    name: Annotated[str | None, Query(max_length=100)] = None,
    phone: Annotated[str | None, Query(max_length=20)] = None,
    purpose: Purpose = None,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    hits: list[dict[str, Any]] = []
    error = None
    try:
        if name:
            hits = service.search_by_name(uow, actor, name, purpose)
        elif phone:
            hits = [
                {"person": p, "score": 1.0, "reasons": ["same phone number"]}
                for p in service.find_by_phone(uow, actor, phone, purpose)
            ]
    except Problem as exc:
        error = exc.detail or exc.title
    stations = service.station_names(
        uow, {h["person"]["station_id"] for h in hits if isinstance(h["person"]["station_id"], str)}
    )
    return render(
        request,
        "persons.html",
        stations=stations,
        name=name or "",
        phone=phone or "",
        searched=bool(name or phone),
        hits=hits,
        error=error,
    )


@router.get("/persons/{person_id}")
def person(
    request: Request,
    person_id: str,
    actor: Reader,
    purpose: Purpose = None,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    record = service.read_person(uow, actor, person_id, purpose)
    station = record["station_id"]
    names = service.station_names(uow, {station}) if isinstance(station, str) else {}
    return render(
        request, "person.html", person=record, purpose=purpose or "", station=names.get(station)
    )


Supervisor = Annotated[Actor, Depends(console(Permission.RECORDS_HISTORY_SHEET_SUPERVISE))]


@router.get("/history-sheets/overdue")
def overdue_history_sheets(
    request: Request, actor: Supervisor, uow: UnitOfWork = ReadUnit
) -> Response:
    """The station house officer's list of history sheet reviews that are past due."""
    sheets = service.overdue_history_sheets(uow, actor)
    stations = service.station_names(
        uow, {s["station_id"] for s in sheets if isinstance(s["station_id"], str)}
    )
    return render(request, "history_sheets_overdue.html", sheets=sheets, stations=stations)
