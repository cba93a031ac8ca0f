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

import codecs
import csv
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, NoReturn, Protocol, TextIO, cast

from pydantic import ValidationError
from sqlalchemy import String, select

from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.crypto import normalise_phone
from kotwal.core.errors import Forbidden, InvalidInput, Problem
from kotwal.core.policy import Actor, Jurisdiction, JurisdictionKind, Permission
from kotwal.core.uow import UnitOfWork
from kotwal.records import service
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

#: Columns a file must have: those the schema requires (station_id read as station_code).
REQUIRED_COLUMNS = frozenset(
    "station_code" if name == "station_id" else name
    for name, spec in PersonCreate.model_fields.items()
    if spec.is_required()
)
_STATION_CODE_MAX = cast(String, Jurisdiction.__table__.c.code.type).length or 32
#: Stands in for an unknown station while the rest of the row is checked, so that one bad
#: code does not hide the row's other mistakes. Never written: such a row is already an error.
_NO_STATION = "0" * 36
_ENUM_COLUMNS = frozenset({"sex", "category", "status"})
#: Legacy systems commonly write sex as a letter.
_SEX_LETTERS = {"m": "male", "f": "female", "t": "transgender", "tg": "transgender", "u": "unknown"}
#: A cell a spreadsheet would run as a formula (CSV injection), perhaps behind apostrophes
#: that an earlier escape added.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")

CHECKING = "checking"
WRITING = "writing"
_PROGRESS_EVERY_ROWS = 500
#: Rows filed per call of the batched filing (and per progress report while writing).
_FILE_BATCH_ROWS = 500


@dataclass(frozen=True)
class ImportLimits:
    """Bounds on one import. A file over a bound is refused as a whole, nothing written."""

    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 100_000
    #: Far above the longest valid row; a longer line is not a person file (or is an attack).
    max_line_chars: int = 64 * 1024
    max_errors_reported: int = 100


DEFAULT_LIMITS = ImportLimits()


@dataclass(frozen=True)
class RowError:
    """One thing wrong with the file: where (physical line, column) and why."""

    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"

    def as_dict(self) -> dict[str, str | int]:
        return {"line": self.line, "field": self.field, "reason": self.reason}


@dataclass
class ImportReport:
    """What an import did: rows read, persons created, and the errors found (the first
    ``max_errors_reported`` of ``error_count``)."""

    rows_read: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    #: SHA-256 of the file's text (UTF-8, without a byte-order mark), kept in the audit event
    #: so that the file behind an import can be recognised later.
    sha256: str = ""


class ImportRejected(InvalidInput):
    """The file was not imported; nothing was written. ``errors`` says where and why."""

    slug = "import-rejected"
    title = "The file was not imported; nothing was written"

    def __init__(self, report: ImportReport) -> None:
        more = report.error_count - len(report.errors)
        first = f"; the first: {report.errors[0]}" if report.errors else ""
        super().__init__(
            f"{report.error_count} error(s) in the file{first}"
            + (f" ({more} more not listed)" if more > 0 else ""),
            errors=[e.as_dict() for e in report.errors],
            error_count=report.error_count,
            rows_read=report.rows_read,
        )
        self.report = report


class ImportProgress(Protocol):
    """Told how far an import has got. While ``stage`` is :data:`CHECKING`, ``done`` and
    ``total`` count bytes of the file (``total`` is None when the stream's size is unknown);
    while it is :data:`WRITING`, they count rows."""

    def __call__(self, stage: str, done: int, total: int | None) -> None: ...


def escape_cell(value: str) -> str:
    """Keep spreadsheets from running a cell as a formula: a value starting with ``= + - @``,
    a tab or a carriage return (perhaps behind apostrophes) gets one apostrophe in front.
    :func:`unescape_cell` undoes exactly this, so exported files still re-import unchanged."""
    return "'" + value if _FORMULA.match(value) else value


def unescape_cell(value: str) -> str:
    """Undo :func:`escape_cell`; any other apostrophe (a nickname in quotes) is data."""
    return value[1:] if value.startswith("'") and _FORMULA.match(value, 1) else value


class _Fatal(Exception):
    """A problem with the file as a whole: reading stops here."""

    def __init__(self, error: RowError) -> None:
        super().__init__(str(error))
        self.error = error


#: What another domain checks in an import's rows before anything is filed: it answers with
#: (line, column, reason) for each row it refuses. The decoys refuse rows that are registered
#: decoys (an export carries some; filing them would make them records), without records
#: importing the decoys.
ImportCheck = Callable[[UnitOfWork, Sequence[tuple[int, PersonCreate]]], list[tuple[int, str, str]]]
_IMPORT_CHECKS: dict[str, ImportCheck] = {}


