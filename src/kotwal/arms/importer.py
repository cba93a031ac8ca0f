"""Bulk import of arms licences from CSV, one row per weapon, as licensing registers export them.

The format is described for users in ``docs/licence-import-format.md``: a header naming the
columns (any order, any letter case), then one weapon per line; the rows of one licence share
its licence number, the first of them carries the licence's details and the others may leave
them empty (or repeat them exactly). Dates are ``YYYY-MM-DD`` or, as Indian registers write
them, ``DD-MM-YYYY`` / ``DD/MM/YYYY``.

As for persons (:mod:`kotwal.records.importer`), the whole file is read and checked first and
every mistake is reported with its line; then each licence is filed through
:func:`kotwal.arms.service.file_licence`, the same rules and audit events as a licence issued
through the API (a number or UIN already recorded, dates that do not fit, a station outside
the importer's jurisdiction), each in a savepoint so that one refusal does not hide the next.
A file with any error writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, BinaryIO, TextIO

from pydantic import ValidationError

from kotwal.arms.permissions import ArmsPermission
from kotwal.arms.schemas import LicenceIssue, WeaponAdd
from kotwal.arms.service import file_licence
from kotwal.core.csvfile import (
    DEFAULT_LIMITS,
    CsvLines,
    ImportAudit,
    ImportLimits,
    ImportProgress,
    ImportReport,
    RowGroup,
    StationCodes,
    day_first_date,
    enum_text,
    file_each,
    grouped_rows,
    read_rows,
)
from kotwal.core.errors import Forbidden
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork

#: The licence's columns (``station_code`` stands in for the schema's ``station_id``).
LICENCE_COLUMNS: tuple[str, ...] = (
    "licence_number",
    "uin",
    "holder_name",
    "holder_father_name",
    "holder_birth_year",
    "holder_address",
    "holder_phone",
    "grounds",
    "area_of_validity",
    "issuing_authority",
    "issued_on",
    "valid_until",
    "station_code",
)
#: One weapon per row.
WEAPON_COLUMNS: tuple[str, ...] = ("weapon_category", "weapon_make", "weapon_bore", "weapon_serial")
COLUMNS = LICENCE_COLUMNS + WEAPON_COLUMNS
REQUIRED_COLUMNS = frozenset(
    {"licence_number", "uin", "holder_name", "grounds", "area_of_validity"}
    | {"issuing_authority", "issued_on", "valid_until", "station_code"}
    | set(WEAPON_COLUMNS)
)
_ENUM_COLUMNS = frozenset({"grounds", "weapon_category"})
_DATE_COLUMNS = frozenset({"issued_on", "valid_until"})
_DAY_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


def import_licences(
    uow: UnitOfWork,
    actor: Actor,
    stream: TextIO | BinaryIO,
    *,
    progress: ImportProgress | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ImportReport:
    """File every licence of a CSV ``stream``, or none of them (``report.created`` counts
    licences, ``rows_read`` weapons' rows). ``uow`` must be a write unit of work, committed by
    the caller; :class:`ImportRejected` carries every error found."""
    if not uow.write:
        raise RuntimeError("an import needs a write unit of work")
    if not (actor.can(ArmsPermission.LICENCE_IMPORT) and actor.can(ArmsPermission.LICENCE_MANAGE)):
        _AUDIT.not_permitted(uow, actor)
        raise Forbidden(
            f"importing arms licences needs the {ArmsPermission.LICENCE_IMPORT} permission"
        )
    report = ImportReport()
    stations = StationCodes(uow.session, actor)
    licences = _grouped(CsvLines(stream, limits, progress), report, limits)
    checked = [(lic, _checked(lic, stations, report, limits)) for lic in licences]
    if report.error_count:
        _AUDIT.rejected(uow, actor, report, stations.outside_jurisdiction)
    ready = [(licence.line, issue) for licence, issue in checked if issue is not None]
    file_each(uow, ready, lambda issue: file_licence(uow, actor, issue), report, limits, progress)
    if report.error_count:
        _AUDIT.rejected(uow, actor, report, stations.outside_jurisdiction)
    report.created = len(checked)
    _AUDIT.done(uow, actor, report)
    return report


def _grouped(lines: CsvLines, report: ImportReport, limits: ImportLimits) -> list[RowGroup]:
    """The file's rows gathered into licences by licence number (each row a weapon)."""
    rows = read_rows(lines, COLUMNS, REQUIRED_COLUMNS, report)
    return grouped_rows(rows, "licence_number", LICENCE_COLUMNS, report, limits, noun="licence")


def _checked(
    licence: RowGroup, stations: StationCodes, report: ImportReport, limits: ImportLimits
) -> LicenceIssue | None:
    """The licence as :class:`LicenceIssue`, or None after reporting what is wrong with it."""
    before = report.error_count
    data: dict[str, Any] = {}
    for column, value in licence.details.items():
        if column == "station_code":
            station_id, refused = stations.station_id(value)
            if refused is not None:
                report.error(licence.line, column, refused, limits)
            data["station_id"] = station_id
        elif column in _DATE_COLUMNS:
            data[column] = day_first_date(value)
        elif column in _ENUM_COLUMNS:
            data[column] = enum_text(value)
        else:
            data[column] = value
    weapons = [_weapon(line, cells, report, limits) for line, cells in licence.rows]
    data["weapons"] = [w for w in weapons if w is not None]
    try:
        issue = LicenceIssue.model_validate(data)
    except ValidationError as exc:
        _report_invalid(exc, licence.line, report, limits)
        return None
    return issue if report.error_count == before else None


def _weapon(
    line: int, cells: dict[str, str], report: ImportReport, limits: ImportLimits
) -> WeaponAdd | None:
    data = {k.removeprefix("weapon_"): v for k, v in cells.items()}
    if "category" in data:
        data["category"] = enum_text(data["category"])
    try:
        return WeaponAdd.model_validate(data)
    except ValidationError as exc:
        for problem in exc.errors(include_url=False, include_input=False):
            column = "weapon_" + str(problem["loc"][0]) if problem["loc"] else "row"
            report.error(line, column, str(problem["msg"]), limits)
        return None


def _report_invalid(
    exc: ValidationError, line: int, report: ImportReport, limits: ImportLimits
) -> None:
    for problem in exc.errors(include_url=False, include_input=False):
        location: Sequence[int | str] = problem["loc"]
        if location and location[0] == "weapons":
            if len(location) == 1:  # too many or none; a bad weapon is reported on its row
                report.error(line, "weapons", str(problem["msg"]), limits)
            continue
        column = str(location[0]) if location else "row"
        column = "station_code" if column == "station_id" else column
        report.error(line, column, str(problem["msg"]).removeprefix("Value error, "), limits)


_AUDIT = ImportAudit("arms.import", "arms_licence")
