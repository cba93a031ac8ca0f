"""The records domain's panel on the start page: a station's daily figures for those who
answer for it (station house officer; circle and district side by side per station; zone and
state per district). Every count is an aggregate query under the same conditions as the lists
its reader can open one by one: the jurisdiction condition of every scoped read, the
permission of the list, and the list's own filter."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from kotwal.core.clock import station_today
from kotwal.core.policy import Actor, Jurisdiction
from kotwal.core.runtime import Runtime
from kotwal.core.scope import in_jurisdiction
from kotwal.core.uow import UnitOfWork
from kotwal.panels import STATION_PANELS, Panel, add_counts, command_panel, month_start
from kotwal.records.models import Case, CaseParty, HistorySheet, Person
from kotwal.records.permissions import RecordsPermission as P
from kotwal.records.schemas import PersonStatus

OVERDUE = "Overdue history-sheet reviews"
CASES = "Cases registered this month"
NAMED = "Persons named this month"
ABSCONDING = "Absconding persons"


def overdue_by_station(uow: UnitOfWork, actor: Actor, today: date) -> list[tuple[str, int]]:
    """Open history sheets past their review date (the overdue list's filter), per station."""
    stmt = (
        select(HistorySheet.station_id, func.count())
        .where(
            in_jurisdiction(HistorySheet.jurisdiction_path, actor),
            HistorySheet.closed_on.is_(None),
            HistorySheet.next_review_on < today,
        )
        .group_by(HistorySheet.station_id)
    )
    return [(s, n) for s, n in uow.session.execute(stmt).all()]


def cases_by_station(uow: UnitOfWork, actor: Actor, today: date) -> list[tuple[str, int]]:
    """Cases registered from the first of this month to today, per station."""
    stmt = (
        select(Case.station_id, func.count())
        .where(
            in_jurisdiction(Case.jurisdiction_path, actor),
            Case.registered_on >= month_start(today),
            Case.registered_on <= today,
        )
        .group_by(Case.station_id)
    )
    return [(s, n) for s, n in uow.session.execute(stmt).all()]


def named_by_station(uow: UnitOfWork, actor: Actor, today: date) -> list[tuple[str, int]]:
    """Distinct persons named in a case (in any part) this month, per station of the case."""
    stmt = (
        select(Case.station_id, func.count(func.distinct(CaseParty.person_id)))
        .join(Case, Case.id == CaseParty.case_id)
        .where(
            in_jurisdiction(CaseParty.jurisdiction_path, actor),
            CaseParty.role_on >= month_start(today),
            CaseParty.role_on <= today,
        )
        .group_by(Case.station_id)
    )
    return [(s, n) for s, n in uow.session.execute(stmt).all()]


def absconding_by_station(uow: UnitOfWork, actor: Actor) -> list[tuple[str, int]]:
    """Persons whose status is absconding, per station they are filed at."""
    stmt = (
        select(Person.station_id, func.count())
        .where(
            in_jurisdiction(Person.jurisdiction_path, actor),
            Person.status == PersonStatus.ABSCONDING.value,
        )
        .group_by(Person.station_id)
    )
    return [(s, n) for s, n in uow.session.execute(stmt).all()]


def panels(uow: UnitOfWork, actor: Actor) -> list[Panel]:
    """The command panel, for those who supervise history sheets (station command and up);
    each figure only with the permission of the list it counts."""
    if not actor.can(P.HISTORY_SHEET_SUPERVISE):
        return []
    today = station_today(uow.runtime)
    columns = [OVERDUE]
    if actor.can(P.CASE_READ):
        columns += [CASES, NAMED]
    if actor.can(P.PERSON_READ):
        columns.append(ABSCONDING)
    width = len(columns)
    counts: dict[str, list[int]] = {}
    add_counts(counts, 0, width, overdue_by_station(uow, actor, today))
    if CASES in columns:
        add_counts(counts, columns.index(CASES), width, cases_by_station(uow, actor, today))
        add_counts(counts, columns.index(NAMED), width, named_by_station(uow, actor, today))
    if ABSCONDING in columns:
        add_counts(counts, columns.index(ABSCONDING), width, absconding_by_station(uow, actor))
    return [
        command_panel(
            uow,
            actor,
            key="records.command",
            title="My jurisdiction today",
            question=f"What needs attention in my jurisdiction today ({today:%d %B %Y})?",
            columns=columns,
            counts=counts,
            links={OVERDUE: "/history-sheets/overdue"},
        )
    ]


STATUS_TITLES = {
    PersonStatus.ACTIVE.value: "Active",
    PersonStatus.ABSCONDING.value: "Absconding",
    PersonStatus.IN_CUSTODY.value: "In custody",
    PersonStatus.DECEASED.value: "Deceased",
    PersonStatus.TRACED.value: "Traced",
}


def station_panels(uow: UnitOfWork, actor: Actor, station: Jurisdiction) -> list[Panel]:
    """Persons filed at a station by status, and its open history sheets (for a reader who
    may open them, inside the jurisdiction: :func:`kotwal.panels.station_panels`)."""
    if not actor.can(P.PERSON_READ):
        return []
    stmt = (
        select(Person.status, func.count())
        # Filed at the station is filed under its path: the equality uses the path's index.
        .where(
            in_jurisdiction(Person.jurisdiction_path, actor),
            Person.jurisdiction_path == station.path,
        )
        .group_by(Person.status)
    )
    counts = dict(uow.session.execute(stmt).all())
    rows = [(title, [int(counts.get(s, 0))]) for s, title in STATUS_TITLES.items()]
    if actor.can(P.HISTORY_SHEET_READ):
        sheets = uow.session.execute(
            select(func.count()).where(
                in_jurisdiction(HistorySheet.jurisdiction_path, actor),
                HistorySheet.jurisdiction_path == station.path,
                HistorySheet.closed_on.is_(None),
            )
        ).scalar_one()
        rows.append(("Open history sheets", [int(sheets)]))
    return [
        Panel(
            key="records.station",
            title=f"Persons filed here: {sum(int(n) for n in counts.values()):,}",
            question="Whom does this station keep records on, and where are they now?",
            columns=("Persons",),
            rows=rows,
            row_header="Status",
        )
    ]


def install(runtime: Runtime) -> None:
    """Give a station's page its figures of persons filed there."""
    runtime.hooks.register(STATION_PANELS, "records.station", station_panels)
