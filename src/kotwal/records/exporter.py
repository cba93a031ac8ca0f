"""CSV export of persons: a bulk disclosure, so a separately permitted, purpose-bound and
audited action.

An export covers the actor's own jurisdiction subtree (or one node of it) and never anything
outside it, whatever purpose is declared: a purpose opens a single record elsewhere through the
gate, but bulk copies of other stations' records are exactly what leaks. Every exported record
passes through :func:`kotwal.core.gate.disclose` (one disclosure event each, and the breach
defences hear of it); a field the gate withholds is written as ``[masked]``. One
``records.export`` event carries the count. The columns are the importer's, so an export
re-imports (see ``docs/person-import-format.md``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TextIO

from sqlalchemy import or_, select

from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.errors import Forbidden, InvalidInput, ModuleOff, NotFound
from kotwal.core.gate import clean_purpose, disclose
from kotwal.core.observers import HookPoint
from kotwal.core.policy import Actor, Jurisdiction
from kotwal.core.uow import UnitOfWork
from kotwal.records.importer import ALIAS_SEPARATOR, COLUMNS, MASKED_TEXT, escape_cell
from kotwal.records.models import Person, PersonAlias
from kotwal.records.permissions import RecordsPermission

#: Records disclosed (and decrypted) per round trip.
BATCH = 500
#: The import's row limit: anything exported re-imports in one file. A bigger scope is
#: refused rather than cut short, and can be exported station by station.
MAX_EXPORT_ROWS = 100_000


class ExportCopy(Protocol):
    """A registered copy of the data: its id, and a writer that slips its decoy rows in."""

    copy_id: str

    def interleave(self, writer: Any) -> Any: ...


class MakeCopy(Protocol):
    """Registers a new export copy (the decoys do: each export carries its own decoy rows)."""

    def __call__(
        self,
        uow: UnitOfWork,
        actor: Actor,
        *,
        scope_paths: Sequence[str],
        rows: int,
        columns: Sequence[str],
    ) -> ExportCopy: ...


#: Exactly one domain makes export copies: the decoys. Without it nothing is exported, since a
#: copy without decoys could not be traced after a leak.
EXPORT_COPY: HookPoint[MakeCopy] = HookPoint("records.export_copy")


def _export_copy(uow: UnitOfWork) -> MakeCopy:
    makers = uow.runtime.hooks.at(EXPORT_COPY)
    if not makers:
        raise ModuleOff("exports need the decoys module: a copy without decoys cannot be traced")
    return makers[-1]


class _RowWriter(Protocol):
    def writerow(self, row: Iterable[str], /) -> Any: ...


def export_persons(
    uow: UnitOfWork,
    actor: Actor,
    out: TextIO,
    *,
    station_code: str | None,
    purpose: str,
    max_rows: int = MAX_EXPORT_ROWS,
) -> int:
    """Write the persons filed under ``station_code`` (any node of the actor's jurisdiction;
    None means all of it) to ``out`` as CSV, through the gate. Returns how many were written.

    The audit events join ``uow``; the caller commits it before handing the file to anyone.
    """
    if not actor.can(RecordsPermission.PERSON_EXPORT):
        uow.record_now([_event(actor, Outcome.DENIED, None, {"reason": "no-permission"})])
        raise Forbidden(f"exporting persons needs the {RecordsPermission.PERSON_EXPORT} permission")
    declared = clean_purpose(purpose)
    if declared is None:
        raise InvalidInput("an export needs a purpose: a case number or the reason for it")
    paths = _scope(uow, actor, station_code, declared)
    inside = or_(*(Person.jurisdiction_path.startswith(p, autoescape=True) for p in paths))
    ids = list(
        uow.session.execute(
            select(Person.id)
            .where(inside)
            .order_by(Person.jurisdiction_path, Person.name, Person.id)
            .limit(max_rows + 1)
        ).scalars()
    )
    if len(ids) > max_rows:
        raise InvalidInput(
            f"more than {max_rows:,} persons in this jurisdiction; export one station or "
            "circle at a time"
        )
    # Every export is a copy of its own, carrying its own decoy rows (registered before the
    # file is written), so that a leak of this file names it.
    copy = _export_copy(uow)(uow, actor, scope_paths=paths, rows=len(ids), columns=COLUMNS)
    writer = copy.interleave(csv.writer(out))
    writer.writerow(COLUMNS)
    written = 0
    for start in range(0, len(ids), BATCH):
        written += _write_batch(uow, actor, declared, ids[start : start + BATCH], writer)
    writer.finish()
    detail: dict[str, str | int | bool | None] = {
        "count": written,
        "scope": station_code or "all",
        "copy": copy.copy_id,
    }
    uow.audit(_event(actor, Outcome.SUCCESS, declared, detail))
    return written


def _scope(uow: UnitOfWork, actor: Actor, code: str | None, purpose: str) -> tuple[str, ...]:
    """The jurisdiction paths to export: one node inside the actor's subtree, or all of it."""
    if code is None:
        if not actor.jurisdiction_paths:
            raise Forbidden("you are posted nowhere, so there is nothing you may export")
        return actor.jurisdiction_paths
    node = uow.session.execute(
        select(Jurisdiction).where(Jurisdiction.code == code)
    ).scalar_one_or_none()
    if node is None:
        raise NotFound(f"no jurisdiction has the code {code[:40]!r}")
    if not actor.covers(node.path):
        uow.record_now(
            [
                _event(
                    actor,
                    Outcome.DENIED,
                    purpose,
                    {"reason": "outside-jurisdiction", "scope": code[:40]},
                )
            ]
        )
        raise Forbidden("you can export only records of your own jurisdiction")
    return (node.path,)


