"""Console pages of the breach defences: the step-up page a session is sent to after a soft
disclosure limit, and the security officers' alert queue with each alert's account, records,
timeline and signals, where a suspension is lifted (or an alert closed) with a reason."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from kotwal.core.errors import Problem
from kotwal.core.policy import Actor, Permission
from kotwal.core.uow import UnitOfWork
from kotwal.watch import purposes, service
from kotwal.watch.permissions import WatchPermission
from kotwal.web.deps import ReadUnit, WriteUnit, console
from kotwal.web.pages import render

router = APIRouter(include_in_schema=False)
Self = Annotated[Actor, Depends(console(Permission.CORE_SELF))]
AlertReader = Annotated[Actor, Depends(console(WatchPermission.ALERT_READ))]
AlertManager = Annotated[Actor, Depends(console(WatchPermission.ALERT_MANAGE))]
QUEUE_PAGE = 100


@router.get("/step-up")
def step_up_form(request: Request, actor: Self) -> Response:
    """Ask for a fresh authenticator code."""
    return render(request, "watch/step_up.html", error=None)


@router.post("/step-up")
def step_up(
    request: Request,
    actor: Self,
    totp: Annotated[str, Form(max_length=8)],
    uow: UnitOfWork = WriteUnit,
) -> Response:
    """Check the code; on success the session carries on where it was stopped."""
    try:
        service.step_up(uow, actor, totp)
    except Problem as exc:
        return render(
            request, "watch/step_up.html", status_code=exc.status, error=exc.detail or exc.title
        )
    return RedirectResponse("/", status_code=303)


@router.get("/security/alerts")
def alerts(
    request: Request,
    actor: AlertReader,
    status: Annotated[Literal["open", "closed", "lifted", "all"], Query()] = "open",
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """The queue: newest first, open alerts unless asked otherwise."""
    views = service.list_alerts(
        uow, actor, status=None if status == "all" else status, limit=QUEUE_PAGE
    )
    return render(request, "watch/alerts.html", alerts=views, status=status)


@router.get("/security/alerts/{alert_id}")
def alert(
    request: Request,
    alert_id: str,
    actor: AlertReader,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """One alert: who, which records, when, and why (the signals)."""
    found = service.read_alert(uow, actor, alert_id)
    return render(request, "watch/alert.html", found=found, error=None)


def _review(
    request: Request,
    uow: UnitOfWork,
    actor: Actor,
    alert_id: str,
    reason: str,
    lift: bool,
) -> Response:
    try:
        if lift:
            service.lift_suspension(uow, actor, alert_id, reason)
        else:
            service.close_alert(uow, actor, alert_id, reason)
    except Problem as exc:
        uow.rollback()
        found = service.read_alert(uow, actor, alert_id)
        return render(
            request,
            "watch/alert.html",
            status_code=exc.status,
            found=found,
            error=exc.detail or exc.title,
        )
    return RedirectResponse(f"/security/alerts/{alert_id}", status_code=303)


@router.post("/security/alerts/{alert_id}/lift")
def lift(
    request: Request,
    alert_id: str,
    actor: AlertManager,
    reason: Annotated[str, Form(max_length=300)],
    uow: UnitOfWork = WriteUnit,
) -> Response:
    """Lift the account's suspension with a reason (audited)."""
    return _review(request, uow, actor, alert_id, reason, lift=True)


@router.post("/security/alerts/{alert_id}/close")
def close(
    request: Request,
    alert_id: str,
    actor: AlertManager,
    reason: Annotated[str, Form(max_length=300)],
    uow: UnitOfWork = WriteUnit,
) -> Response:
    """Close an alert after review with a reason (audited)."""
    return _review(request, uow, actor, alert_id, reason, lift=False)


PurposeReviewer = Annotated[Actor, Depends(console(WatchPermission.PURPOSE_REVIEW))]


def _purposes_page(
    request: Request,
    uow: UnitOfWork,
    actor: Actor,
    status: Literal["pending", "judged", "all"],
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    entries = purposes.review_queue(uow, actor, status=status, limit=QUEUE_PAGE)
    return render(
        request,
        "watch/purposes.html",
        status_code=status_code,
        entries=entries,
        counts=purposes.stats(uow, actor),
        status=status,
        error=error,
    )


@router.get("/security/purposes")
def purpose_reviews(
    request: Request,
    actor: PurposeReviewer,
    status: Annotated[Literal["pending", "judged", "all"], Query()] = "pending",
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """The reads under a purpose sampled for this supervisor's verdict."""
    return _purposes_page(request, uow, actor, status)


@router.post("/security/purposes/{entry_id}")
def judge_purpose(
    request: Request,
    entry_id: str,
    actor: PurposeReviewer,
    verdict: Annotated[str, Form(max_length=16)],
    note: Annotated[str, Form(max_length=300)],
    uow: UnitOfWork = WriteUnit,
) -> Response:
    """Record a verdict with a note (audited); back to the queue."""
    try:
        purposes.judge(uow, actor, entry_id, verdict, note)
    except Problem as exc:
        uow.rollback()
        return _purposes_page(
            request, uow, actor, "pending", error=exc.detail or exc.title, status_code=exc.status
        )
    return RedirectResponse("/security/purposes", status_code=303)
