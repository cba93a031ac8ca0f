"""JSON routes of the records domain; every answer comes out of the gate."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Depends, Query, UploadFile
from fastapi.responses import Response

from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.records import exporter, importer, service
from kotwal.records.permissions import RecordsPermission
from kotwal.records.schemas import (
    CaseCreate,
    CasePage,
    CasePartyAdd,
    CaseRead,
    HistorySheetClose,
    HistorySheetEventRead,
    HistorySheetOpen,
    HistorySheetPage,
    HistorySheetRead,
    HistorySheetReview,
    LawSectionRead,
    PersonCreate,
    PersonExportRequest,
    PersonHit,
    PersonImportResult,
    PersonPage,
    PersonRead,
    PersonSearchPage,
    PersonUpdate,
    PersonVersionRead,
)
from kotwal.web.deps import LoopReadUnit, ReadUnit, WriteUnit, require, require_on_loop
from kotwal.web.params import Purpose

router = APIRouter(tags=["records"])
Reader = Annotated[Actor, Depends(require(RecordsPermission.PERSON_READ))]
#: Opening one record by id is served on the event loop (see kotwal.web.deps.LoopReadUnit).
LoopReader = Annotated[Actor, Depends(require_on_loop(RecordsPermission.PERSON_READ))]
Writer = Annotated[Actor, Depends(require(RecordsPermission.PERSON_WRITE))]
Importer = Annotated[Actor, Depends(require(RecordsPermission.PERSON_IMPORT))]
Exporter = Annotated[Actor, Depends(require(RecordsPermission.PERSON_EXPORT))]


@router.post("/persons", status_code=201)
def create_person(body: PersonCreate, actor: Writer, uow: UnitOfWork = WriteUnit) -> PersonRead:
    return PersonRead.model_validate(service.create_person(uow, actor, body))


@router.post("/persons/import", status_code=201)
def import_persons(
    file: UploadFile, actor: Importer, uow: UnitOfWork = WriteUnit
) -> PersonImportResult:
    """CSV in the format of docs/person-import-format.md: every row or none; a bad file is
    422 problem+json listing each bad line."""
    report = importer.import_persons(uow, actor, file.file)
    return PersonImportResult(rows_read=report.rows_read, created=report.created)


@router.post("/persons/export")
def export_persons(
    body: PersonExportRequest, actor: Exporter, uow: UnitOfWork = ReadUnit
) -> Response:
    """Audited CSV export of one's own jurisdiction, every record through the gate."""
    out = io.StringIO()
    exporter.export_persons(uow, actor, out, station_code=body.station_code, purpose=body.purpose)
    return Response(
        content="\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="persons.csv"'},
    )


@router.get("/persons/search")
def search_persons(
    actor: Reader,
    name: str = Query(min_length=2, max_length=100, description="Latin or Telugu script"),
    purpose: Purpose = None,
    limit: int = Query(default=20, ge=1, le=50),
    father: str | None = Query(
        default=None, max_length=100, description="father's or guardian's name, to rank by"
    ),
    birth_year: int | None = Query(default=None, ge=1900, le=2100, description="to rank by"),
    uow: UnitOfWork = ReadUnit,
) -> PersonSearchPage:
    """Fuzzy, phonetic and cross-script name search over names and aliases, ranked; a father's
    name or year of birth, if given, orders the matches (never adds one)."""
    evidence = service.Evidence(father, birth_year)
    found = service.search_by_name(uow, actor, name, purpose, limit, evidence or None)
    return PersonSearchPage(
        query=name,
        items=[PersonHit.model_validate(h) for h in found.hits],
        outside_jurisdiction=found.outside,
    )


@router.get("/persons")
def find_persons(
    actor: Reader,
    phone: str = Query(min_length=6, max_length=20),
    purpose: Purpose = None,
    uow: UnitOfWork = ReadUnit,
) -> PersonPage:
    """Exact lookup by phone number (blind index); more search arrives with the records issue."""
    found = service.find_by_phone(uow, actor, phone, purpose)
    return PersonPage(items=[PersonRead.model_validate(p) for p in found])


@router.patch("/persons/{person_id}")
def update_person(
    person_id: str, body: PersonUpdate, actor: Writer, uow: UnitOfWork = WriteUnit
) -> PersonRead:
    """Change a record in your jurisdiction; its previous version is kept."""
    return PersonRead.model_validate(service.update_person(uow, actor, person_id, body))


@router.get("/persons/{person_id}/history")
def person_history(
    person_id: str, actor: Reader, uow: UnitOfWork = ReadUnit
) -> list[PersonVersionRead]:
    return [
        PersonVersionRead(
            version=v.version,
            changed_fields=v.changed_fields.split(","),
            changed_by_name=v.changed_by_name,
            changed_at=v.changed_at,
        )
        for v in service.person_history(uow, actor, person_id)
    ]


@router.get("/persons/{person_id}")
async def read_person(
    person_id: str, actor: LoopReader, purpose: Purpose = None, uow: UnitOfWork = LoopReadUnit
) -> PersonRead:
    return PersonRead.model_validate(service.read_person(uow, actor, person_id, purpose))


