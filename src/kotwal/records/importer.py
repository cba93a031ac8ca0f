"""Bulk import of persons from CSV, in the column format a legacy records system exports.

The format is described for users in ``docs/person-import-format.md``: a header line naming
the columns (any order, any letter case), then one person per line, UTF-8 with or without a
byte-order mark. :mod:`kotwal.records.exporter` writes the same format, so an export re-imports.

The whole file is read and checked before anything is written. Every bad row is reported as
``line N: <field>: <reason>``, N being the physical line of the file where the row starts, and
a file with any bad row writes nothing: :class:`ImportRejected` is raised and the caller's unit
of work rolls back. A good file is filed in batches through
:func:`kotwal.records.service.file_persons` (what ``create_person`` does, many at a time, before
it discloses the new record back), so sealing, name keys, jurisdiction checks and the
``record.create`` events are exactly those of a person filed through the API; the rules of a
valid person are :class:`~kotwal.records.schemas.PersonCreate`'s, not repeated here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, BinaryIO, NoReturn, TextIO

from pydantic import ValidationError

from kotwal.core.crypto import normalise_phone
from kotwal.core.csvfile import (
    CHECKING,
    DEFAULT_LIMITS,
    WRITING,
    CsvLines,
    ImportAudit,
    ImportLimits,
    ImportProgress,
    ImportRejected,
    ImportReport,
    RowError,
    StationCodes,
    enum_text,
    escape_cell,
    read_rows,
    unescape_cell,
)
from kotwal.core.errors import Forbidden, Problem
from kotwal.core.observers import HookPoint
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.records import service
from kotwal.records.permissions import RecordsPermission
from kotwal.records.schemas import PersonCreate

#: The columns, in the order the exporter writes them. ``station_code`` stands in for the
#: schema's ``station_id``: a legacy file knows stations by code, never by kotwal's ids.
COLUMNS: tuple[str, ...] = (
    "name",
    "name_te",
    "father_name",
    "aliases",
    "sex",
    "birth_year",
    "marks",
    "category",
    "status",
    "station_code",
    "phone",
    "address",
)
ALIAS_SEPARATOR = ";"
#: What the exporter writes for a field the gate withheld. Importing it would turn a
#: placeholder into data, so the importer refuses it.
MASKED_TEXT = "[masked]"

__all__ = [
    "CHECKING",
    "COLUMNS",
    "DEFAULT_LIMITS",
    "IMPORT_CHECKS",
    "WRITING",
    "ImportLimits",
    "ImportProgress",
    "ImportRejected",
    "ImportReport",
    "RowError",
    "escape_cell",
    "import_persons",
    "unescape_cell",
]

#: Columns a file must have: those the schema requires (station_id read as station_code).
REQUIRED_COLUMNS = frozenset(
    "station_code" if name == "station_id" else name
    for name, spec in PersonCreate.model_fields.items()
    if spec.is_required()
)
_ENUM_COLUMNS = frozenset({"sex", "category", "status"})
#: Legacy systems commonly write sex as a letter.
_SEX_LETTERS = {"m": "male", "f": "female", "t": "transgender", "tg": "transgender", "u": "unknown"}
#: Rows filed per call of the batched filing (and per progress report while writing).
_FILE_BATCH_ROWS = 500


#: What another domain checks in an import's rows before anything is filed: it answers with
#: (line, column, reason) for each row it refuses. The decoys refuse rows that are registered
#: decoys (an export carries some; filing them would make them records), without records
#: importing the decoys.
ImportCheck = Callable[[UnitOfWork, Sequence[tuple[int, PersonCreate]]], list[tuple[int, str, str]]]
IMPORT_CHECKS: HookPoint[ImportCheck] = HookPoint("records.import_checks")


def import_persons(
    uow: UnitOfWork,
    actor: Actor,
    stream: TextIO | BinaryIO,
    *,
    progress: ImportProgress | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ImportReport:
    """File every person of a CSV ``stream`` at their stations, or none of them.

    ``uow`` must be a write unit of work: the import is one transaction, committed by the
    caller. Raises :class:`Forbidden` without the import permission and
    :class:`ImportRejected` (carrying every error found) when anything in the file is wrong;
    the caller's unit of work then rolls back, so nothing is written.
    """
    if not uow.write:
        raise RuntimeError("an import needs a write unit of work")
    if not (
        actor.can(RecordsPermission.PERSON_IMPORT) and actor.can(RecordsPermission.PERSON_WRITE)
    ):
        _AUDIT.not_permitted(uow, actor)
        raise Forbidden(f"importing persons needs the {RecordsPermission.PERSON_IMPORT} permission")
    checker = _Checker(uow, actor, limits)
    checker.read(CsvLines(stream, limits, progress))
    for check in uow.runtime.hooks.at(IMPORT_CHECKS):
        for line, column, reason in check(uow, checker.valid):
            checker.error(line, column, reason)
    checker.report.errors.sort(key=lambda e: e.line)
    report = checker.report
    if report.error_count:
        _rejected(uow, actor, checker)
    _file_all(uow, actor, checker, progress)
    _AUDIT.done(uow, actor, report)
    return report


def _file_all(
    uow: UnitOfWork, actor: Actor, checker: _Checker, progress: ImportProgress | None
) -> None:
    report, rows = checker.report, checker.valid
    keys_memo: dict[str, frozenset[str]] = {}
    for start in range(0, len(rows), _FILE_BATCH_ROWS):
        batch = rows[start : start + _FILE_BATCH_ROWS]
        try:
            # Not create_person: echoing every row back through the gate would charge the
            # importer's disclosure budget with records they are only filing.
            service.file_persons_unloaded(uow, actor, [p for _, p in batch], keys_memo)
        except Problem as exc:
            # Only what changed since the check (a station moved, a posting ended) lands here;
            # the batch cannot say which of its rows, so the error names the batch's lines.
            where = f" (one of lines {batch[0][0]}-{batch[-1][0]})" if len(batch) > 1 else ""
            checker.error(batch[0][0], "row", (exc.detail or exc.title) + where)
            _rejected(uow, actor, checker)
        report.created = start + len(batch)
        if progress is not None:
            progress(WRITING, report.created, len(rows))


def _rejected(uow: UnitOfWork, actor: Actor, checker: _Checker) -> NoReturn:
    _AUDIT.rejected(uow, actor, checker.report, checker.stations.outside_jurisdiction)


_AUDIT = ImportAudit("records.import", "person")


# --- reading the file ---------------------------------------------------------------------


class _Checker:
    """Reads and checks every row, keeping the valid ones and every error."""

    def __init__(self, uow: UnitOfWork, actor: Actor, limits: ImportLimits) -> None:
        self.uow = uow
        self.actor = actor
        self.limits = limits
        self.report = ImportReport()
        self.valid: list[tuple[int, PersonCreate]] = []
        self.stations = StationCodes(uow.session, actor)
        self._names: dict[tuple[str, int | None, str], int] = {}
        self._phones: dict[str, int] = {}

    def error(self, line: int, column: str, reason: str) -> None:
        self.report.error(line, column, reason, self.limits)

    def read(self, lines: CsvLines) -> None:
        for line, cells in read_rows(lines, COLUMNS, REQUIRED_COLUMNS, self.report):
            self._row(line, cells)

    def _row(self, line: int, cells: dict[str, str]) -> None:
        before = self.report.error_count
        data: dict[str, Any] = {}
        for column, value in cells.items():
            if value == MASKED_TEXT:
                self.error(
                    line,
                    column,
                    "this value was masked in the export the file came "
                    "from; give the value or leave the cell empty",
                )
            elif column == "station_code":
                data["station_id"] = self._station_id(line, value)
            elif column == "aliases":
                data["aliases"] = [a.strip() for a in value.split(ALIAS_SEPARATOR) if a.strip()]
            elif column in _ENUM_COLUMNS:
                data[column] = _enum_text(column, value)
            else:
                data[column] = value
        person = self._validated(line, data)
        if person is not None and self.report.error_count == before:
            self._check_duplicates(line, person)
            if self.report.error_count == before:
                self.valid.append((line, person))

    def _validated(self, line: int, data: dict[str, Any]) -> PersonCreate | None:
        try:
            return PersonCreate.model_validate(data)
        except ValidationError as exc:
            for problem in exc.errors(include_url=False, include_input=False):
                location = problem["loc"]
                column = str(location[0]) if location else "row"
                reason = str(problem["msg"]).removeprefix("Value error, ")
                if len(location) > 1 and isinstance(location[1], int):
                    reason = f"item {location[1] + 1}: {reason}"  # which alias
                self.error(line, "station_code" if column == "station_id" else column, reason)
            return None

    def _station_id(self, line: int, code: str) -> str:
        station_id, refused = self.stations.station_id(code)
        if refused is not None:
            self.error(line, "station_code", refused)
        return station_id

    def _check_duplicates(self, line: int, person: PersonCreate) -> None:
        """The same person twice in one file is a mistake in the file, not two persons."""
        key = (" ".join(person.name.split()).casefold(), person.birth_year, person.station_id)
        first = self._names.setdefault(key, line)
        if first != line:
            self.error(line, "name", f"same name, birth year and station as line {first}")
        if person.phone:
            first = self._phones.setdefault(normalise_phone(person.phone), line)
            if first != line:
                self.error(line, "phone", f"same phone number as line {first}")


def _enum_text(column: str, value: str) -> str:
    text = enum_text(value)
    return _SEX_LETTERS.get(text, text) if column == "sex" else text


def upload_limits() -> dict[str, int]:
    """The import route's body cap: the importer's own file cap."""
    return {"/api/v1/persons/import": DEFAULT_LIMITS.max_bytes}
