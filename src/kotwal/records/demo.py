"""Synthetic history sheets and cases for ``kotwal demo``, written in bulk.

Which persons get a sheet or are named in a case is decided by a hash of each person's own
data (name, father's name, birth year, address, station code) and the seed, never by the order
rows come back in or by their random ids; the details are then drawn from a generator seeded
by the same seed, in an order fixed by those hashes. So the same seed, size and day give the
same sheets and cases. Dates are counted back from "today" so that the supervisors' lists look
alive: some sheets' reviews are overdue, recent cases cite the BNS and older ones the IPC.

Rows go in with multi-row INSERTs, one transaction per batch, each with the audit events the
services write for the same steps (``history_sheet.open`` / ``.review`` / ``.close``,
``case.create``, ``case.party_add``), so the audit log tells the seeding as it tells real work.
Everything written says so: legal bases begin with "DEMO", and the persons are the demo's.
The case-party hooks of other domains are not called: these cases are the past, not news.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, select

from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.clock import add_months, station_today, utcnow
from kotwal.core.db import Base, new_id
from kotwal.core.errors import Forbidden
from kotwal.core.policy import Actor, Jurisdiction
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.manifest import DemoContext
from kotwal.records.demo_persons import seed_persons
from kotwal.records.models import (
    Case,
    CaseParty,
    HistorySheet,
    HistorySheetCategory,
    HistorySheetEvent,
    LawSection,
    Person,
)
from kotwal.records.permissions import RecordsPermission
from kotwal.records.schemas import CasePartyRole

#: Shares of persons with a history sheet and named in a case.
SHEET_SHARE = 0.08
CASE_SHARE = 0.25
#: The day the Bharatiya Nyaya Sanhita replaced the Indian Penal Code.
BNS_IN_FORCE = date(2024, 7, 1)
Progress = Callable[[int, int], None]

_CATEGORY_WEIGHTS = {"rowdy_sheet": 35, "suspect_sheet": 30, "kd": 15, "habitual_offender": 20}
_LEGAL_BASES = [
    "DEMO: Standing Order 601 of the Commissioner (synthetic)",
    "DEMO: order of the Deputy Commissioner of Police (synthetic)",
    "DEMO: Police Standing Orders, order 742 (synthetic)",
]
# A table of data, aligned by hand: it reads better in rows than one item a line.
_MODUS = {
    "rowdy_sheet": ["threatens shopkeepers for weekly payments", "fights at wine shops",
                    "land-grab intimidation with hired men", "settles disputes by force"],
    "suspect_sheet": ["seen near house-breakings at night", "sells stolen phones at markets",
                      "receives stolen gold", "chain-snatching on a two-wheeler"],
    "kd": ["house-breaking by night through rear windows", "steals two-wheelers from parking",
           "lifting bags at bus stands", "breaks locks of closed shops"],
    "habitual_offender": ["repeated thefts from temples", "cheating with fake gold",
                          "pick-pocketing in crowded buses", "illicit liquor"],
}  # fmt: skip
_CLOSE_REASONS = [
    "DEMO: reformed; no report for three years",
    "DEMO: died",
    "DEMO: left the district; sheet transferred",
    "DEMO: closed by order of the DCP",
]
#: Sections cases mostly cite (BNS codes, weights); the IPC equivalent before BNS_IN_FORCE.
# A table of data, aligned by hand: it reads better in rows than one item a line.
_PRIMARY = {
    "BNS 303": 30, "BNS 304": 8, "BNS 305": 8, "BNS 331": 8, "BNS 309": 5, "BNS 115": 10,
    "BNS 117": 3, "BNS 318": 8, "BNS 316": 3, "BNS 351": 5, "BNS 126": 2, "BNS 329": 3,
    "BNS 317": 2, "BNS 308": 2, "BNS 109": 1, "BNS 103": 1, "BNS 85": 3, "BNS 281": 3,
    "BNS 191": 1, "BNS 336": 1,
}  # fmt: skip
_SECONDARY = ["BNS 351", "BNS 115", "BNS 317", "BNS 329"]
_COMMON_INTENTION = "BNS 3(5)"
_PARTIES = (1, 2, 3)
_PARTY_WEIGHTS = (72, 20, 8)


@dataclass(frozen=True, order=True)
class _Pick:
    """A person chosen for a sheet or a case; sorts by station, then by the hash."""

    station_code: str
    digest: bytes
    person_id: str
    station_id: str
    path: str


def _picks(runtime: Runtime, actor: Actor, seed: int, salt: str, share: float) -> list[_Pick]:
    """The persons a hash of their own data (and the seed) selects, in a reproducible order."""
    stmt = (
        select(
            Person.id,
            Person.name,
            Person.name_te,
            Person.father_name,
            Person.birth_year,
            Person.marks,
            Person.category,
            Person.status,
            Person.station_id,
            Person.jurisdiction_path,
            Jurisdiction.code,
        )
        .join(Jurisdiction, Jurisdiction.id == Person.station_id)
        .execution_options(yield_per=10_000)
    )
    cut = int(share * (1 << 64))
    picks: list[_Pick] = []
    with UnitOfWork(runtime, write=False) as uow:
        for row in uow.session.execute(stmt):
            # Sealed fields (phone, address) are ciphertext that differs run to run, so they
            # cannot pick; the plain fields and the station's code do.
            text = (
                f"{salt}|{seed}|{row.name}|{row.name_te}|{row.father_name}|"
                f"{row.birth_year}|{row.marks}|{row.category}|{row.status}|{row.code}"
            )
            digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
            if int.from_bytes(digest, "big") < cut:
                if not actor.covers(row.jurisdiction_path):
                    raise Forbidden("the demo seeder must cover every station")
                picks.append(_Pick(row.code, digest, row.id, row.station_id, row.jurisdiction_path))
    picks.sort()
    return picks


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def _write(
    runtime: Runtime,
    rows: dict[type[Base], list[dict[str, Any]]],
    events: list[AuditEvent],
) -> None:
    """One batch, one transaction: the rows (in the order given, parents first) and their
    audit events commit together."""
    with UnitOfWork(runtime, write=True) as uow:
        for model, batch in rows.items():
            if batch:
                uow.session.execute(insert(_table(model)), batch)
        uow.audit_many(events)


def _batches(picks: list[_Pick], size: int) -> Iterator[list[_Pick]]:
    for start in range(0, len(picks), size):
        yield picks[start : start + size]


# --- history sheets --------------------------------------------------------------------------


def seed_history_sheets(
    runtime: Runtime,
    actor: Actor,
    seed: int,
    *,
    today: date | None = None,
    share: float = SHEET_SHARE,
    batch: int = 5000,
    progress: Progress | None = None,
) -> int:
    """Open a history sheet on about ``share`` of the persons at their own stations: most
    under review, about one in six with the review overdue, one in ten closed. Returns how many
    sheets were opened."""
    if not actor.can(RecordsPermission.HISTORY_SHEET_WRITE):
        raise Forbidden()
    today = today or station_today(runtime)
    with UnitOfWork(runtime, write=False) as uow:
        kinds = uow.session.execute(
            select(HistorySheetCategory.code, HistorySheetCategory.review_months)
        )
        months = {str(code): int(every) for code, every in kinds}
    categories = sorted(months)
    if not categories:
        return 0  # a database without the reference rows of migration 0005
    weights = [_CATEGORY_WEIGHTS.get(code, 5) for code in categories]
    picks = _picks(runtime, actor, seed, "history-sheet", share)
    rng = random.Random(f"history-sheets|{seed}")  # noqa: S311  # nosec B311 - fake data
    done = 0
    for chunk in _batches(picks, batch):
        sheets: list[dict[str, Any]] = []
        steps: list[dict[str, Any]] = []
        events: list[AuditEvent] = []
        for pick in chunk:
            category = rng.choices(categories, weights)[0]
            sheet, course = _sheet(rng, pick, category, months[category], today, actor)
            sheets.append(sheet)
            steps.extend(course)
            events.extend(
                actor_event(
                    actor,
                    f"history_sheet.{_VERB[step['action']]}",
                    Outcome.SUCCESS,
                    resource_type="history_sheet",
                    resource_id=sheet["id"],
                    detail={"version": step["version"]},
                )
                for step in course
            )
        _write(runtime, {HistorySheet: sheets, HistorySheetEvent: steps}, events)
        done += len(chunk)
        if progress is not None:
            progress(done, len(picks))
    return done


_VERB = {"opened": "open", "reviewed": "review", "closed": "close"}


def _sheet(
    rng: random.Random, pick: _Pick, category: str, months: int, today: date, actor: Actor
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A sheet and its course (opened; the latest review, if one was due; closed)."""
    fate = rng.random()
    closed, overdue = fate < 0.10, 0.10 <= fate < 0.27
    # An overdue sheet was opened at least one review period ago; a closed one two months ago.
    earliest = 190 if overdue else 60 if closed else 20
    opened = today - timedelta(days=rng.randint(earliest, 6 * 365))
    reviews = 0
    due = add_months(opened, months)
    # Reviews held on time until the last due date before today (overdue) or after it.
    while (add_months(due, months) < today) if overdue else (due <= today):
        due = add_months(due, months)
        reviews += 1
    now = utcnow()
    sheet_id = new_id()
    sheet: dict[str, Any] = {
        "id": sheet_id,
        "person_id": pick.person_id,
        "category": category,
        "station_id": pick.station_id,
        "jurisdiction_path": pick.path,
        "legal_basis": rng.choice(_LEGAL_BASES),
        "modus_operandi": rng.choice(_MODUS.get(category, _MODUS["suspect_sheet"])),
        "opened_on": opened,
        "next_review_on": due,
        "closed_on": None,
        "close_reason": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }

    def step(action: str, previous: date | None, note: str | None) -> dict[str, Any]:
        return {
            "id": new_id(),
            "sheet_id": sheet_id,
            "action": action,
            "version": sheet["version"],
            "previous_review_on": previous,
            "next_review_on": sheet["next_review_on"],
            "note": note,
            "by": actor.account_id,
            "by_name": actor.username,
            "at": now,
        }

    first_due = add_months(opened, months)
    course = [step("opened", None, None) | {"next_review_on": first_due}]
    if closed:
        sheet["next_review_on"] = first_due  # closed before its first review
        closed_on = opened + timedelta(days=rng.randint(30, (today - opened).days))
        sheet.update(closed_on=closed_on, close_reason=rng.choice(_CLOSE_REASONS), version=2)
        course.append(step("closed", sheet["next_review_on"], sheet["close_reason"]))
    elif reviews:
        sheet["version"] = 2
        course.append(step("reviewed", add_months(due, -months), "DEMO: reviewed"))
    return sheet, course


