"""History sheets: opened on a person at a station, reviewed on schedule, closed with a
reason; each step is an event, so a sheet's course is never overwritten."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.clock import add_months, station_today, utcnow
from kotwal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from kotwal.core.gate import disclose
from kotwal.core.policy import Actor
from kotwal.core.scope import in_jurisdiction, require
from kotwal.core.uow import UnitOfWork
from kotwal.records.models import HistorySheet, HistorySheetCategory, HistorySheetEvent
from kotwal.records.permissions import RecordsPermission
from kotwal.records.schemas import HistorySheetClose, HistorySheetOpen, HistorySheetReview
from kotwal.records.shared import person_exists, writable_station

HISTORY_SHEET_PAGE_MAX = 200


def _sheet_event(
    sheet: HistorySheet,
    actor: Actor,
    action: str,
    previous: date | None = None,
    note: str | None = None,
) -> HistorySheetEvent:
    return HistorySheetEvent(
        sheet_id=sheet.id,
        action=action,
        version=sheet.version,
        previous_review_on=previous,
        next_review_on=sheet.next_review_on,
        note=note,
        by=actor.account_id,
        by_name=actor.username,
    )


def _sheet_audit(actor: Actor, action: str, sheet: HistorySheet) -> AuditEvent:
    return actor_event(
        actor,
        action,
        Outcome.SUCCESS,
        resource_type="history_sheet",
        resource_id=sheet.id,
        detail={"version": sheet.version},
    )


def open_history_sheet(uow: UnitOfWork, actor: Actor, data: HistorySheetOpen) -> dict[str, Any]:
    """Open a history sheet on a person at a station in the actor's jurisdiction."""
    require(actor, RecordsPermission.HISTORY_SHEET_WRITE)
    station = writable_station(uow, actor, data.station_id, "history_sheet.open", "history_sheet")
    if not person_exists(uow, data.person_id):
        raise InvalidInput("person_id does not name a person")
    category = uow.session.get(HistorySheetCategory, data.category)
    if category is None:
        raise InvalidInput("category is not a history sheet category")
    opened_on = data.opened_on or station_today(uow.runtime)
    if opened_on > station_today(uow.runtime):
        raise InvalidInput("a history sheet cannot be opened in the future")
    next_review = data.next_review_on or add_months(opened_on, category.review_months)
    if next_review <= opened_on:
        raise InvalidInput("the next review falls after the opening date")
    already = uow.session.execute(
        select(HistorySheet.id).where(
            HistorySheet.person_id == data.person_id,
            HistorySheet.category == category.code,
            HistorySheet.closed_on.is_(None),
        )
    ).first()
    if already is not None:
        raise Conflict("this person already has an open history sheet of this category")
    sheet = HistorySheet(
        person_id=data.person_id,
        category=category.code,
        station_id=station.id,
        jurisdiction_path=station.path,
        legal_basis=data.legal_basis,
        modus_operandi=data.modus_operandi,
        opened_on=opened_on,
        next_review_on=next_review,
        version=1,
    )
    uow.session.add(sheet)
    uow.session.flush()
    uow.session.add(_sheet_event(sheet, actor, "opened"))
    uow.audit(_sheet_audit(actor, "history_sheet.open", sheet))
    return disclose(uow, actor, None, [sheet], kind="echo")[0]


def _sheet(uow: UnitOfWork, sheet_id: str) -> HistorySheet:
    sheet = uow.session.get(HistorySheet, sheet_id)
    if sheet is None:
        raise NotFound("no such history sheet")
    return sheet


def read_history_sheet(
    uow: UnitOfWork, actor: Actor, sheet_id: str, purpose: str | None
) -> dict[str, Any]:
    """One history sheet, as the gate releases it to this reader (and this purpose)."""
    return disclose(uow, actor, purpose, [_sheet(uow, sheet_id)])[0]


def person_history_sheets(
    uow: UnitOfWork, actor: Actor, person_id: str, purpose: str | None
) -> list[dict[str, Any]]:
    """A person's history sheets, open and closed, newest first, through the gate."""
    require(actor, RecordsPermission.HISTORY_SHEET_READ)
    if not person_exists(uow, person_id):
        raise NotFound("no such person")
    stmt = (
        select(HistorySheet)
        .where(HistorySheet.person_id == person_id)
        .order_by(HistorySheet.opened_on.desc(), HistorySheet.id)
        .limit(HISTORY_SHEET_PAGE_MAX)
    )
    return disclose(uow, actor, purpose, list(uow.session.execute(stmt).scalars()))


