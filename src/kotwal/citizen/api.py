"""The officers' side of citizen services (``/api/v1/citizen``): a citizen's identity from the
vault, through the gate, only with a declared purpose; the control room's SOS queue, an SOS
with the citizen's positions while it is open, acknowledging and closing it; the reports
and tips routed to one's jurisdiction and their course."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from kotwal.citizen import lost_phones, reports, service, sos, trips
from kotwal.citizen.permissions import CitizenPermission as P
from kotwal.citizen.schemas import (
    IdentityOut,
    LostPhoneLookup,
    ReportKind,
    ReportMove,
    ReportRead,
    ReportState,
    SosRead,
    TripWatchRead,
    VerificationKind,
)
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.web.deps import ReadUnit, WriteUnit, require

router = APIRouter(prefix="/citizen", tags=["citizen services"])


@router.get("/citizens/{citizen_id}/identity")
def citizen_identity(
    citizen_id: str,
    purpose: Annotated[str | None, Query(max_length=300)] = None,
    actor: Actor = Depends(require(P.IDENTITY_READ)),
    uow: UnitOfWork = ReadUnit,
) -> IdentityOut:
    """Who a citizen is (name, mobile, e-mail, address, emergency contacts), for a case that
    needs it: ``purpose`` (a case number or a reason) is required, and the read is audited."""
    return IdentityOut(**service.disclose_identity(uow, actor, citizen_id, purpose))


@router.get("/sos")
def sos_queue(
    all: bool = False,
    actor: Actor = Depends(require(P.SOS_READ)),
    uow: UnitOfWork = ReadUnit,
) -> list[dict[str, Any]]:
    """The SOS raised in one's jurisdiction (open ones unless ``all``): escalated first, then
    the oldest."""
    return sos.queue(uow, actor, open_only=not all)


@router.get("/sos/{sos_id}")
def read_sos(
    sos_id: str, actor: Actor = Depends(require(P.SOS_READ)), uow: UnitOfWork = ReadUnit
) -> SosRead:
    """An SOS: its course, and while it is open the citizen's positions and the nearest
    available units."""
    return SosRead(**sos.read(uow, actor, sos_id))


@router.post("/sos/{sos_id}/acknowledge")
def acknowledge_sos(
    sos_id: str, actor: Actor = Depends(require(P.SOS_HANDLE)), uow: UnitOfWork = WriteUnit
) -> SosRead:
    """The control room has the SOS in hand: the citizen sees it acknowledged."""
    return SosRead(**sos.acknowledge(uow, actor, sos_id))


@router.post("/sos/{sos_id}/close")
def close_sos(
    sos_id: str, actor: Actor = Depends(require(P.SOS_HANDLE)), uow: UnitOfWork = WriteUnit
) -> SosRead:
    """Close the SOS: its positions are no longer shown, and are destroyed later."""
    return SosRead(**sos.close_by_officer(uow, actor, sos_id))


@router.get("/reports")
def report_queue(
    status: ReportState | None = None,
    kind: ReportKind | VerificationKind | Literal["community_policing"] | None = None,
    limit: Annotated[int, Query(ge=1, le=reports.PAGE_MAX)] = 100,
    actor: Actor = Depends(require(P.REPORT_READ)),
    uow: UnitOfWork = ReadUnit,
) -> list[dict[str, Any]]:
    """Citizens' reports and tips routed to one's jurisdiction, oldest first: those still open
    unless a status is asked for."""
    return reports.queue(uow, actor, status=status, kind=kind, limit=limit)


@router.get("/reports/{report_id}")
def read_report(
    report_id: str, actor: Actor = Depends(require(P.REPORT_READ)), uow: UnitOfWork = ReadUnit
) -> ReportRead:
    """A report: what the citizen said and where, its photographs' details, its course."""
    return ReportRead(**reports.read(uow, actor, report_id))


@router.get("/reports/{report_id}/photos/{photo_id}")
def report_photo(
    report_id: str,
    photo_id: str,
    actor: Actor = Depends(require(P.REPORT_READ)),
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """A report's photograph, as re-encoded (no metadata)."""
    data, fmt = reports.photo_bytes(uow, actor, report_id, photo_id)
    return Response(data, media_type=f"image/{fmt}", headers={"Cache-Control": "no-store, private"})


@router.post("/reports/{report_id}/status")
def move_report(
    report_id: str,
    body: ReportMove,
    actor: Actor = Depends(require(P.REPORT_HANDLE)),
    uow: UnitOfWork = WriteUnit,
) -> ReportRead:
    """Move a report along its course (FixMyStreet's states); the citizen is told."""
    return ReportRead(**reports.move(uow, actor, report_id, body))


@router.get("/trips")
def watched_trips(
    actor: Actor = Depends(require(P.TRIP_READ)), uow: UnitOfWork = ReadUnit
) -> list[dict[str, Any]]:
    """Travel Made Safe trips active now (or under an SOS) whose latest position lies in one's
    jurisdiction: when each was last heard from, overdue or not, under an SOS or not."""
    return trips.control_room_trips(uow, actor)


@router.get("/trips/{trip_id}")
def watched_trip(
    trip_id: str, actor: Actor = Depends(require(P.TRIP_READ)), uow: UnitOfWork = ReadUnit
) -> TripWatchRead:
    """One such trip with its positions; an ended trip (without an SOS) is 404."""
    return TripWatchRead(**trips.control_room_trip(uow, actor, trip_id))


@router.get("/lost-phones/lookup")
def lost_phone_lookup(
    imei: Annotated[str, Query(min_length=15, max_length=20)],
    purpose: Annotated[str | None, Query(max_length=300)] = None,
    actor: Actor = Depends(require(P.LOST_PHONE_READ)),
    uow: UnitOfWork = ReadUnit,
) -> LostPhoneLookup:
    """Whether a phone in hand is reported lost: its reports, released in full inside one's
    jurisdiction or with a purpose (a case number); every lookup audited."""
    return LostPhoneLookup(**lost_phones.lookup(uow, actor, imei, purpose))