# --- cases --------------------------------------------------------------------------------------


@dataclass
class _Case:
    station_code: str
    station_id: str
    path: str
    registered_on: date
    sections: list[str]
    persons: list[str]


def seed_cases(
    runtime: Runtime,
    actor: Actor,
    seed: int,
    *,
    today: date | None = None,
    share: float = CASE_SHARE,
    batch: int = 5000,
    progress: Progress | None = None,
) -> int:
    """Register cases naming about ``share`` of the persons (one to three accused each, at
    their own station), with FIR numbers station code / year / number in order of registration,
    BNS sections (IPC before July 2024) and each accused's course: arrested, charge-sheeted,
    convicted or acquitted. Returns how many cases were registered."""
    if not actor.can(RecordsPermission.CASE_WRITE):
        raise Forbidden()
    today = today or station_today(runtime)
    with UnitOfWork(runtime, write=False) as uow:
        sections = uow.session.execute(select(LawSection.code, LawSection.equivalent))
        known = {str(code): equivalent for code, equivalent in sections}
    if not any(code in known for code in _PRIMARY):
        return 0  # a database without the reference rows of migration 0005
    picks = _picks(runtime, actor, seed, "case", share)
    rng = random.Random(f"cases|{seed}")  # noqa: S311  # nosec B311 - fake data
    cases = _group(rng, picks, known, today)
    total, done = len(cases), 0
    for chunk in (cases[i : i + batch] for i in range(0, total, batch)):
        rows: list[dict[str, Any]] = []
        parties: list[dict[str, Any]] = []
        events: list[AuditEvent] = []
        for fir, case in chunk:
            case_id = new_id()
            now = utcnow()
            rows.append(
                {
                    "id": case_id,
                    "fir_number": fir,
                    "sections": ",".join(case.sections),
                    "registered_on": case.registered_on,
                    "station_id": case.station_id,
                    "jurisdiction_path": case.path,
                    "created_at": now,
                }
            )
            events.append(
                actor_event(
                    actor, "case.create", Outcome.SUCCESS, resource_type="case", resource_id=case_id
                )
            )
            for person_id in case.persons:
                for role, role_on in _course(rng, case.registered_on, today):
                    party_id = new_id()
                    parties.append(
                        {
                            "id": party_id,
                            "case_id": case_id,
                            "person_id": person_id,
                            "role": role,
                            "role_on": role_on,
                            "jurisdiction_path": case.path,
                            "added_by": actor.account_id,
                            "added_at": now,
                        }
                    )
                    events.append(
                        actor_event(
                            actor,
                            "case.party_add",
                            Outcome.SUCCESS,
                            resource_type="case",
                            resource_id=case_id,
                            detail={"party": party_id, "role": role},
                        )
                    )
        _write(runtime, {Case: rows, CaseParty: parties}, events)
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    return done


