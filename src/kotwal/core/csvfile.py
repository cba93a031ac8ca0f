"""Reading a CSV file for a bulk import: bounded, line-numbered, hashed, all or nothing.

What every importer shares (persons in :mod:`kotwal.records.importer`, arms licences in
:mod:`kotwal.arms.importer`): the limits on a file, errors that name a physical line and a
column, the report, the problem that says nothing was written, progress in two stages
(checking the file, then writing), and spreadsheet-formula escaping, so that an export
re-imports unchanged. Each importer keeps its own columns and rules.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, BinaryIO, NoReturn, Protocol, TextIO, TypeVar, cast

from sqlalchemy import String, select
from sqlalchemy.orm import Session

from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.errors import InvalidInput, Problem
from kotwal.core.policy import Actor, Jurisdiction, JurisdictionKind

if TYPE_CHECKING:
    from kotwal.core.uow import UnitOfWork

#: A cell a spreadsheet would run as a formula (CSV injection), perhaps behind apostrophes
#: that an earlier escape added.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_DAY_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")

CHECKING = "checking"
WRITING = "writing"
#: How often (in rows) the checking stage reports its progress.
PROGRESS_EVERY_ROWS = 500


@dataclass(frozen=True)
class ImportLimits:
    """Bounds on one import. A file over a bound is refused as a whole, nothing written."""

    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 100_000
    #: Far above the longest valid row; a longer line is not a record file (or is an attack).
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
    """What an import did: rows read, records created, and the errors found (the first
    ``max_errors_reported`` of ``error_count``)."""

    rows_read: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    #: SHA-256 of the file's text (UTF-8, without a byte-order mark), kept in the audit event
    #: so that the file behind an import can be recognised later.
    sha256: str = ""

    def error(self, line: int, column: str, reason: str, limits: ImportLimits) -> None:
        """Count an error; keep it if fewer than the limit are kept already."""
        self.error_count += 1
        if len(self.errors) < limits.max_errors_reported:
            self.errors.append(RowError(line, column, reason))


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


class Fatal(Exception):
    """A problem with the file as a whole: reading stops here."""

    def __init__(self, error: RowError) -> None:
        super().__init__(str(error))
        self.error = error


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


class CsvLines:
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
            raise Fatal(RowError(1, "file", self._too_large()))
        while True:
            raw = self._read_line()
            if not raw:
                return
            self.number += 1
            self.bytes_read += len(raw)
            if self.bytes_read > self.limits.max_bytes:
                raise Fatal(RowError(self.number, "file", self._too_large()))
            line = self._text(raw)
            if len(line.rstrip("\r\n")) > self.limits.max_line_chars:
                raise Fatal(RowError(self.number, "file", self._too_long()))
            yield line

    def _read_line(self) -> bytes:
        """The next line as UTF-8 bytes without a byte-order mark. The read is bounded: one
        enormous line must not be swallowed whole before it is refused."""
        most = self.limits.max_line_chars + 2  # room for the line's own CR LF
        if self.binary:
            raw = cast(BinaryIO, self.stream).readline(4 * most)  # UTF-8: 4 bytes at most
            if len(raw) == 4 * most and not raw.endswith(b"\n"):
                raise Fatal(RowError(self.number + 1, "file", self._too_long()))
        else:
            text = cast(TextIO, self.stream).readline(most)
            try:
                raw = text.encode("utf-8")
            except UnicodeEncodeError as exc:  # a lone surrogate from the caller's decoder
                raise Fatal(RowError(self.number + 1, "file", "not valid Unicode text")) from exc
        return raw.removeprefix(codecs.BOM_UTF8) if self.number == 0 else raw

    def _text(self, raw: bytes) -> str:
        self.digest.update(raw)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            message = "not UTF-8 text; save the file as UTF-8"
            raise Fatal(RowError(self.number, "file", message)) from exc

    def _too_large(self) -> str:
        return f"the file is larger than {self.limits.max_bytes:,} bytes; split it"

    def _too_long(self) -> str:
        return f"a line longer than {self.limits.max_line_chars:,} characters"

    def tell_progress(self) -> None:
        if self.progress is not None:
            self.progress(CHECKING, self.bytes_read, self.size)


#: Columns a header may carry beyond those the file defines (each one reported as unknown)
#: before the header is refused whole, unread.
HEADER_SPARE_COLUMNS = 20


def read_header(
    cells: list[str] | None,
    columns: tuple[str, ...],
    required: frozenset[str],
    report: ImportReport,
    limits: ImportLimits,
) -> list[str] | None:
    """The header's column names (lower case), or None after recording what is wrong with it."""
    if cells is None:
        report.error(1, "header", "the file is empty; its first line must name the columns", limits)
        return None
    widest = len(columns) + HEADER_SPARE_COLUMNS
    if len(cells) > widest:
        # Refused before any cell is looked at: checking a header of 10,000 names one by one
        # (each against the others) cost seconds, which a file of a few kilobytes could demand.
        message = f"the header has {len(cells):,} columns; this file has at most {len(columns)}"
        report.error(1, "header", message, limits)
        return None
    names = [c.strip().lower() for c in cells]
    before = report.error_count
    for position, name in enumerate(names, 1):
        if not name:
            report.error(1, "header", f"column {position} has no name", limits)
    unknown = [n for n in names if n and n not in columns]
    if unknown:
        shown = ", ".join(repr(n[:40]) for n in unknown[:10])
        report.error(
            1, "header", f"unknown column(s) {shown}; the columns are {', '.join(columns)}", limits
        )
    counts = Counter(names)
    for name in sorted(n for n, seen in counts.items() if n and seen > 1):
        report.error(1, "header", f"column {name!r} appears more than once", limits)
    for name in sorted(required - set(names)):
        report.error(1, "header", f"missing column {name!r}", limits)
    return None if report.error_count > before else names


