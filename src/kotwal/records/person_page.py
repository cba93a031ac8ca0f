"""The parts of a person's page beyond the record itself: aliases, the reviews of each history
sheet, the record's versions and, for those who answer for the station, who opened it.

Each part is shown only where the record's own disclosure released the fields it belongs with
(aliases are names: RESTRICTED, like the name; the course of a sheet and the versions of the
record are seen inside the jurisdiction, as on their own pages), so that the gate's audit event
for the record covers them and they are not charged twice. Reading who opened the record is an
audit-log read, audited as such.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from kotwal.core import audit
from kotwal.core.audit import actor_event
from kotwal.core.gate import ceiling, clean_purpose
from kotwal.core.models import AuditEventRow
from kotwal.core.policy import Actor, DataClass
from kotwal.core.uow import UnitOfWork
from kotwal.records.models import HistorySheetEvent, Person, PersonAlias, PersonVersion
from kotwal.records.permissions import RecordsPermission as P

#: The newest openings listed on a record's page (the audit log holds them all).
OPENED_MAX = 50
VERSIONS_MAX = 50
ALIASES_MAX = 50


@dataclass(frozen=True)
class Opening:
    """One time a record was opened (or refused), from the audit log."""

    at: datetime
    by: str
    outcome: str
    purpose: str | None
    outside: bool


def _person(uow: UnitOfWork, person_id: str) -> Person | None:
    return uow.session.get(Person, person_id)


def aliases(uow: UnitOfWork, actor: Actor, person_id: str, purpose: str | None) -> list[str]:
    """The person's other names, where the gate released the record's names to this reader."""
    person = _person(uow, person_id)
    if person is None:
        return []
    inside = actor.covers(person.jurisdiction_path)
    if ceiling(actor, inside, clean_purpose(purpose)) < DataClass.RESTRICTED:
        return []
    stmt = (
        select(PersonAlias.name)
        .where(PersonAlias.person_id == person_id)
        .order_by(PersonAlias.name)
        .limit(ALIASES_MAX)
    )
    return list(uow.session.execute(stmt).scalars())


def sheet_courses(
    uow: UnitOfWork, actor: Actor, sheets: list[dict[str, Any]]
) -> dict[str, list[HistorySheetEvent]]:
    """Each released sheet's course (opened, reviews, closed) for a reader inside the person's
    jurisdiction, as the sheet's own page shows it; one query for all of them."""
    wanted = [s["id"] for s in sheets if not isinstance(s.get("next_review_on"), dict)]
    if not wanted:
        return {}
    stmt = (
        select(HistorySheetEvent)
        .where(HistorySheetEvent.sheet_id.in_(wanted))
        .order_by(HistorySheetEvent.sheet_id, HistorySheetEvent.version, HistorySheetEvent.at)
    )
    found: dict[str, list[HistorySheetEvent]] = {}
    for event in uow.session.execute(stmt).scalars():
        found.setdefault(event.sheet_id, []).append(event)
    return found


def versions(uow: UnitOfWork, actor: Actor, person_id: str) -> list[PersonVersion] | None:
    """The record's earlier versions (who changed which fields, when), newest first, inside
    its jurisdiction; None outside it (the page says so)."""
    person = _person(uow, person_id)
    if person is None or not actor.covers(person.jurisdiction_path):
        return None
    stmt = (
        select(PersonVersion)
        .where(PersonVersion.person_id == person_id)
        .order_by(PersonVersion.version.desc())
        .limit(VERSIONS_MAX)
    )
    return list(uow.session.execute(stmt).scalars())


def who_opened(uow: UnitOfWork, actor: Actor, person_id: str) -> list[Opening] | None:
    """Who opened the record, newest first, from the audit log: for a reader who answers for
    the station it is filed at (``records:person_access:read``, inside the jurisdiction);
    None for anyone else. Reading it is audited."""
    if not actor.can(P.PERSON_ACCESS_READ):
        return None
    person = _person(uow, person_id)
    if person is None or not actor.covers(person.jurisdiction_path):
        return None
    rows = audit.search(
        uow.session,
        action="record.disclose",
        resource_type="person",
        resource_id=person_id,
        limit=OPENED_MAX,
    )
    uow.audit(
        actor_event(
            actor,
            "records.person.openings",
            resource_type="person",
            resource_id=person_id,
            detail={"events": len(rows)},
        )
    )
    return [_opening(r) for r in rows]


def _opening(row: AuditEventRow) -> Opening:
    try:
        detail = json.loads(row.detail or "{}")
    except ValueError:
        detail = {}
    return Opening(
        at=datetime.fromtimestamp(row.at_us / 1_000_000, UTC),
        by=row.actor_name,
        outcome=row.outcome,
        purpose=row.purpose,
        outside=bool(detail.get("out_of_jurisdiction")),
    )