def _group(
    rng: random.Random, picks: list[_Pick], known: dict[str, str | None], today: date
) -> list[tuple[str, _Case]]:
    """Persons grouped into cases at their stations, numbered per station and year in order
    of registration."""
    bns = [(code, w) for code, w in _PRIMARY.items() if code in known]
    ipc = [(code, w) for code, w in bns if known[code] in known]
    cases: list[_Case] = []
    at = 0
    while at < len(picks):
        size = rng.choices(_PARTIES, _PARTY_WEIGHTS)[0]
        station = picks[at]
        group = [p for p in picks[at : at + size] if p.station_code == station.station_code]
        at += len(group)
        registered = today - timedelta(days=rng.randint(3, 5 * 365))
        table = bns if registered >= BNS_IN_FORCE or not ipc else ipc
        codes = [rng.choices([c for c, _ in table], [w for _, w in table])[0]]
        if len(group) > 1 and _COMMON_INTENTION in known:
            codes.append(_COMMON_INTENTION)
        if rng.random() < 0.3:
            codes.append(rng.choice(_SECONDARY))
        if registered < BNS_IN_FORCE:
            codes = [known[c] or c for c in codes]
        sections = [c for c in dict.fromkeys(codes) if c in known]
        cases.append(
            _Case(
                station.station_code,
                station.station_id,
                station.path,
                registered,
                sections,
                [p.person_id for p in group],
            )
        )
    cases.sort(key=lambda c: (c.station_code, c.registered_on))
    numbered: list[tuple[str, _Case]] = []
    counters: dict[tuple[str, int], int] = {}
    for case in cases:
        key = (case.station_code, case.registered_on.year)
        counters[key] = counters.get(key, 0) + 1
        numbered.append((f"{key[0]}/{key[1]}/{counters[key]:04d}", case))
    return numbered