def _writable_sheet(uow: UnitOfWork, actor: Actor, sheet_id: str, action: str) -> HistorySheet:
    require(actor, RecordsPermission.HISTORY_SHEET_WRITE)
    sheet = _sheet(uow, sheet_id)
    writable_station(uow, actor, sheet.station_id, action, "history_sheet")
    if sheet.closed_on is not None:
        raise Conflict("this history sheet is closed")
    return sheet


def review_history_sheet(
    uow: UnitOfWork, actor: Actor, sheet_id: str, data: HistorySheetReview
) -> dict[str, Any]:
    """Record a review of an open sheet and set when the next one is due."""
    sheet = _writable_sheet(uow, actor, sheet_id, "history_sheet.review")
    if data.next_review_on <= station_today(uow.runtime):
        raise InvalidInput("the next review falls after today")
    previous = sheet.next_review_on
    sheet.next_review_on = data.next_review_on
    sheet.version += 1
    sheet.updated_at = utcnow()
    uow.session.add(_sheet_event(sheet, actor, "reviewed", previous, data.note))
    uow.session.flush()
    uow.audit(_sheet_audit(actor, "history_sheet.review", sheet))
    return disclose(uow, actor, None, [sheet])[0]


def close_history_sheet(
    uow: UnitOfWork, actor: Actor, sheet_id: str, data: HistorySheetClose
) -> dict[str, Any]:
    """Close an open sheet with the reason (death, reform, order of the superintendent)."""
    sheet = _writable_sheet(uow, actor, sheet_id, "history_sheet.close")
    closed_on = data.closed_on or station_today(uow.runtime)
    if not sheet.opened_on <= closed_on <= station_today(uow.runtime):
        raise InvalidInput("a sheet closes between its opening date and today")
    sheet.closed_on = closed_on
    sheet.close_reason = data.reason
    sheet.version += 1
    sheet.updated_at = utcnow()
    uow.session.add(_sheet_event(sheet, actor, "closed", sheet.next_review_on, data.reason))
    uow.session.flush()
    uow.audit(_sheet_audit(actor, "history_sheet.close", sheet))
    return disclose(uow, actor, None, [sheet])[0]


def overdue_history_sheets(
    uow: UnitOfWork, actor: Actor, limit: int = HISTORY_SHEET_PAGE_MAX
) -> list[dict[str, Any]]:
    """Open sheets in the actor's jurisdiction whose review date has passed, most overdue
    first: the station house officer's list of reviews to hold."""
    require(actor, RecordsPermission.HISTORY_SHEET_SUPERVISE)
    stmt = (
        select(HistorySheet)
        .where(
            in_jurisdiction(HistorySheet.jurisdiction_path, actor),
            HistorySheet.closed_on.is_(None),
            HistorySheet.next_review_on < station_today(uow.runtime),
        )
        .order_by(HistorySheet.next_review_on, HistorySheet.id)
        .limit(min(limit, HISTORY_SHEET_PAGE_MAX))
    )
    return disclose(uow, actor, None, list(uow.session.execute(stmt).scalars()))


def history_sheet_events(uow: UnitOfWork, actor: Actor, sheet_id: str) -> list[HistorySheetEvent]:
    """A sheet's course (opened, each review, closed), for readers inside its jurisdiction."""
    sheet = _sheet(uow, sheet_id)
    disclose(uow, actor, None, [sheet])  # the same door, and the same audit, as a read
    if not actor.covers(sheet.jurisdiction_path):
        raise Forbidden("the course of a history sheet is visible inside its jurisdiction")
    stmt = (
        select(HistorySheetEvent)
        .where(HistorySheetEvent.sheet_id == sheet.id)
        .order_by(HistorySheetEvent.version, HistorySheetEvent.at)
        .limit(HISTORY_SHEET_PAGE_MAX)
    )
    return list(uow.session.execute(stmt).scalars())
