"""Console pages of the records domain: find a person by phone, open a record (through the
gate, with a purpose when the record is outside one's jurisdiction)."""

from __future__ import annotations

from typing import Annotated

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
    phone: Annotated[str | None, Query(max_length=20)] = None,
    purpose: Purpose = None,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    found, error = [], None
    if phone:
        try:
            found = service.find_by_phone(uow, actor, phone, purpose)
        except Problem as exc:
            error = exc.detail or exc.title
    return render(request, "persons.html", phone=phone or "", results=found, error=error)


@router.get("/persons/{person_id}")
def person(
    request: Request,
    person_id: str,
    actor: Reader,
    purpose: Purpose = None,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    record = service.read_person(uow, actor, person_id, purpose)
    return render(request, "person.html", person=record, purpose=purpose or "")