def _course(rng: random.Random, registered: date, today: date) -> list[tuple[str, date]]:
    """An accused person's steps through a case, each dated no later than today."""
    steps = [(CasePartyRole.ACCUSED.value, registered)]
    if rng.random() >= 0.6:
        return steps
    arrested = min(today, registered + timedelta(days=rng.randint(0, 30)))
    steps.append((CasePartyRole.ARRESTED.value, arrested))
    charged = arrested + timedelta(days=rng.randint(30, 90))
    if charged > today or rng.random() >= 0.5:
        return steps
    steps.append((CasePartyRole.CHARGE_SHEETED.value, charged))
    verdict = charged + timedelta(days=rng.randint(180, 700))
    if verdict > today or rng.random() >= 0.4:
        return steps
    outcome = CasePartyRole.CONVICTED if rng.random() < 0.4 else CasePartyRole.ACQUITTED
    steps.append((outcome.value, verdict))
    return steps


def seed(ctx: DemoContext) -> None:
    """The records part of ``kotwal demo``: persons, then history sheets and cases on them."""
    persons = ctx.step(f"generating {ctx.size:,} synthetic persons", ctx.size)
    seed_persons(
        ctx.runtime, ctx.seeder, ctx.stations, ctx.size, ctx.seed, lambda n: persons(n, None)
    )
    sheets = ctx.step("opening history sheets on about 8% of them", None)
    seed_history_sheets(ctx.runtime, ctx.seeder, ctx.seed, progress=sheets)
    cases = ctx.step("registering cases naming about a quarter", None)
    seed_cases(ctx.runtime, ctx.seeder, ctx.seed, progress=cases)