def on_import(name: str, check: ImportCheck) -> None:
    """Register ``check`` under ``name``; registering the same name again replaces it."""
    _IMPORT_CHECKS[name] = check


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
        actor.can(Permission.RECORDS_PERSON_IMPORT) and actor.can(Permission.RECORDS_PERSON_WRITE)
    ):
        uow.record_now([_event(actor, Outcome.DENIED, {"reason": "no-permission"})])
        raise Forbidden(
            f"importing persons needs the {Permission.RECORDS_PERSON_IMPORT} permission"
        )
    checker = _Checker(uow, actor, limits)
    checker.read(_Lines(stream, limits, progress))
    for check in list(_IMPORT_CHECKS.values()):
        for line, column, reason in check(uow, checker.valid):
            checker.error(line, column, reason)
    checker.report.errors.sort(key=lambda e: e.line)
    report = checker.report
    if report.error_count:
        _rejected(uow, actor, checker)
    _file_all(uow, actor, checker, progress)
    uow.audit(
        _event(
            actor,
            Outcome.SUCCESS,
            {"rows": report.rows_read, "created": report.created, "sha256": report.sha256},
        )
    )
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
    """Record the refusal (it outlives the rollback) and raise it."""
    report = checker.report
    outcome = Outcome.DENIED if checker.outside_jurisdiction else Outcome.FAILURE
    detail: dict[str, str | int | bool | None] = {
        "rows": report.rows_read,
        "errors": report.error_count,
        "outside_jurisdiction": checker.outside_jurisdiction,
        "sha256": report.sha256,
    }
    uow.record_now([_event(actor, outcome, detail)])
    raise ImportRejected(report)


def _event(actor: Actor, outcome: str, detail: dict[str, str | int | bool | None]) -> AuditEvent:
    # The actor's extra (a CLI run's operating-system user) says who was at the keyboard.
    return actor_event(
        actor, "records.import", outcome, resource_type="person", detail={**actor.extra, **detail}
    )


# --- reading the file ---------------------------------------------------------------------


def _size_of(stream: TextIO | BinaryIO) -> int | None:
    """The file's size in bytes, when the stream can tell (a regular file, a seekable buffer)."""
    try:
        info = os.fstat(stream.fileno())
        if stat.S_ISREG(info.st_mode):
            return info.st_size
    except (OSError, ValueError, AttributeError):
        pass
    if isinstance(stream.read(0), bytes) and stream.seekable():
        here = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(here)
        return end - here
    return None


class _Lines:
    """The file's physical lines as text: numbered, bounded, counted in bytes and hashed.

    A binary stream is decoded here one line at a time (not by a decoding wrapper that reads
    ahead in blocks), so that a byte that is not UTF-8 is reported on its own line.
    """

    def __init__(
        self, stream: TextIO | BinaryIO, limits: ImportLimits, progress: ImportProgress | None
    ) -> None:
        self.stream = stream
        self.binary = isinstance(stream.read(0), bytes)
        self.limits = limits
        self.size = _size_of(stream)
        self.progress = progress
        self.number = 0
        self.bytes_read = 0
        self.digest = hashlib.sha256()

    def __iter__(self) -> Iterator[str]:
        if self.size is not None and self.size > self.limits.max_bytes:
            raise _Fatal(RowError(1, "file", self._too_large()))
        while True:
            raw = self._read_line()
            if not raw:
                return
            self.number += 1
            self.bytes_read += len(raw)
            if self.bytes_read > self.limits.max_bytes:
                raise _Fatal(RowError(self.number, "file", self._too_large()))
            line = self._text(raw)
            if len(line.rstrip("\r\n")) > self.limits.max_line_chars:
                raise _Fatal(RowError(self.number, "file", self._too_long()))
            yield line

    def _read_line(self) -> bytes:
        """The next line as UTF-8 bytes without a byte-order mark. The read is bounded: one
        enormous line must not be swallowed whole before it is refused."""
        most = self.limits.max_line_chars + 2  # room for the line's own CR LF
        if self.binary:
            raw = cast(BinaryIO, self.stream).readline(4 * most)  # UTF-8: 4 bytes at most
            if len(raw) == 4 * most and not raw.endswith(b"\n"):
                raise _Fatal(RowError(self.number + 1, "file", self._too_long()))
        else:
            text = cast(TextIO, self.stream).readline(most)
            try:
                raw = text.encode("utf-8")
            except UnicodeEncodeError as exc:  # a lone surrogate from the caller's decoder
                raise _Fatal(RowError(self.number + 1, "file", "not valid Unicode text")) from exc
        return raw.removeprefix(codecs.BOM_UTF8) if self.number == 0 else raw

    def _text(self, raw: bytes) -> str:
        self.digest.update(raw)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            message = "not UTF-8 text; save the file as UTF-8"
            raise _Fatal(RowError(self.number, "file", message)) from exc

    def _too_large(self) -> str:
        return f"the file is larger than {self.limits.max_bytes:,} bytes; split it"

    def _too_long(self) -> str:
        return f"a line longer than {self.limits.max_line_chars:,} characters"

    def tell_progress(self) -> None:
        if self.progress is not None:
            self.progress(CHECKING, self.bytes_read, self.size)


