"""JSON routes of the breach defences: a session's step-up, and the security officers' alert
queue (list, detail, lift a suspension, close an alert). Routes are thin."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from kotwal.core.policy import Actor, Permission
from kotwal.core.uow import UnitOfWork
from kotwal.watch import purposes, service
from kotwal.watch.models import WatchPurposeRead
from kotwal.watch.permissions import WatchPermission
from kotwal.watch.schemas import (
    AlertDetailRead,
    AlertPage,
    AlertRecordRead,
    AlertSummary,
    PurposeReadOut,
    PurposeReadPage,
    PurposeVerdict,
    ReviewReason,
    SignalRead,
    StepUp,
    SuspensionRead,
    TimelineEntry,
)
from kotwal.web.deps import ReadUnit, WriteUnit, require

router = APIRouter(tags=["security"])
Self = Annotated[Actor, Depends(require(Permission.CORE_SELF))]
AlertReader = Annotated[Actor, Depends(require(WatchPermission.ALERT_READ))]
AlertManager = Annotated[Actor, Depends(require(WatchPermission.ALERT_MANAGE))]
PAGE_MAX = 100


@router.post("/session/step-up", status_code=204)
def step_up(body: StepUp, actor: Self, uow: UnitOfWork = WriteUnit) -> Response:
    """Re-authenticate this session with a fresh TOTP code after a soft disclosure limit."""
    service.step_up(uow, actor, body.totp)
    return Response(status_code=204)


def summary(view: service.AlertView) -> AlertSummary:
    """The queue's line for an alert."""
    a = view.alert
    return AlertSummary(
        id=a.id,
        account_id=a.account_id,
        username=view.username,
        kind=a.kind,
        action=a.action,
        status=a.status,
        score=a.score,
        signals=[SignalRead.model_validate(s) for s in view.signals],
        record_count=view.record_count,
        account_suspended=view.suspended,
        created_at=a.created_at,
        closed_at=a.closed_at,
    )


@router.get("/security/alerts")
def list_alerts(
    actor: AlertReader,
    status: Literal["open", "closed", "lifted", "all"] = "open",
    before: datetime | None = None,
    limit: int = Query(default=50, ge=1, le=PAGE_MAX),
    uow: UnitOfWork = ReadUnit,
) -> AlertPage:
    """The alert queue, newest first; ``before`` (a ``created_at``) pages back."""
    views = service.list_alerts(
        uow, actor, status=None if status == "all" else status, limit=limit, before=before
    )
    return AlertPage(items=[summary(v) for v in views])


@router.get("/security/alerts/{alert_id}")
def read_alert(alert_id: str, actor: AlertReader, uow: UnitOfWork = ReadUnit) -> AlertDetailRead:
    """An alert: the account, the records, the timeline and the signals that fired."""
    found = service.read_alert(uow, actor, alert_id)
    return AlertDetailRead(
        **summary(found.view).model_dump(),
        detail=found.view.detail,
        close_reason=found.view.alert.close_reason,
        records=[
            AlertRecordRead(
                record_id=r.record_id, resource_type=r.resource_type, withheld=r.withheld
            )
            for r in found.records
        ],
        timeline=[TimelineEntry.model_validate(t) for t in found.timeline],
        suspensions=[
            SuspensionRead(
                started_at=s.started_at,
                lifted_at=s.lifted_at,
                lifted_by=s.lifted_by,
                lift_reason=s.lift_reason,
            )
            for s in found.suspensions
        ],
    )


@router.post("/security/alerts/{alert_id}/lift")
def lift_suspension(
    alert_id: str, body: ReviewReason, actor: AlertManager, uow: UnitOfWork = WriteUnit
) -> AlertSummary:
    """Lift the suspension of the alert's account, with a reason (audited)."""
    return summary(service.lift_suspension(uow, actor, alert_id, body.reason))


@router.post("/security/alerts/{alert_id}/close")
def close_alert(
    alert_id: str, body: ReviewReason, actor: AlertManager, uow: UnitOfWork = WriteUnit
) -> AlertSummary:
    """Close an alert after review, with a reason (audited); a suspension stays until lifted."""
    return summary(service.close_alert(uow, actor, alert_id, body.reason))


PurposeReviewer = Annotated[Actor, Depends(require(WatchPermission.PURPOSE_REVIEW))]


def purpose_out(entry: WatchPurposeRead) -> PurposeReadOut:
    """A review entry as the API shows it (identifiers and the purpose, no record content)."""
    return PurposeReadOut(
        id=entry.id,
        account_id=entry.account_id,
        username=entry.username,
        purpose=entry.purpose,
        case_number=entry.case_number,
        reason=entry.reason,
        resource_type=entry.resource_type,
        kind=entry.kind,
        records=entry.records,
        record_ids=json.loads(entry.record_ids),
        at=entry.at,
        verdict=entry.verdict,
        reviewed_at=entry.reviewed_at,
        note=entry.note,
    )


@router.get("/security/purpose-reviews")
def purpose_reviews(
    actor: PurposeReviewer,
    status: Literal["pending", "judged", "all"] = "pending",
    limit: int = Query(default=50, ge=1, le=PAGE_MAX),
    uow: UnitOfWork = ReadUnit,
) -> PurposeReadPage:
    """Reads beyond their readers' jurisdiction under a purpose, sampled for the reviewer's
    verdict (readers posted inside the reviewer's jurisdiction; never the reviewer's own)."""
    entries = purposes.review_queue(uow, actor, status=status, limit=limit)
    counts = purposes.stats(uow, actor)
    return PurposeReadPage(
        items=[purpose_out(e) for e in entries],
        reads=counts.reads,
        sampled=counts.sampled,
        judged=counts.judged,
        unjustified=counts.unjustified,
    )


@router.post("/security/purpose-reviews/{entry_id}/verdict")
def judge_purpose(
    entry_id: str, body: PurposeVerdict, actor: PurposeReviewer, uow: UnitOfWork = WriteUnit
) -> PurposeReadOut:
    """Judge a sampled read justified or not, with a note (audited); an unjustified read
    raises an alert for the security officers."""
    return purpose_out(purposes.judge(uow, actor, entry_id, body.verdict, body.note))