SheetReader = Annotated[Actor, Depends(require(RecordsPermission.HISTORY_SHEET_READ))]
SheetWriter = Annotated[Actor, Depends(require(RecordsPermission.HISTORY_SHEET_WRITE))]
SheetSupervisor = Annotated[Actor, Depends(require(RecordsPermission.HISTORY_SHEET_SUPERVISE))]
CaseReader = Annotated[Actor, Depends(require(RecordsPermission.CASE_READ))]
CaseWriter = Annotated[Actor, Depends(require(RecordsPermission.CASE_WRITE))]


@router.post("/history-sheets", status_code=201)
def open_history_sheet(
    body: HistorySheetOpen, actor: SheetWriter, uow: UnitOfWork = WriteUnit
) -> HistorySheetRead:
    """Open a history sheet on a person at a station in your jurisdiction."""
    return HistorySheetRead.model_validate(service.open_history_sheet(uow, actor, body))


@router.get("/history-sheets/overdue")
def overdue_history_sheets(
    actor: SheetSupervisor,
    limit: int = Query(default=100, ge=1, le=service.HISTORY_SHEET_PAGE_MAX),
    uow: UnitOfWork = ReadUnit,
) -> HistorySheetPage:
    """Open sheets in your jurisdiction whose review date has passed, most overdue first."""
    found = service.overdue_history_sheets(uow, actor, limit)
    return HistorySheetPage(items=[HistorySheetRead.model_validate(s) for s in found])


@router.get("/history-sheets/{sheet_id}")
def read_history_sheet(
    sheet_id: str, actor: SheetReader, purpose: Purpose = None, uow: UnitOfWork = ReadUnit
) -> HistorySheetRead:
    return HistorySheetRead.model_validate(
        service.read_history_sheet(uow, actor, sheet_id, purpose)
    )


@router.post("/history-sheets/{sheet_id}/review")
def review_history_sheet(
    sheet_id: str, body: HistorySheetReview, actor: SheetWriter, uow: UnitOfWork = WriteUnit
) -> HistorySheetRead:
    """Record a review of an open sheet in your jurisdiction and set the next one."""
    return HistorySheetRead.model_validate(service.review_history_sheet(uow, actor, sheet_id, body))


@router.post("/history-sheets/{sheet_id}/close")
def close_history_sheet(
    sheet_id: str, body: HistorySheetClose, actor: SheetWriter, uow: UnitOfWork = WriteUnit
) -> HistorySheetRead:
    return HistorySheetRead.model_validate(service.close_history_sheet(uow, actor, sheet_id, body))


@router.get("/persons/{person_id}/history-sheets")
def person_history_sheets(
    person_id: str, actor: SheetReader, purpose: Purpose = None, uow: UnitOfWork = ReadUnit
) -> HistorySheetPage:
    found = service.person_history_sheets(uow, actor, person_id, purpose)
    return HistorySheetPage(items=[HistorySheetRead.model_validate(s) for s in found])


@router.post("/cases", status_code=201)
def create_case(body: CaseCreate, actor: CaseWriter, uow: UnitOfWork = WriteUnit) -> CaseRead:
    """Register a case (FIR) at a station in your jurisdiction."""
    return CaseRead.model_validate(service.create_case(uow, actor, body))


@router.get("/cases")
def find_cases(
    actor: CaseReader,
    fir: str = Query(min_length=9, max_length=64, description="Station code / year / number"),
    purpose: Purpose = None,
    uow: UnitOfWork = ReadUnit,
) -> CasePage:
    """Exact lookup by FIR number."""
    found = service.find_case_by_fir(uow, actor, fir, purpose)
    return CasePage(items=[CaseRead.model_validate(c) for c in found])


@router.get("/cases/{case_id}")
def read_case(
    case_id: str, actor: CaseReader, purpose: Purpose = None, uow: UnitOfWork = ReadUnit
) -> CaseRead:
    return CaseRead.model_validate(service.read_case(uow, actor, case_id, purpose))


@router.post("/cases/{case_id}/parties", status_code=201)
def add_case_party(
    case_id: str, body: CasePartyAdd, actor: CaseWriter, uow: UnitOfWork = WriteUnit
) -> CaseRead:
    """Name a person in a case of your jurisdiction with their role from a date."""
    return CaseRead.model_validate(service.add_case_party(uow, actor, case_id, body))


@router.get("/persons/{person_id}/cases")
def person_cases(
    person_id: str, actor: CaseReader, purpose: Purpose = None, uow: UnitOfWork = ReadUnit
) -> CasePage:
    found = service.person_cases(uow, actor, person_id, purpose)
    return CasePage(items=[CaseRead.model_validate(c) for c in found])


@router.get("/history-sheets/{sheet_id}/history")
def history_sheet_events(
    sheet_id: str, actor: SheetReader, uow: UnitOfWork = ReadUnit
) -> list[HistorySheetEventRead]:
    """Who opened, reviewed and closed the sheet, and when; inside its jurisdiction."""
    return [
        HistorySheetEventRead.model_validate(e, from_attributes=True)
        for e in service.history_sheet_events(uow, actor, sheet_id)
    ]


@router.get("/law-sections")
def law_sections(
    actor: CaseReader,
    act: Annotated[str | None, Query(pattern="^(BNS|IPC)$")] = None,
    uow: UnitOfWork = ReadUnit,
) -> list[LawSectionRead]:
    """Sections of BNS 2023 and the legacy IPC that a case may cite, with their equivalents."""
    return [
        LawSectionRead.model_validate(s, from_attributes=True)
        for s in service.law_sections(uow, actor, act)
    ]