class _Checker:
    """Reads and checks every row, keeping the valid ones and every error."""

    def __init__(self, uow: UnitOfWork, actor: Actor, limits: ImportLimits) -> None:
        self.uow = uow
        self.actor = actor
        self.limits = limits
        self.report = ImportReport()
        self.valid: list[tuple[int, PersonCreate]] = []
        self.outside_jurisdiction = 0
        self._stations: dict[str, Jurisdiction | None] = {}
        self._names: dict[tuple[str, int | None, str], int] = {}
        self._phones: dict[str, int] = {}

    def error(self, line: int, column: str, reason: str) -> None:
        self.report.error_count += 1
        if len(self.report.errors) < self.limits.max_errors_reported:
            self.report.errors.append(RowError(line, column, reason))

    def read(self, lines: _Lines) -> None:
        reader = csv.reader(lines, strict=True)
        try:
            header = self._header(next(reader, None))
            if header is None:
                return
            last_line = reader.line_num
            for cells in reader:
                start, last_line = last_line + 1, reader.line_num
                if not any(c.strip() for c in cells):
                    continue  # blank lines are allowed anywhere
                self.report.rows_read += 1
                if self.report.rows_read > self.limits.max_rows:
                    raise _Fatal(
                        RowError(
                            start,
                            "file",
                            f"more than {self.limits.max_rows:,} rows in one file; split it",
                        )
                    )
                self._row(start, header, cells)
                if self.report.rows_read % _PROGRESS_EVERY_ROWS == 0:
                    lines.tell_progress()
        except csv.Error as exc:
            self.error(lines.number, "file", f"not readable as CSV ({exc})")
        except _Fatal as fatal:
            self.error(fatal.error.line, fatal.error.field, fatal.error.reason)
        finally:
            self.report.sha256 = lines.digest.hexdigest()
        lines.tell_progress()

    def _header(self, cells: list[str] | None) -> list[str] | None:
        if cells is None:
            self.error(1, "header", "the file is empty; its first line must name the columns")
            return None
        names = [c.strip().lower() for c in cells]
        errors = len(self.report.errors)
        for position, name in enumerate(names, 1):
            if not name:
                self.error(1, "header", f"column {position} has no name")
        unknown = [n for n in names if n and n not in COLUMNS]
        if unknown:
            shown = ", ".join(repr(n[:40]) for n in unknown[:10])
            self.error(
                1, "header", f"unknown column(s) {shown}; the columns are {', '.join(COLUMNS)}"
            )
        for name in sorted({n for n in names if n and names.count(n) > 1}):
            self.error(1, "header", f"column {name!r} appears more than once")
        for name in sorted(REQUIRED_COLUMNS - set(names)):
            self.error(1, "header", f"missing column {name!r}")
        return None if len(self.report.errors) > errors else names

    def _row(self, line: int, header: list[str], cells: list[str]) -> None:
        if len(cells) != len(header):
            self.error(
                line, "row", f"{len(cells)} values, but the header names {len(header)} columns"
            )
            return
        before = self.report.error_count
        data: dict[str, Any] = {}
        for column, raw in zip(header, cells, strict=True):
            value = unescape_cell(raw.strip())
            if not value:
                continue  # an empty cell is a missing value; the schema's default applies
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
        shown = repr(code[:40])
        if len(code) > _STATION_CODE_MAX:
            self.error(line, "station_code", f"at most {_STATION_CODE_MAX} characters")
            return _NO_STATION
        if code not in self._stations:
            stmt = select(Jurisdiction).where(Jurisdiction.code == code)
            self._stations[code] = self.uow.session.execute(stmt).scalar_one_or_none()
        station = self._stations[code]
        if station is None:
            self.error(line, "station_code", f"no police station has the code {shown}")
        elif station.kind != JurisdictionKind.STATION:
            self.error(line, "station_code", f"{shown} is a {station.kind}, not a police station")
        elif not self.actor.covers(station.path):
            self.outside_jurisdiction += 1
            self.error(line, "station_code", f"{shown} is outside your jurisdiction")
        else:
            return station.id
        return _NO_STATION

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
    """``In Custody``, ``in-custody`` and ``IN_CUSTODY`` all mean ``in_custody``; the schema
    then decides whether that is a valid value."""
    text = "_".join(value.replace("-", " ").split()).lower()
    return _SEX_LETTERS.get(text, text) if column == "sex" else text
