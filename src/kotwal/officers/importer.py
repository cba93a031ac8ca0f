"""Bulk import of officers from CSV, one row per posting, as personnel registers export them.

The format is described for users in ``docs/officer-import-format.md``: a header naming the
columns (any order, any letter case), then one posting per line; the rows of one officer share
their belt number, the first of them carries the officer's details and the others may leave
them empty (or repeat them exactly). The posting without an end date is the current one, at a
station or unit inside the importer's jurisdiction; the postings that have ended may be
anywhere in the force. Dates are ``YYYY-MM-DD`` or ``DD-MM-YYYY`` / ``DD/MM/YYYY``.

As for persons and licences, the whole file is read and checked first and every mistake is
reported with its line; then each officer is filed through
:func:`kotwal.officers.service.file_officer`, the same rules and audit events as an officer
entered through the API (a belt number already recorded, postings that overlap), each in a
savepoint so that one refusal does not hide the next. A file with any error writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, BinaryIO, TextIO

from pydantic import BaseModel, ValidationError

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
from kotwal.officers.permissions import OfficersPermission
from kotwal.officers.schemas import EarlierPosting, OfficerCreate, normalise_belt
from kotwal.officers.service import file_officer


def _max_length(model: type[BaseModel], name: str) -> int | None:
    """The ``max_length`` a schema sets on one of its fields, so the file's limits are the API's."""
    for item in model.model_fields[name].metadata:
        if isinstance(getattr(item, "max_length", None), int):
            return int(item.max_length)
    return None


#: The officer's own columns, given on their first row.
OFFICER_COLUMNS: tuple[str, ...] = (
    "belt_number",
    "name",
    "rank",
    "status",
    "official_phone",
    "official_email",
    "personal_phone",
    "personal_address",
)
#: One posting per row; no ``to_date`` marks the current one.
POSTING_COLUMNS: tuple[str, ...] = ("unit_code", "post", "from_date", "to_date")
COLUMNS = OFFICER_COLUMNS + POSTING_COLUMNS
REQUIRED_COLUMNS = frozenset({"belt_number", "name", "rank", "unit_code", "from_date"})
#: How personnel registers write ranks, beside kotwal's own names (``sub_inspector``): the
#: short forms in daily use and the commissionerate titles of the same rank.
RANK_ALIASES: dict[str, str] = {
    "pc": "constable",
    "police_constable": "constable",
    "hc": "head_constable",
    "si": "sub_inspector",
    "ci": "inspector",
    "circle_inspector": "inspector",
    "dsp": "asp",
    "acp": "asp",
    "dcp": "sp",
    "addl_dcp": "addl_sp",
    "additional_sp": "addl_sp",
    "additional_dcp": "addl_sp",
}
#: The current posting and as many earlier ones as :class:`OfficerCreate` takes.
MAX_POSTINGS = 1 + (_max_length(OfficerCreate, "earlier_postings") or 40)
MAX_POST_CHARS = _max_length(EarlierPosting, "post") or 100


def import_officers(
    uow: UnitOfWork,
    actor: Actor,
    stream: TextIO | BinaryIO,
    *,
    progress: ImportProgress | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ImportReport:
    """File every officer of a CSV ``stream``, or none of them (``report.created`` counts
    officers, ``rows_read`` postings' rows). ``uow`` must be a write unit of work, committed by
    the caller; :class:`ImportRejected` carries every error found."""
    if not uow.write:
        raise RuntimeError("an import needs a write unit of work")
    if not (
        actor.can(OfficersPermission.OFFICER_IMPORT)
        and actor.can(OfficersPermission.OFFICER_MANAGE)
    ):
        _AUDIT.not_permitted(uow, actor)
        raise Forbidden(
            f"importing officers needs the {OfficersPermission.OFFICER_IMPORT} permission"
        )
    report = ImportReport()
    units = StationCodes(uow.session, actor)
    rows = read_rows(CsvLines(stream, limits, progress), COLUMNS, REQUIRED_COLUMNS, report)
    officers = grouped_rows(
        rows,
        "belt_number",
        OFFICER_COLUMNS,
        report,
        limits,
        noun="officer",
        normalise=normalise_belt,
    )
    checked = [(officer, _checked(officer, units, report, limits)) for officer in officers]
    if report.error_count:
        _AUDIT.rejected(uow, actor, report, units.outside_jurisdiction)
    ready = [(officer.line, data) for officer, data in checked if data is not None]
    file_each(uow, ready, lambda data: file_officer(uow, actor, data), report, limits, progress)
    if report.error_count:
        _AUDIT.rejected(uow, actor, report, units.outside_jurisdiction)
    report.created = len(checked)
    _AUDIT.done(uow, actor, report)
    return report


def _checked(
    officer: RowGroup, units: StationCodes, report: ImportReport, limits: ImportLimits
) -> OfficerCreate | None:
    """The officer as :class:`OfficerCreate`, or None after reporting what is wrong."""
    before = report.error_count
    data: dict[str, Any] = dict(officer.details)
    if "rank" in data:
        rank = enum_text(data["rank"]).replace(".", "")
        data["rank"] = RANK_ALIASES.get(rank, rank)
    if "status" in data:
        data["status"] = enum_text(data["status"])
    current = [(line, cells) for line, cells in officer.rows if not cells.get("to_date")]
    if len(current) != 1:
        lines = ", ".join(str(line) for line, _ in current) or "none"
        message = f"exactly one posting has no to_date (the current one); lines: {lines}"
        report.error(officer.line, "to_date", message, limits)
    if len(officer.rows) > MAX_POSTINGS:
        report.error(officer.line, "row", f"at most {MAX_POSTINGS} postings", limits)
    earlier: list[EarlierPosting] = []
    for line, cells in officer.rows:
        posting = _posting(line, cells, units, report, limits, current=not cells.get("to_date"))
        if posting is None:
            continue
        if "to_date" in posting:
            earlier.append(EarlierPosting.model_validate(posting))
        elif len(current) == 1:
            data.update(
                unit_id=posting["unit_id"], post=posting.get("post"), posted_on=posting["from_date"]
            )
    data["earlier_postings"] = earlier
    if report.error_count != before:
        return None
    try:
        return OfficerCreate.model_validate(data)
    except ValidationError as exc:
        _report_invalid(exc, officer.line, report, limits)
        return None


def _posting(
    line: int,
    cells: dict[str, str],
    units: StationCodes,
    report: ImportReport,
    limits: ImportLimits,
    *,
    current: bool,
) -> dict[str, Any] | None:
    """One row's posting, checked (dates read, the unit found: inside the importer's
    jurisdiction if it is the current posting), or None after reporting what is wrong."""
    before = report.error_count
    unit_id, refused = units.unit_id(cells.get("unit_code", ""), inside=current)
    if refused is not None:
        report.error(line, "unit_code", refused, limits)
    post = cells.get("post") or None
    if post is not None and len(post) > MAX_POST_CHARS:
        report.error(line, "post", f"at most {MAX_POST_CHARS} characters", limits)
    posting: dict[str, Any] = {"unit_id": unit_id, "post": post}
    for column in ("from_date", "to_date"):
        value = cells.get(column, "")
        if not value:
            if column == "from_date":
                report.error(line, column, "every posting has the day it began", limits)
            continue
        try:
            posting[column] = date.fromisoformat(day_first_date(value))
        except ValueError:
            report.error(line, column, "not a date (YYYY-MM-DD or DD-MM-YYYY)", limits)
    return posting if report.error_count == before else None


def _report_invalid(
    exc: ValidationError, line: int, report: ImportReport, limits: ImportLimits
) -> None:
    for problem in exc.errors(include_url=False, include_input=False):
        location: Sequence[int | str] = problem["loc"]
        column = str(location[0]) if location else "row"
        column = {"unit_id": "unit_code", "posted_on": "from_date"}.get(column, column)
        report.error(line, column, str(problem["msg"]).removeprefix("Value error, "), limits)


_AUDIT = ImportAudit("officer.import", "officer")
