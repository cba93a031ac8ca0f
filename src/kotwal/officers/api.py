"""JSON routes of the force domain (/api/v1/officers, /api/v1/stations); every record in an
answer comes out of the gate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.officers import service
from kotwal.officers.models import OfficerVersion, StationProfileVersion
from kotwal.officers.permissions import OfficersPermission
from kotwal.officers.schemas import (
    BELT_PATTERN,
    PAGE_MAX,
    OfficerCreate,
    OfficerHit,
    OfficerPage,
    OfficerRead,
    OfficerSearchPage,
    OfficerUpdate,
    StationDetail,
    StationPage,
    StationProfileCreate,
    StationProfileUpdate,
    StationRead,
    Transfer,
    VersionRead,
)
from kotwal.web.deps import ReadUnit, WriteUnit, require
from kotwal.web.params import PLAIN_TEXT, Purpose

router = APIRouter(tags=["force"])
Reader = Annotated[Actor, Depends(require(OfficersPermission.OFFICER_READ))]
Manager = Annotated[Actor, Depends(require(OfficersPermission.OFFICER_MANAGE))]
StationReader = Annotated[Actor, Depends(require(OfficersPermission.STATION_READ))]
StationManager = Annotated[Actor, Depends(require(OfficersPermission.STATION_MANAGE))]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
#: Ids are UUIDs: anything else is refused before it reaches the database (PostgreSQL would
#: fail on a NUL byte where SQLite would only find nothing).
ID_PATTERN = r"^[0-9a-fA-F-]{36}$"
OfficerId = Annotated[str, Path(min_length=36, max_length=36, pattern=ID_PATTERN)]
StationId = Annotated[str, Path(min_length=36, max_length=36, pattern=ID_PATTERN)]
Limit = Annotated[int, Query(ge=1, le=PAGE_MAX)]


def _versions(rows: list[OfficerVersion] | list[StationProfileVersion]) -> list[VersionRead]:
    return [
        VersionRead(
            version=v.version,
            changed_fields=v.changed_fields.split(","),
            changed_by_name=v.changed_by_name,
            changed_at=v.changed_at,
        )
        for v in rows
    ]


@router.post("/officers", status_code=201)
def create_officer(body: OfficerCreate, actor: Manager, uow: UnitOfWork = WriteUnit) -> OfficerRead:
    """Enter an officer posted to a station or unit in your jurisdiction."""
    return OfficerRead.model_validate(service.create_officer(uow, actor, body))


@router.get("/officers")
def list_officers(
    actor: Reader,
    unit_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    belt: Annotated[str | None, Query(min_length=2, max_length=32, pattern=BELT_PATTERN)] = None,
    purpose: Purpose = None,
    offset: Offset = 0,
    limit: Limit = 50,
    uow: UnitOfWork = ReadUnit,
) -> OfficerPage:
    """Officers posted in your jurisdiction (or at one unit), by name; or the one officer
    with a belt number."""
    if belt is not None:
        found = service.find_by_belt(uow, actor, belt, purpose)
    else:
        found = service.list_officers(
            uow, actor, unit_id=unit_id, purpose=purpose, offset=offset, limit=limit
        )
    return OfficerPage(
        items=[OfficerRead.model_validate(o) for o in found], offset=offset, limit=limit
    )


@router.get("/officers/search")
def search_officers(
    actor: Reader,
    name: str = Query(
        min_length=2, max_length=100, pattern=PLAIN_TEXT, description="Latin or Telugu script"
    ),
    purpose: Purpose = None,
    limit: int = Query(default=20, ge=1, le=service.SEARCH_MAX_RESULTS),
    uow: UnitOfWork = ReadUnit,
) -> OfficerSearchPage:
    """Fuzzy, phonetic and cross-script search of officers' names, ranked."""
    hits = service.search_by_name(uow, actor, name, purpose, limit)
    return OfficerSearchPage(query=name, items=[OfficerHit.model_validate(h) for h in hits])


@router.get("/officers/{officer_id}")
def read_officer(
    officer_id: OfficerId, actor: Reader, purpose: Purpose = None, uow: UnitOfWork = ReadUnit
) -> OfficerRead:
    """An officer with the posting history, through the gate."""
    return OfficerRead.model_validate(service.read_officer(uow, actor, officer_id, purpose))


@router.patch("/officers/{officer_id}")
def update_officer(
    officer_id: OfficerId, body: OfficerUpdate, actor: Manager, uow: UnitOfWork = WriteUnit
) -> OfficerRead:
    """Change an officer record of your jurisdiction; its previous version is kept."""
    return OfficerRead.model_validate(service.update_officer(uow, actor, officer_id, body))


@router.post("/officers/{officer_id}/transfers")
def transfer_officer(
    officer_id: OfficerId, body: Transfer, actor: Manager, uow: UnitOfWork = WriteUnit
) -> OfficerRead:
    """Post an officer to another station or unit; both ends must be in your jurisdiction."""
    return OfficerRead.model_validate(service.transfer_officer(uow, actor, officer_id, body))


@router.get("/officers/{officer_id}/history")
def officer_history(
    officer_id: OfficerId, actor: Reader, uow: UnitOfWork = ReadUnit
) -> list[VersionRead]:
    """Who changed the record, when, which fields; inside its jurisdiction."""
    return _versions(service.officer_history(uow, actor, officer_id))


@router.post("/stations", status_code=201)
def create_station_profile(
    body: StationProfileCreate, actor: StationManager, uow: UnitOfWork = WriteUnit
) -> StationRead:
    """Give a police station of your jurisdiction its profile (address, location, SHO)."""
    return StationRead.model_validate(service.create_station_profile(uow, actor, body))


@router.get("/stations")
def list_stations(
    actor: StationReader,
    purpose: Purpose = None,
    offset: Offset = 0,
    limit: Limit = 50,
    uow: UnitOfWork = ReadUnit,
) -> StationPage:
    """Police stations by code with their profiles, a capped page at a time."""
    found = service.list_stations(uow, actor, offset=offset, limit=limit, purpose=purpose)
    return StationPage(
        items=[StationRead.model_validate(s) for s in found], offset=offset, limit=limit
    )


@router.get("/stations/{station_id}")
def read_station(
    station_id: StationId, actor: StationReader, purpose: Purpose = None, uow: UnitOfWork = ReadUnit
) -> StationDetail:
    """A station with its station house officer and the officers posted there now."""
    return StationDetail.model_validate(service.read_station(uow, actor, station_id, purpose))


@router.patch("/stations/{station_id}")
def update_station_profile(
    station_id: StationId,
    body: StationProfileUpdate,
    actor: StationManager,
    uow: UnitOfWork = WriteUnit,
) -> StationRead:
    """Change a station profile of your jurisdiction; its previous version is kept."""
    return StationRead.model_validate(service.update_station_profile(uow, actor, station_id, body))


@router.get("/stations/{station_id}/history")
def station_history(
    station_id: StationId, actor: StationReader, uow: UnitOfWork = ReadUnit
) -> list[VersionRead]:
    """Who changed the station profile, when, which fields."""
    return _versions(service.station_history(uow, actor, station_id))
