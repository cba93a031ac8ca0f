"""JSON routes of the arms licence domain (``/api/v1/arms/...``); every answer comes out of
the gate."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from kotwal.arms import service
from kotwal.arms.permissions import ArmsPermission
from kotwal.arms.schemas import (
    LICENCE_NUMBER_PATTERN,
    LicenceAction,
    LicenceEventRead,
    LicenceIssue,
    LicencePage,
    LicenceRead,
    LicenceRenew,
    LicenceStatus,
    LicenceUpdate,
    ReviewDecision,
    ReviewPage,
    ReviewRead,
    WeaponAdd,
)
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.web.deps import ReadUnit, WriteUnit, require
from kotwal.web.params import Purpose

router = APIRouter(prefix="/arms", tags=["arms"])
Reader = Annotated[Actor, Depends(require(ArmsPermission.LICENCE_READ))]
Manager = Annotated[Actor, Depends(require(ArmsPermission.LICENCE_MANAGE))]
Reviewer = Annotated[Actor, Depends(require(ArmsPermission.LICENCE_REVIEW))]


@router.post("/licences", status_code=201)
def issue_licence(body: LicenceIssue, actor: Manager, uow: UnitOfWork = WriteUnit) -> LicenceRead:
    """Record a licence for a holder living in your jurisdiction, with its weapons."""
    return LicenceRead.model_validate(service.issue_licence(uow, actor, body))


@router.get("/licences")
def list_licences(
    actor: Reader,
    station_id: Annotated[str | None, Query(min_length=36, max_length=36)] = None,
    status: LicenceStatus | None = None,
    expiring_before: date | None = None,
    after: Annotated[str | None, Query(max_length=64, pattern=LICENCE_NUMBER_PATTERN)] = None,
    limit: int = Query(default=50, ge=1, le=service.LICENCE_PAGE_MAX),
    uow: UnitOfWork = ReadUnit,
) -> LicencePage:
    """Licences in your jurisdiction by licence number, a page at a time (``after`` is the
    previous page's ``next_after``)."""
    items, next_after = service.list_licences(
        uow,
        actor,
        station_id=station_id,
        status=status,
        expiring_before=expiring_before,
        after=after,
        limit=limit,
    )
    return LicencePage(items=[LicenceRead.model_validate(i) for i in items], next_after=next_after)


@router.get("/licences/search")
def find_licences(
    actor: Reader,
    licence_number: Annotated[str | None, Query(max_length=64)] = None,
    uin: Annotated[str | None, Query(max_length=32)] = None,
    serial: Annotated[str | None, Query(max_length=64, description="Weapon serial or mark")] = None,
    phone: Annotated[str | None, Query(max_length=20, description="Holder's phone")] = None,
    purpose: Purpose = None,
    uow: UnitOfWork = ReadUnit,
) -> LicencePage:
    """Exact lookup by exactly one of licence number, UIN, weapon serial or holder's phone."""
    found = service.find_licences(
        uow,
        actor,
        licence_number=licence_number,
        uin=uin,
        serial=serial,
        phone=phone,
        purpose=purpose,
    )
    return LicencePage(items=[LicenceRead.model_validate(i) for i in found])


@router.get("/licences/{licence_id}")
def read_licence(
    licence_id: str, actor: Reader, purpose: Purpose = None, uow: UnitOfWork = ReadUnit
) -> LicenceRead:
    """A licence with its weapons; outside your jurisdiction, masked until a purpose is given."""
    return LicenceRead.model_validate(service.read_licence(uow, actor, licence_id, purpose))


@router.get("/licences/{licence_id}/history")
def licence_history(
    licence_id: str, actor: Reader, uow: UnitOfWork = ReadUnit
) -> list[LicenceEventRead]:
    """Issue, renewals, suspensions, reinstatements, cancellation and changes of details,
    with reasons and who made them; inside the licence's jurisdiction."""
    return [
        LicenceEventRead(
            action=e.action,
            version=e.version,
            status=e.status,
            valid_until=e.valid_until,
            reason=e.reason,
            order_reference=e.order_reference,
            changed_fields=e.changed_fields.split(",") if e.changed_fields else [],
            by_name=e.by_name,
            at=e.at,
        )
        for e in service.licence_events(uow, actor, licence_id)
    ]


@router.patch("/licences/{licence_id}")
def update_licence(
    licence_id: str, body: LicenceUpdate, actor: Manager, uow: UnitOfWork = WriteUnit
) -> LicenceRead:
    """Change the holder's details with a reason; the earlier values are kept, sealed."""
    return LicenceRead.model_validate(service.update_licence(uow, actor, licence_id, body))


@router.post("/licences/{licence_id}/weapons", status_code=201)
def add_weapon(
    licence_id: str, body: WeaponAdd, actor: Manager, uow: UnitOfWork = WriteUnit
) -> LicenceRead:
    """Endorse another weapon on a licence that is not cancelled."""
    return LicenceRead.model_validate(service.add_weapon(uow, actor, licence_id, body))


@router.post("/licences/{licence_id}/renew")
def renew_licence(
    licence_id: str, body: LicenceRenew, actor: Manager, uow: UnitOfWork = WriteUnit
) -> LicenceRead:
    """Renew a licence in force (or lapsed) for at most five years from today."""
    return LicenceRead.model_validate(service.renew_licence(uow, actor, licence_id, body))


@router.post("/licences/{licence_id}/suspend")
def suspend_licence(
    licence_id: str, body: LicenceAction, actor: Manager, uow: UnitOfWork = WriteUnit
) -> LicenceRead:
    """Suspend a licence in force, with the reason and the order (Arms Act 1959, s.17)."""
    return LicenceRead.model_validate(
        service.change_status(uow, actor, licence_id, "suspended", body)
    )


@router.post("/licences/{licence_id}/reinstate")
def reinstate_licence(
    licence_id: str, body: LicenceAction, actor: Manager, uow: UnitOfWork = WriteUnit
) -> LicenceRead:
    """Lift a suspension, with the reason."""
    return LicenceRead.model_validate(
        service.change_status(uow, actor, licence_id, "reinstated", body)
    )


@router.post("/licences/{licence_id}/cancel")
def cancel_licence(
    licence_id: str, body: LicenceAction, actor: Manager, uow: UnitOfWork = WriteUnit
) -> LicenceRead:
    """Cancel a licence for good (Arms Act 1959, section 17)."""
    return LicenceRead.model_validate(
        service.change_status(uow, actor, licence_id, "cancelled", body)
    )


@router.get("/reviews")
def review_queue(
    actor: Reviewer,
    status: Annotated[str, Query(pattern="^(open|decided)$")] = "open",
    limit: int = Query(default=100, ge=1, le=service.REVIEW_PAGE_MAX),
    uow: UnitOfWork = ReadUnit,
) -> ReviewPage:
    """Suspension reviews for licences in your jurisdiction whose holder was named in a case."""
    found = service.review_queue(uow, actor, status=status, limit=limit)
    return ReviewPage(items=[ReviewRead.model_validate(r) for r in found])


@router.post("/reviews/{review_id}/decide")
def decide_review(
    review_id: str, body: ReviewDecision, actor: Reviewer, uow: UnitOfWork = WriteUnit
) -> ReviewRead:
    """Suspend the licence or take no action, with the reason; a review is decided once."""
    return ReviewRead.model_validate(service.decide_review(uow, actor, review_id, body))