def read_rows(
    lines: CsvLines,
    columns: tuple[str, ...],
    required: frozenset[str],
    report: ImportReport,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Each non-blank row as (its first physical line, column -> cell with formula escaping
    undone and blanks stripped; empty cells left out). Problems with the file as a whole (not
    CSV, not UTF-8, too large, a bad header, a row of the wrong width) go into ``report``."""
    limits = lines.limits
    reader = csv.reader(lines, strict=True)
    try:
        header = read_header(next(reader, None), columns, required, report, limits)
        if header is None:
            return
        last_line = reader.line_num
        for cells in reader:
            start, last_line = last_line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue  # blank lines are allowed anywhere
            report.rows_read += 1
            if report.rows_read > limits.max_rows:
                message = f"more than {limits.max_rows:,} rows in one file; split it"
                raise Fatal(RowError(start, "file", message))
            if len(cells) != len(header):
                message = f"{len(cells)} values, but the header names {len(header)} columns"
                report.error(start, "row", message, limits)
            else:
                values = {c: unescape_cell(v.strip()) for c, v in zip(header, cells, strict=True)}
                yield start, {c: v for c, v in values.items() if v}
            if report.rows_read % PROGRESS_EVERY_ROWS == 0:
                lines.tell_progress()
    except csv.Error as exc:
        report.error(lines.number, "file", f"not readable as CSV ({exc})", limits)
    except Fatal as fatal:
        report.error(fatal.error.line, fatal.error.field, fatal.error.reason, limits)
    finally:
        report.sha256 = lines.digest.hexdigest()
    lines.tell_progress()


_STATION_CODE_MAX = cast(String, Jurisdiction.__table__.c.code.type).length or 32
#: Stands in for an unknown station while the rest of the row is checked, so that one bad
#: code does not hide the row's other mistakes. Never written: such a row is already an error.
NO_STATION = "0" * 36


class StationCodes:
    """Station and unit codes of a file resolved to places in the jurisdiction tree (each code
    looked up once): a station in the importer's jurisdiction for a record filed there, or any
    unit of the force for a posting held before (the tree is public)."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self.outside_jurisdiction = 0
        self._found: dict[str, Jurisdiction | None] = {}

    def _lookup(self, code: str) -> Jurisdiction | None:
        if code not in self._found:
            stmt = select(Jurisdiction).where(Jurisdiction.code == code)
            self._found[code] = self.session.execute(stmt).scalar_one_or_none()
        return self._found[code]

    def station_id(self, code: str) -> tuple[str, str | None]:
        """(station id, None), or (:data:`NO_STATION`, why the code is refused)."""
        return self._place_id(code, stations_only=True, inside=True)

    def unit_id(self, code: str, *, inside: bool) -> tuple[str, str | None]:
        """(unit id, None) for a station or any unit above it, inside the importer's
        jurisdiction if ``inside``; or (:data:`NO_STATION`, why the code is refused)."""
        return self._place_id(code, stations_only=False, inside=inside)

    def _place_id(self, code: str, *, stations_only: bool, inside: bool) -> tuple[str, str | None]:
        shown = repr(code[:40])
        if len(code) > _STATION_CODE_MAX:
            return NO_STATION, f"at most {_STATION_CODE_MAX} characters"
        place = self._lookup(code)
        if place is None:
            what = "police station" if stations_only else "station or unit"
            return NO_STATION, f"no {what} has the code {shown}"
        if stations_only and place.kind != JurisdictionKind.STATION:
            return NO_STATION, f"{shown} is a {place.kind}, not a police station"
        if inside and not self.actor.covers(place.path):
            self.outside_jurisdiction += 1
            return NO_STATION, f"{shown} is outside your jurisdiction"
        return place.id, None


@dataclass
class RowGroup:
    """The rows of one record gathered by its key (a licence's number, an officer's belt
    number): the line of its first row, the record's own cells as that row gives them, and
    each row's other cells (a weapon, a posting) with its line."""

    line: int
    details: dict[str, str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def grouped_rows(
    rows: Iterable[tuple[int, dict[str, str]]],
    key: str,
    detail_columns: Collection[str],
    report: ImportReport,
    limits: ImportLimits,
    *,
    noun: str,
    normalise: Callable[[str], str] = str.upper,
) -> list[RowGroup]:
    """``rows`` gathered into records by their ``key`` column, in the order of each record's
    first line. A later row's detail cells must be empty or the same as the first row's (a
    value that differs is reported naming that first line); a row without a key is an error."""
    groups: dict[str, RowGroup] = {}
    for line, cells in rows:
        value = normalise(cells.get(key, ""))
        if not value:
            report.error(line, key, f"every row names its {noun}", limits)
            continue
        details = {k: v for k, v in cells.items() if k in detail_columns}
        own = {k: v for k, v in cells.items() if k not in detail_columns}
        group = groups.get(value)
        if group is None:
            groups[value] = RowGroup(line, details, [(line, own)])
            continue
        for column, cell in details.items():
            if column != key and cell and group.details.get(column, cell) != cell:
                message = f"differs from line {group.line}, the first row of this {noun}"
                report.error(line, column, message, limits)
        group.rows.append((line, own))
    return list(groups.values())


def day_first_date(value: str) -> str:
    """A day-first date as Indian registers write it (25-01-2024, 25/01/2024) in ISO form;
    anything else is returned as it is, for the schema to judge."""
    match = _DAY_FIRST.match(value)
    if match is None:
        return value
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return value  # 31-02-2024: the schema says it is not a date


Detail = dict[str, str | int | bool | None]
Checked = TypeVar("Checked")


def file_each(
    uow: UnitOfWork,
    records: Sequence[tuple[int, Checked]],
    file: Callable[[Checked], object],
    report: ImportReport,
    limits: ImportLimits,
    progress: ImportProgress | None,
) -> None:
    """File each checked record (with the line of its first row) in a savepoint of its own,
    so that what filing refuses (a number already recorded) is reported for every record,
    by line, not only for the first; the caller refuses the file if any was."""
    for n, (line, record) in enumerate(records, 1):
        try:
            with uow.session.begin_nested():
                file(record)
        except Problem as exc:
            report.error(line, "row", exc.detail or exc.title, limits)
        if progress is not None and (n % 100 == 0 or n == len(records)):
            progress(WRITING, n, len(records))


@dataclass(frozen=True)
class ImportAudit:
    """The audit events of one kind of import (``records.import`` of persons, say): refused
    for want of permission, refused for its content, done. The actor's extra (a CLI run's
    operating-system user) says who was at the keyboard."""

    action: str
    resource_type: str

    def event(self, actor: Actor, outcome: str, detail: Detail) -> AuditEvent:
        return actor_event(
            actor,
            self.action,
            outcome,
            resource_type=self.resource_type,
            detail={**actor.extra, **detail},
        )

    def not_permitted(self, uow: UnitOfWork, actor: Actor) -> None:
        """Record the refusal at once: it outlives the rollback."""
        uow.record_now([self.event(actor, Outcome.DENIED, {"reason": "no-permission"})])

    def rejected(
        self, uow: UnitOfWork, actor: Actor, report: ImportReport, outside: int
    ) -> NoReturn:
        """Record that the file was refused (denied if it reached outside the importer's
        jurisdiction) and raise :class:`ImportRejected` with every error, by line."""
        report.errors.sort(key=lambda e: e.line)
        outcome = Outcome.DENIED if outside else Outcome.FAILURE
        detail: Detail = {
            "rows": report.rows_read,
            "errors": report.error_count,
            "outside_jurisdiction": outside,
            "sha256": report.sha256,
        }
        uow.record_now([self.event(actor, outcome, detail)])
        raise ImportRejected(report)

    def done(self, uow: UnitOfWork, actor: Actor, report: ImportReport) -> None:
        """The import's own event, committed with what it filed."""
        detail: Detail = {
            "rows": report.rows_read,
            "created": report.created,
            "sha256": report.sha256,
        }
        uow.audit(self.event(actor, Outcome.SUCCESS, detail))


def enum_text(value: str) -> str:
    """``In Custody``, ``in-custody`` and ``IN_CUSTODY`` all mean ``in_custody``; the schema
    then decides whether that is a valid value."""
    return "_".join(value.replace("-", " ").split()).lower()
