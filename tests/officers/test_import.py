"""Bulk import of officers from CSV (one posting per row): a good file files every officer with
their career (current posting inside the importer's jurisdiction, earlier ones anywhere),
ranks as registers write them; any bad row is reported by its line and nothing is written,
whether the fault is in the row, in how the rows of one officer fit together, or in what
filing refuses (a belt number already recorded, overlapping postings); only station command
and above may import, inside their jurisdiction; the CLI does the same as a named account."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from kotwal.cli import app
from kotwal.core.config import Settings
from kotwal.core.csvfile import ImportReport
from kotwal.core.errors import Forbidden
from kotwal.core.models import AuditEventRow
from kotwal.core.policy import Actor, Role
from kotwal.core.runtime import Runtime
from kotwal.officers.importer import COLUMNS, REQUIRED_COLUMNS, import_officers
from kotwal.officers.models import Officer as OfficerRecord
from kotwal.officers.models import OfficerPosting
from kotwal.officers.schemas import EarlierPosting, OfficerCreate, Rank
from tests.factories import Officer, World, make_officer
from tests.import_helpers import actor_of, import_errors, import_text

GOOD = Path(__file__).parent / "data" / "officers_good.csv"
LINES = GOOD.read_text("utf-8").splitlines()
HEADER, FIRST = LINES[0], LINES[1]
runner = CliRunner()


def run_import(runtime: Runtime, actor: Actor, text: str) -> ImportReport:
    return import_text(runtime, actor, import_officers, text)


def rejected(runtime: Runtime, actor: Actor, text: str) -> list[str]:
    return import_errors(runtime, actor, import_officers, text)


def counts(runtime: Runtime) -> tuple[int, int]:
    with runtime.db.transaction(write=False) as session:
        officers = session.scalar(select(func.count()).select_from(OfficerRecord))
        postings = session.scalar(select(func.count()).select_from(OfficerPosting))
        return int(officers or 0), int(postings or 0)


@pytest.fixture
def chief(runtime: Runtime, world: World) -> Officer:
    """The district chief: PS-A, PS-B and the district are theirs, PS-C is not."""
    return make_officer(runtime, Role.DISTRICT_CHIEF, posting=world.district)


def test_the_columns_cover_an_officer_and_one_posting() -> None:
    officer = set(OfficerCreate.model_fields) - {"account_id", "earlier_postings"}
    posting = {"unit_code" if f == "unit_id" else f for f in EarlierPosting.model_fields}
    as_named = {"unit_id": "unit_code", "posted_on": "from_date"}
    assert set(COLUMNS) == {as_named.get(f, f) for f in officer} | posting
    assert "from_date" in REQUIRED_COLUMNS and "to_date" not in REQUIRED_COLUMNS


def test_a_good_file_files_every_officer_with_their_career(
    runtime: Runtime, world: World, chief: Officer
) -> None:
    report = run_import(runtime, actor_of(runtime, chief), GOOD.read_text("utf-8"))
    assert (report.rows_read, report.created) == (5, 3)
    assert counts(runtime) == (3, 5)
    with runtime.db.transaction(write=False) as session:
        by_belt = {o.belt_number: o for o in session.execute(select(OfficerRecord)).scalars()}
        # Belt numbers as stored (no spaces, capitals); ranks and status as registers write them.
        assert sorted(by_belt) == ["TS-HC-1101", "TS-PC-3301", "TS-SI-2201"]
        assert [by_belt[b].rank for b in sorted(by_belt)] == [
            Rank.HEAD_CONSTABLE,
            Rank.CONSTABLE,
            Rank.SUB_INSPECTOR,
        ]
        assert by_belt["TS-PC-3301"].status == "on_leave"
        si = by_belt["TS-SI-2201"]
        assert (si.unit_id, si.status) == (world.station_b, "serving")
        career = session.execute(
            select(OfficerPosting.unit_id, OfficerPosting.from_date, OfficerPosting.to_date)
            .where(OfficerPosting.officer_id == si.id)
            .order_by(OfficerPosting.from_date)
        ).all()
        # Day-first dates read; the posting outside the district (PS-C) is history, allowed.
        assert [(u, str(f), str(t)) for u, f, t in career] == [
            (world.district, "2016-01-04", "2019-03-14"),
            (world.station_c, "2019-03-15", "2024-03-31"),
            (world.station_b, "2024-04-01", "None"),
        ]
        [event] = session.execute(
            select(AuditEventRow).where(AuditEventRow.action == "officer.import")
        ).scalars()
        assert json.loads(event.detail)["created"] == 3
        created = session.scalar(
            select(func.count())
            .select_from(AuditEventRow)
            .where(AuditEventRow.action == "officer.create")
        )
        assert created == 3


def test_every_bad_row_is_reported_by_line_and_nothing_is_written(
    runtime: Runtime, chief: Officer
) -> None:
    lines = list(LINES)
    lines[1] = lines[1].replace(",HC,", ",Havildar,")  # line 2: no such rank
    lines[3] = lines[3].replace("2019-03-15", "2019-02-30")  # line 4: no such day
    lines[5] = lines[5].replace(",PS-A,", ",PS-C,")  # line 6: current posting outside
    errors = rejected(runtime, actor_of(runtime, chief), "\n".join(lines) + "\n")
    assert [e.split(":")[0:2] for e in errors] == [
        ["line 2", " rank"],
        ["line 4", " from_date"],
        ["line 6", " unit_code"],
    ]
    assert "outside your jurisdiction" in errors[2]
    assert counts(runtime) == (0, 0)


def test_the_rows_of_one_officer_must_fit_together(runtime: Runtime, chief: Officer) -> None:
    actor = actor_of(runtime, chief)
    renamed = "TS-HC-1101,Someone Else,,,,,,,PS-B,,2020-01-01,2023-05-31"
    assert rejected(runtime, actor, f"{HEADER}\n{FIRST}\n{renamed}\n") == [
        "line 3: name: differs from line 2, the first row of this officer"
    ]
    second_current = "TS-HC-1101,,,,,,,,PS-B,,2020-01-01,"
    [error] = rejected(runtime, actor, f"{HEADER}\n{FIRST}\n{second_current}\n")
    assert error == (
        "line 2: to_date: exactly one posting has no to_date (the current one); lines: 2, 3"
    )
    overlapping = "TS-HC-1101,,,,,,,,PS-B,,2020-01-01,2023-06-30"  # ends after 01-06-2023
    [error] = rejected(runtime, actor, f"{HEADER}\n{FIRST}\n{overlapping}\n")
    assert error.startswith("line 2: row: earlier postings end before the current posting")
    assert counts(runtime) == (0, 0)


def test_what_filing_refuses_is_reported_for_every_officer_and_nothing_stays(
    runtime: Runtime, chief: Officer
) -> None:
    actor = actor_of(runtime, chief)
    run_import(runtime, actor, f"{HEADER}\n{FIRST}\n")  # TS-HC-1101 is on record now
    again = FIRST.replace("Synthetic Ravi Kumar", "Synthetic Ravi K")
    future = "TS-SI-9901,Synthetic Future Officer,SI,,,,,,PS-B,,2999-01-01,"
    errors = rejected(runtime, actor, f"{HEADER}\n{again}\n{future}\n")
    assert errors == [
        "line 2: row: this belt number is already on another officer's record",
        "line 3: row: a posting cannot begin in the future",
    ]
    assert counts(runtime) == (1, 1)  # the first import only


@pytest.mark.parametrize("role", [Role.SUB_INSPECTOR, Role.ARMS_LICENSING_OFFICER])
def test_only_station_command_and_above_import(runtime: Runtime, world: World, role: Role) -> None:
    other = make_officer(runtime, role, posting=world.station_a)
    with pytest.raises(Forbidden):
        run_import(runtime, actor_of(runtime, other), GOOD.read_text("utf-8"))
    assert counts(runtime) == (0, 0)
    with runtime.db.transaction(write=False) as session:
        [event] = session.execute(
            select(AuditEventRow).where(AuditEventRow.action == "officer.import")
        ).scalars()
        assert event.outcome == "denied"


def test_a_station_house_officer_imports_only_at_their_station(
    runtime: Runtime, world: World
) -> None:
    sho = make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    errors = rejected(runtime, actor_of(runtime, sho), GOOD.read_text("utf-8"))
    # Line 3 (PS-B) is another station's posting; the earlier ones (PS-C, HYD-C) are history.
    assert errors == ["line 3: unit_code: 'PS-B' is outside your jurisdiction"]
    own = "\n".join([HEADER, LINES[1], LINES[5]]) + "\n"
    assert run_import(runtime, actor_of(runtime, sho), own).created == 2


def test_cli_imports_as_the_named_account_and_lists_errors_of_a_bad_file(
    env: Settings, runtime: Runtime, chief: Officer, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\n{FIRST.replace(',PS-A,', ',PS-9,')}\n", encoding="utf-8")
    result = runner.invoke(app, ["officers", "import", str(bad), "--as", chief.username])
    assert result.exit_code == 1, result.output
    assert "nothing was written" in result.stderr
    assert "line 2: unit_code: no station or unit has the code 'PS-9'" in result.stderr
    result = runner.invoke(app, ["officers", "import", str(GOOD), "--as", chief.username])
    assert result.exit_code == 0, result.output
    assert "imported 3 officer(s) (5 posting rows)" in result.stdout
    assert counts(runtime) == (3, 5)


def test_the_documented_example_imports(runtime: Runtime, chief: Officer) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "officer-import-format.md").read_text("utf-8")
    [example] = re.findall(r"```csv\n(.*?)```", doc, flags=re.DOTALL)
    report = run_import(runtime, actor_of(runtime, chief), example)
    assert (report.rows_read, report.created) == (3, 2)
    assert counts(runtime) == (2, 3)
