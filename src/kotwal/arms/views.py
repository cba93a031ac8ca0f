"""Console pages of the arms licence domain: find a licence (number, UIN, weapon serial,
holder's phone) or page through one's jurisdiction's licences, open a licence with its weapons
and course, act on it (suspend, reinstate, cancel, renew), and the licensing officer's queue of
suspension reviews. Everything shown comes through the gate, with a purpose outside one's
jurisdiction."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from kotwal.arms import service
from kotwal.arms.permissions import ArmsPermission
from kotwal.arms.schemas import (
    LICENCE_NUMBER_PATTERN,
    LicenceAction,
    LicenceRenew,
    LicenceStatus,
    ReviewDecision,
)
from kotwal.core.clock import station_today
from kotwal.core.errors import InvalidInput, Problem
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.web.deps import ReadUnit, WriteUnit, console
from kotwal.web.pages import render
from kotwal.web.params import Purpose

router = APIRouter(include_in_schema=False)
Reader = Annotated[Actor, Depends(console(ArmsPermission.LICENCE_READ))]
Manager = Annotated[Actor, Depends(console(ArmsPermission.LICENCE_MANAGE))]
Reviewer = Annotated[Actor, Depends(console(ArmsPermission.LICENCE_REVIEW))]
Text = Annotated[str, Form(max_length=500)]
Optional = Annotated[str, Form(max_length=100)]
#: Console actions on a licence and the service's name for each.
ACTIONS = {"suspend": "suspended", "reinstate": "reinstated", "cancel": "cancelled"}
CONSOLE_PAGE = 20


def _stations(uow: UnitOfWork, rows: list[dict[str, Any]]) -> dict[str, str]:
    """Names of the stations the (disclosed) rows point to; masked station ids are skipped."""
    return service.station_names(
        uow, {r["station_id"] for r in rows if isinstance(r.get("station_id"), str)}
    )


@router.get("/arms/licences")
def licences(
    request: Request,
    actor: Reader,
    by: Annotated[str | None, Query(pattern="^(licence_number|uin|serial|phone)$")] = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
    status: LicenceStatus | None = None,
    after: Annotated[str | None, Query(max_length=64, pattern=LICENCE_NUMBER_PATTERN)] = None,
    purpose: Purpose = None,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """Search by one key, or list the licences of one's jurisdiction a page at a time."""
    found: list[dict[str, Any]] = []
    next_after = None
    error = None
    searched = bool(by and q)
    try:
        if searched:
            found = service.find_licences(uow, actor, purpose=purpose, **{str(by): q})
        else:
            # A page a person reads; each licence and each weapon counts against the
            # reader's disclosure budget, so pages stay short.
            found, next_after = service.list_licences(
                uow, actor, status=status, after=after, limit=CONSOLE_PAGE
            )
    except Problem as exc:
        error = exc.detail or exc.title
    return render(
        request,
        "arms/licences.html",
        licences=found,
        stations=_stations(uow, found),
        by=by or "licence_number",
        q=q or "",
        status=status.value if status else "",
        purpose=purpose or "",
        searched=searched,
        next_after=next_after,
        error=error,
        today=station_today(uow.runtime),
    )


@router.get("/arms/reviews")
def reviews(
    request: Request,
    actor: Reviewer,
    status: Annotated[str, Query(pattern="^(open|decided)$")] = "open",
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """The licensing officer's queue: holders of licences here who were named in a case."""
    found = service.review_queue(uow, actor, status=status)
    return render(
        request,
        "arms/reviews.html",
        reviews=found,
        status=status,
        stations=_stations(uow, found),
    )


@router.post("/arms/reviews/{review_id}/decide")
def decide(
    review_id: str,
    actor: Reviewer,
    outcome: Annotated[str, Form(max_length=16)],
    reason: Text,
    order_reference: Optional = "",
    uow: UnitOfWork = WriteUnit,
) -> Response:
    """Suspend the licence or take no action, with the reason; back to the queue."""
    try:
        decision = ReviewDecision.model_validate(
            {"outcome": outcome, "reason": reason, "order_reference": order_reference or None}
        )
    except ValidationError as exc:
        raise InvalidInput("give an outcome and a reason of 5-500 characters") from exc
    service.decide_review(uow, actor, review_id, decision)
    return RedirectResponse("/arms/reviews", status_code=303)


@router.get("/arms/licences/{licence_id}")
def licence(
    request: Request,
    licence_id: str,
    actor: Reader,
    purpose: Purpose = None,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """One licence with its weapons; its course and the actions inside its jurisdiction."""
    record = service.read_licence(uow, actor, licence_id, purpose)
    inside = not isinstance(record["licence_number"], dict)
    events: list[Any] = []
    if inside and not purpose:
        try:
            events = service.licence_events(uow, actor, licence_id)
        except Problem:
            events = []  # a reader with a purpose sees the licence, not its internal course
    return render(
        request,
        "arms/licence.html",
        licence=record,
        events=events,
        purpose=purpose or "",
        stations=_stations(uow, [record]),
        can_manage=actor.can(ArmsPermission.LICENCE_MANAGE) and inside and not purpose,
        today=station_today(uow.runtime),
    )


@router.post("/arms/licences/{licence_id}/renew")
def renew(
    licence_id: str,
    actor: Manager,
    valid_until: Annotated[date, Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
    order_reference: Optional = "",
    uow: UnitOfWork = WriteUnit,
) -> Response:
    """Renew the licence to a new expiry date."""
    data = LicenceRenew(
        valid_until=valid_until, reason=reason or None, order_reference=order_reference or None
    )
    service.renew_licence(uow, actor, licence_id, data)
    return RedirectResponse(f"/arms/licences/{licence_id}", status_code=303)


@router.post("/arms/licences/{licence_id}/{action}")
def change_status(
    licence_id: str,
    action: str,
    actor: Manager,
    reason: Text,
    order_reference: Optional = "",
    uow: UnitOfWork = WriteUnit,
) -> Response:
    """Suspend, reinstate or cancel the licence, with the reason and the order."""
    if action not in ACTIONS:
        raise InvalidInput("the action is suspend, reinstate or cancel")
    try:
        data = LicenceAction(reason=reason, order_reference=order_reference or None)
    except ValidationError as exc:
        raise InvalidInput("give a reason of 5-500 characters") from exc
    service.change_status(uow, actor, licence_id, ACTIONS[action], data)
    return RedirectResponse(f"/arms/licences/{licence_id}", status_code=303)
