"""JSON routes of the records domain; every answer comes out of the gate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from kotwal.core.policy import Actor, Permission
from kotwal.core.uow import UnitOfWork
from kotwal.records import service
from kotwal.records.schemas import (
    PersonCreate,
    PersonHit,
    PersonPage,
    PersonRead,
    PersonSearchPage,
    PersonUpdate,
    PersonVersionRead,
)
from kotwal.web.deps import ReadUnit, WriteUnit, require

router = APIRouter(tags=["records"])
Reader = Annotated[Actor, Depends(require(Permission.RECORDS_PERSON_READ))]
Writer = Annotated[Actor, Depends(require(Permission.RECORDS_PERSON_WRITE))]
Purpose = Annotated[
    str | None,
    Query(max_length=300, description="Case number or reason; needed outside your jurisdiction"),
]


@router.post("/persons", status_code=201)
def create_person(body: PersonCreate, actor: Writer, uow: UnitOfWork = WriteUnit) -> PersonRead:
    return PersonRead.model_validate(service.create_person(uow, actor, body))


@router.get("/persons/search")
def search_persons(
    actor: Reader,
    name: str = Query(min_length=2, max_length=100, description="Latin or Telugu script"),
    purpose: Purpose = None,
    limit: int = Query(default=20, ge=1, le=50),
    uow: UnitOfWork = ReadUnit,
) -> PersonSearchPage:
    """Fuzzy, phonetic and cross-script name search over names and aliases, ranked."""
    hits = service.search_by_name(uow, actor, name, purpose, limit)
    return PersonSearchPage(query=name, items=[PersonHit.model_validate(h) for h in hits])


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
def read_person(
    person_id: str, actor: Reader, purpose: Purpose = None, uow: UnitOfWork = ReadUnit
) -> PersonRead:
    return PersonRead.model_validate(service.read_person(uow, actor, person_id, purpose))