def _write_batch(
    uow: UnitOfWork, actor: Actor, purpose: str, ids: Sequence[str], writer: _RowWriter
) -> int:
    found = {
        p.id: p for p in uow.session.execute(select(Person).where(Person.id.in_(ids))).scalars()
    }
    # The query already keeps to the subtree; this keeps the promise even if it ever did not,
    # since the gate itself would release an outside record to anyone declaring a purpose.
    persons = [found[i] for i in ids if i in found and actor.covers(found[i].jurisdiction_path)]
    shown = disclose(uow, actor, purpose, persons, kind="export")
    aliases = _aliases(uow, [p.id for p in persons])
    codes = _station_codes(uow, {p.station_id for p in persons})
    for record in shown:
        writer.writerow(_row(record, aliases.get(record["id"], []), codes))
    return len(shown)


def _aliases(uow: UnitOfWork, person_ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    if person_ids:
        rows = uow.session.execute(
            select(PersonAlias.person_id, PersonAlias.name)
            .where(PersonAlias.person_id.in_(person_ids))
            .order_by(PersonAlias.name)  # stable output: aliases carry no order of their own
        )
        for person_id, alias in rows:
            found.setdefault(person_id, []).append(alias)
    return found


def _station_codes(uow: UnitOfWork, station_ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted(station_ids)
    if not wanted:
        return {}
    rows = uow.session.execute(
        select(Jurisdiction.id, Jurisdiction.code).where(Jurisdiction.id.in_(wanted))
    )
    return {node_id: code for node_id, code in rows}


def _row(record: dict[str, Any], aliases: list[str], codes: dict[str, str]) -> list[str]:
    """One CSV line from what the gate released. Aliases are names: they are written only
    where the gate released the record's name."""
    cells: list[str] = []
    for column in COLUMNS:
        if column == "aliases":
            value: Any = (
                record["name"] if _masked(record["name"]) else ALIAS_SEPARATOR.join(aliases)
            )
        elif column == "station_code":
            station = record["station_id"]
            value = station if _masked(station) else codes.get(station, "")
        else:
            value = record[column]
        cells.append(cell_text(value))
    return cells


def cell_text(value: Any) -> str:
    """A released value as CSV text: withheld fields as ``[masked]``, nothing as empty, text
    escaped so that a spreadsheet does not run it as a formula."""
    if _masked(value):
        return MASKED_TEXT
    if value is None:
        return ""
    return escape_cell(str(value))


def _masked(value: Any) -> bool:
    return isinstance(value, dict) and value.get("masked") is True


def _event(
    actor: Actor, outcome: str, purpose: str | None, detail: dict[str, str | int | bool | None]
) -> AuditEvent:
    # The actor's extra (a CLI run's operating-system user) says who was at the keyboard.
    return actor_event(
        actor,
        "records.export",
        outcome,
        resource_type="person",
        purpose=purpose,
        detail={**actor.extra, **detail},
    )
