"""Console pages of the records domain: find a person by name or phone, open a record with its
history sheets and cases, find a case by FIR number (all through the gate, with a purpose when
the record is outside one's jurisdiction)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from kotwal.core.errors import Problem
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.records import person_page, service
from kotwal.records.hooks import PERSON_PHOTOS, PERSON_SECTIONS
from kotwal.records.permissions import RecordsPermission
from kotwal.web.deps import ReadUnit, console
from kotwal.web.i18n import N_
from kotwal.web.pages import render
from kotwal.web.params import Purpose

router = APIRouter(include_in_schema=False)
Reader = Annotated[Actor, Depends(console(RecordsPermission.PERSON_READ))]


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
    outside, error = 0, None
    try:
        if name:
            found = service.search_by_name(uow, actor, name, purpose)
            hits, outside = found.hits, found.outside
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
        outside=outside,
        purpose=purpose or "",
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
    sheets = (
        service.person_history_sheets(uow, actor, person_id, purpose)
        if actor.can(RecordsPermission.HISTORY_SHEET_READ)
        else []
    )
    cases = (
        service.person_cases(uow, actor, person_id, purpose)
        if actor.can(RecordsPermission.CASE_READ)
        else []
    )
    photos = [
        photo
        for listing in uow.runtime.hooks.at(PERSON_PHOTOS)
        for photo in listing(uow, actor, person_id, purpose)
    ]
    sections = [
        section
        for listing in uow.runtime.hooks.at(PERSON_SECTIONS)
        if (section := listing(uow, actor, person_id, purpose)) is not None
    ]
    return render(
        request,
        "person.html",
        person=record,
        purpose=purpose or "",
        station=names.get(station),
        labels=PERSON_LABELS,
        aliases=person_page.aliases(uow, actor, person_id, purpose),
        sheets=sheets,
        courses=person_page.sheet_courses(uow, actor, sheets) if not purpose else {},
        cases=cases,
        photos=photos,
        sections=sections,
        versions=person_page.versions(uow, actor, person_id),
        openings=person_page.who_opened(uow, actor, person_id),
    )


#: The values of the records' closed lists as pages show them (``| term``), for the catalogue:
#: categories, statuses, sex, history sheet categories and a person's part in a case.
TERMS = (
    N_("offender"),
    N_("suspect"),
    N_("missing person"),
    N_("unidentified body"),
    N_("active"),
    N_("absconding"),
    N_("in custody"),
    N_("deceased"),
    N_("traced"),
    N_("male"),
    N_("female"),
    N_("transgender"),
    N_("unknown"),
    N_("rowdy sheet"),
    N_("suspect sheet"),
    N_("kd"),
    N_("habitual offender"),
    N_("accused"),
    N_("arrested"),
    N_("charge sheeted"),
    N_("convicted"),
    N_("acquitted"),
)


#: A person's fields as an officer names them (the page shows these, never the column names),
#: translated where shown.
PERSON_LABELS = {
    "name": N_("Name (English)"),
    "name_te": N_("Name (Telugu)"),
    "father_name": N_("Father's name"),
    "category": N_("Category"),
    "sex": N_("Sex"),
    "birth_year": N_("Year of birth"),
    "marks": N_("Identifying marks"),
    "status": N_("Status"),
    "phone": N_("Phone"),
    "address": N_("Address"),
    "version": N_("Record version"),
}


Supervisor = Annotated[Actor, Depends(console(RecordsPermission.HISTORY_SHEET_SUPERVISE))]


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


CaseReader = Annotated[Actor, Depends(console(RecordsPermission.CASE_READ))]
SheetReader = Annotated[Actor, Depends(console(RecordsPermission.HISTORY_SHEET_READ))]


@router.get("/cases")
def cases(
    request: Request,
    actor: CaseReader,
    fir: Annotated[str | None, Query(max_length=64)] = None,
    purpose: Purpose = None,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """Find a case by its FIR number (station code / year / number)."""
    found: list[dict[str, Any]] = []
    error = None
    if fir:
        try:
            found = service.find_case_by_fir(uow, actor, fir, purpose)
        except Problem as exc:
            error = exc.detail or exc.title
    return render(
        request,
        "cases.html",
        fir=fir or "",
        purpose=purpose or "",
        searched=bool(fir),
        cases=found,
        stations=_stations_of(uow, found),
        error=error,
    )


@router.get("/cases/{case_id}")
def case(
    request: Request,
    case_id: str,
    actor: CaseReader,
    purpose: Purpose = None,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """One case with its sections of law and the course of each person named in it."""
    record = service.read_case(uow, actor, case_id, purpose)
    return render(
        request,
        "case.html",
        case=record,
        purpose=purpose or "",
        stations=_stations_of(uow, [record]),
    )


@router.get("/history-sheets/{sheet_id}")
def history_sheet(
    request: Request,
    sheet_id: str,
    actor: SheetReader,
    purpose: Purpose = None,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """One history sheet; its course (opened, reviews, closed) inside its jurisdiction."""
    sheet = service.read_history_sheet(uow, actor, sheet_id, purpose)
    inside = not isinstance(sheet["category"], dict)
    events: list[Any] = []
    if inside and not purpose:
        try:
            events = service.history_sheet_events(uow, actor, sheet_id)
        except Problem:
            events = []  # a reader with a purpose sees the sheet, not its internal course
    return render(
        request,
        "history_sheet.html",
        sheet=sheet,
        events=events,
        purpose=purpose or "",
        stations=_stations_of(uow, [sheet]),
    )


def _stations_of(uow: UnitOfWork, rows: list[dict[str, Any]]) -> dict[str, str]:
    """Names of the stations the (disclosed) rows point to; masked station ids are skipped."""
    return service.station_names(
        uow, {r["station_id"] for r in rows if isinstance(r.get("station_id"), str)}
    )
