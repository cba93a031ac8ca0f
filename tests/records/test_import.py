"""Bulk import of persons from CSV: a good file files every row (searchable, sealed, audited);
any bad row is reported by its physical line and nothing at all is written; the header, the
encoding, duplicates, jurisdiction and size limits are checked; the CLI does the same for an
operator acting as a real account."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from kotwal.core.config import Settings
from kotwal.core.errors import Forbidden
from kotwal.core.models import Account
from kotwal.core.policy import Actor, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.records import service
from kotwal.records.cli import app
from kotwal.records.importer import (
    CHECKING,
    COLUMNS,
    DEFAULT_LIMITS,
    REQUIRED_COLUMNS,
    WRITING,
    ImportLimits,
    ImportRejected,
    ImportReport,
    escape_cell,
    import_persons,
    unescape_cell,
)
from kotwal.records.models import Person, PersonAlias
from kotwal.records.schemas import PersonCreate
from tests.factories import Officer, World, make_officer
from tests.helpers import audit_events
from tests.import_helpers import actor_of

DATA = Path(__file__).parent / "data"
GOOD = DATA / "persons_good.csv"
GOOD_ROWS = 8
HEADER = "name,category,station_code,phone,birth_year"
runner = CliRunner()


def rows(*lines: str) -> str:
    """A small CSV file with the usual header."""
    return "\n".join([HEADER, *lines]) + "\n"


def run_import(
    runtime: Runtime,
    actor: Actor,
    source: str | bytes | Path,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ImportReport:
    """Import in one write unit of work, as the API or the CLI would."""
    if isinstance(source, Path):
        source = source.read_bytes()
    stream: IO[str] | IO[bytes]
    stream = io.BytesIO(source) if isinstance(source, bytes) else io.StringIO(source)
    with UnitOfWork(runtime, write=True) as uow:
        return import_persons(uow, actor, stream, limits=limits)


def rejected(runtime: Runtime, actor: Actor, source: str | bytes | Path) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        run_import(runtime, actor, source)
    return caught.value


def persons_count(runtime: Runtime) -> int:
    with runtime.db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(Person)) or 0)


@pytest.fixture
def sho(runtime: Runtime, world: World) -> Actor:
    """The station house officer of PS-A: may import and export, at PS-A only."""
    return actor_of(
        runtime, make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    )


def test_the_columns_are_the_schemas_fields_with_a_station_code() -> None:
    fields = {"station_code" if f == "station_id" else f for f in PersonCreate.model_fields}
    assert set(COLUMNS) == fields
    assert {"name", "category", "station_code"} == REQUIRED_COLUMNS


def test_a_good_file_imports_every_row_and_they_are_searchable_by_name(
    runtime: Runtime, sho: Actor
) -> None:
    report = run_import(runtime, sho, GOOD)
    assert (report.rows_read, report.created, report.errors) == (GOOD_ROWS, GOOD_ROWS, [])
    assert persons_count(runtime) == GOOD_ROWS
    with UnitOfWork(runtime, write=False) as uow:
        [hit] = service.search_by_name(uow, sho, "Srinivas Reddy", None).hits[:1]
        assert hit["person"]["name"] == "Test Srinivas Reddy"
        assert hit["person"]["address"] == "H.No. 1-2-3, Synthetic Colony, Testnagar"
        [alias_hit] = service.search_by_name(uow, sho, "Chotu Bhai", None).hits
        assert alias_hit["person"]["status"] == "absconding"
        [by_phone] = service.find_by_phone(uow, sho, "9000010006", None)
        assert by_phone["name"] == "Test Ravi Kumar"


def test_every_row_is_filed_through_the_service_and_the_import_is_audited(
    runtime: Runtime, sho: Actor
) -> None:
    run_import(runtime, sho, GOOD)
    assert len(audit_events(runtime, "record.create")) == GOOD_ROWS
    [event] = audit_events(runtime, "records.import")
    assert event.outcome == "success" and event.actor_id == sho.account_id
    detail = json.loads(event.detail)
    assert detail["created"] == GOOD_ROWS and len(detail["sha256"]) == 64
    with runtime.db.transaction(write=False) as session:
        aliases = set(session.execute(select(PersonAlias.name)).scalars())
        assert {"Seenu", "Chinna", "Ravi K.", "Kommu Ravi"} <= aliases
        stored = session.execute(select(Person.phone).limit(1)).scalar_one()
        assert "90000" not in repr(stored)  # sealed at rest, like any person filed by the API


def test_a_bad_row_is_reported_by_its_line_and_nothing_is_written(
    runtime: Runtime, sho: Actor
) -> None:
    before = persons_count(runtime)
    problem = rejected(runtime, sho, DATA / "persons_bad_line7.csv")
    # Line 7 of the file, though it is the fifth row: a quoted field spans lines 3 and 4.
    [error] = problem.report.errors
    assert str(error).startswith("line 7: birth_year: ")
    assert (error.line, error.field) == (7, "birth_year")
    assert persons_count(runtime) == before == 0
    assert audit_events(runtime, "record.create") == []
    [failed] = audit_events(runtime, "records.import")
    assert failed.outcome == "failure" and '"errors":1' in failed.detail


def test_the_problem_carries_every_error_for_a_problem_json_answer(
    runtime: Runtime, sho: Actor
) -> None:
    problem = rejected(runtime, sho, DATA / "persons_bad_line7.csv")
    body = problem.body()
    assert body["status"] == 422 and body["type"].endswith(":import-rejected")
    assert body["errors"] == [
        {"line": 7, "field": "birth_year", "reason": body["errors"][0]["reason"]}
    ]
    assert body["error_count"] == 1 and body["rows_read"] == 6
    assert "line 7: birth_year" in body["detail"]


def test_all_errors_of_the_file_are_collected_and_the_list_is_capped(
    runtime: Runtime, sho: Actor
) -> None:
    rows = [f"Test Person {i},offender,PS-A,9000050{i:03d},{1899 + i % 2}" for i in range(150)]
    problem = rejected(runtime, sho, "\n".join([HEADER, *rows]) + "\n")
    # Rows with an even index have birth year 1899, below the schema's minimum.
    assert problem.report.error_count == 75
    assert len(problem.report.errors) == 75
    many = [f"Test Person {i},villain,PS-X,12,abc" for i in range(60)]
    problem = rejected(runtime, sho, "\n".join([HEADER, *many]) + "\n")
    assert problem.report.error_count == 4 * 60
    assert len(problem.report.errors) == 100
    assert {e.field for e in problem.report.errors[:4]} == {
        "category",
        "station_code",
        "phone",
        "birth_year",
    }
    assert persons_count(runtime) == 0


def test_every_problem_of_one_row_is_reported(runtime: Runtime, sho: Actor) -> None:
    source = "name,category,station_code,sex,aliases\n,suspect,PS-NOPE,robot,ok;" + "x" * 201
    errors = {(e.field, e.line) for e in rejected(runtime, sho, source).report.errors}
    assert errors == {("name", 2), ("station_code", 2), ("sex", 2), ("aliases", 2)}


def test_an_unknown_column_is_refused_with_the_list_of_columns(
    runtime: Runtime, sho: Actor
) -> None:
    problem = rejected(runtime, sho, "name,category,station_code,caste\nTest A,offender,PS-A,x\n")
    [error] = problem.report.errors
    assert error.line == 1 and error.field == "header"
    assert "'caste'" in error.reason and "station_code" in error.reason
    assert persons_count(runtime) == 0


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("name,station_code", "missing column 'category'"),
        ("name,category,station_code,Name", "column 'name' appears more than once"),
        ("name,category,,station_code", "column 3 has no name"),
    ],
)
def test_a_header_must_name_each_required_column_once(
    runtime: Runtime, sho: Actor, header: str, reason: str
) -> None:
    problem = rejected(runtime, sho, header + "\n")
    assert [str(e) for e in problem.report.errors] == [f"line 1: header: {reason}"]


def test_an_empty_file_is_refused(runtime: Runtime, sho: Actor) -> None:
    [error] = rejected(runtime, sho, b"").report.errors
    assert (error.line, error.field) == (1, "header")


def test_columns_come_in_any_order_and_any_case_and_values_as_legacy_systems_write_them(
    runtime: Runtime, sho: Actor
) -> None:
    source = (
        "PHONE,Status,Station_Code,Name,CATEGORY,sex\n"
        "9000060001,In Custody,PS-A,Test Naveen,Suspect,M\n"
    )
    assert run_import(runtime, sho, source).created == 1
    with runtime.db.transaction(write=False) as session:
        person = session.execute(select(Person)).scalar_one()
        assert (person.status, person.category, person.sex) == ("in_custody", "suspect", "male")


def test_duplicate_rows_inside_the_file_are_reported(runtime: Runtime, sho: Actor) -> None:
    problem = rejected(runtime, sho, DATA / "persons_duplicates.csv")
    assert [str(e) for e in problem.report.errors] == [
        "line 4: name: same name, birth year and station as line 2",
        "line 5: phone: same phone number as line 3",
    ]
    assert persons_count(runtime) == 0


def test_a_row_for_a_station_outside_the_importers_jurisdiction_is_refused(
    runtime: Runtime, sho: Actor
) -> None:
    source = rows(
        "Test Inside,offender,PS-A,9000070001,1980", "Test Outside,offender,PS-B,9000070002,1980"
    )
    [error] = rejected(runtime, sho, source).report.errors
    assert str(error) == "line 3: station_code: 'PS-B' is outside your jurisdiction"
    assert persons_count(runtime) == 0
    [denied] = audit_events(runtime, "records.import")
    assert denied.outcome == "denied" and '"outside_jurisdiction":1' in denied.detail


def test_a_station_code_must_name_a_police_station(runtime: Runtime, sho: Actor) -> None:
    source = rows(
        "Test One,offender,HYD-C,9000070003,1980", "Test Two,offender,PS-Z,9000070004,1980"
    )
    reasons = [str(e) for e in rejected(runtime, sho, source).report.errors]
    assert reasons == [
        "line 2: station_code: 'HYD-C' is a district, not a police station",
        "line 3: station_code: no police station has the code 'PS-Z'",
    ]


def test_a_circle_officer_imports_for_every_station_of_the_circle(
    runtime: Runtime, world: World
) -> None:
    circle = actor_of(runtime, make_officer(runtime, Role.CIRCLE_OFFICER, posting=world.circle))
    source = rows(
        "Test In A,offender,PS-A,9000070005,1980", "Test In B,offender,PS-B,9000070006,1980"
    )
    assert run_import(runtime, circle, source).created == 2


def test_import_needs_the_import_permission(runtime: Runtime, world: World) -> None:
    writer = actor_of(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    with pytest.raises(Forbidden):
        run_import(runtime, writer, GOOD)
    assert persons_count(runtime) == 0
    [denied] = audit_events(runtime, "records.import")
    assert denied.outcome == "denied" and "no-permission" in denied.detail


def test_a_file_with_a_byte_order_mark_and_crlf_lines_imports(runtime: Runtime, sho: Actor) -> None:
    raw = (DATA / "persons_bom.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert run_import(runtime, sho, raw).created == 2
    # The same file handed over as text, its BOM kept by the caller's decoder, works too.
    text = raw.decode("utf-8")
    assert text.startswith("\ufeff")
    assert run_import(runtime, sho, text).created == 2
    assert persons_count(runtime) == 4


def test_telugu_text_round_trips(runtime: Runtime, sho: Actor) -> None:
    run_import(runtime, sho, DATA / "persons_bom.csv")
    with UnitOfWork(runtime, write=False) as uow:
        [hit] = service.search_by_name(uow, sho, "కిరణ్ కుమార్", None).hits
        assert hit["person"]["name_te"] == "కిరణ్ కుమార్"
        assert hit["person"]["name"] == "Test Kiran Kumar"
        [padma] = service.search_by_name(uow, sho, "పద్మ", None).hits
        assert padma["person"]["category"] == "missing_person"


def test_a_file_that_is_not_utf8_is_refused(runtime: Runtime, sho: Actor) -> None:
    source = f"{HEADER}\nTest Jos\xe9,offender,PS-A,9000080001,1980\n".encode("latin-1")
    [error] = rejected(runtime, sho, source).report.errors
    assert str(error) == "line 2: file: not UTF-8 text; save the file as UTF-8"


def test_a_masked_placeholder_is_not_imported_as_data(runtime: Runtime, sho: Actor) -> None:
    source = f"{HEADER},address\nTest Masked,offender,PS-A,9000080002,1980,[masked]\n"
    [error] = rejected(runtime, sho, source).report.errors
    assert (error.line, error.field) == (2, "address") and "masked" in error.reason


def test_a_row_with_too_many_or_too_few_values_is_refused(runtime: Runtime, sho: Actor) -> None:
    source = f"{HEADER}\nTest Short,offender,PS-A\nTest Long,offender,PS-A,9000080003,1980,extra\n"
    assert [(e.line, e.field) for e in rejected(runtime, sho, source).report.errors] == [
        (2, "row"),
        (3, "row"),
    ]


def test_limits_on_size_rows_and_line_length(runtime: Runtime, sho: Actor) -> None:
    rows = "".join(f"Test Limit {i},offender,PS-A,90000900{i:02d},1980\n" for i in range(20))
    source = f"{HEADER}\n{rows}"
    small = ImportLimits(max_bytes=200)
    with pytest.raises(ImportRejected) as caught:
        run_import(runtime, sho, source.encode(), limits=small)
    [error] = caught.value.report.errors
    assert error.field == "file" and "larger than 200 bytes" in error.reason
    with pytest.raises(ImportRejected) as caught:
        run_import(runtime, sho, source, limits=ImportLimits(max_rows=10))
    assert (
        str(caught.value.report.errors[-1])
        == "line 12: file: more than 10 rows in one file; split it"
    )
    with pytest.raises(ImportRejected) as caught:
        run_import(
            runtime,
            sho,
            f"{HEADER}\nTest {'x' * 300},offender,PS-A,,\n",
            limits=ImportLimits(max_line_chars=100),
        )
    assert "a line longer than 100 characters" in str(caught.value.report.errors[-1])
    assert persons_count(runtime) == 0


def test_progress_is_reported_while_checking_and_writing(runtime: Runtime, sho: Actor) -> None:
    seen: list[tuple[str, int, int | None]] = []
    size = GOOD.stat().st_size
    with GOOD.open("rb") as stream, UnitOfWork(runtime, write=True) as uow:
        import_persons(uow, sho, stream, progress=lambda *a: seen.append(a))
    assert (CHECKING, size, size) in seen
    assert seen[-1] == (WRITING, GOOD_ROWS, GOOD_ROWS)


@pytest.mark.parametrize("value", ["=1+2", "+91 90000", "-x", "@SUM(A1)", "'=x", "''@y", "'Chotu'"])
def test_formula_escaping_is_undone_exactly(value: str) -> None:
    assert unescape_cell(escape_cell(value)) == value
    assert not escape_cell(value).startswith(("=", "+", "-", "@"))


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def sho_officer(runtime: Runtime, world: World) -> Officer:
    return make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)


def test_cli_imports_a_good_file_as_the_named_account(
    env: Settings, runtime: Runtime, sho_officer: Officer
) -> None:
    result = runner.invoke(app, ["import", str(GOOD), "--as", sho_officer.username])
    assert result.exit_code == 0, result.output
    assert f"imported {GOOD_ROWS} person(s)" in result.stdout
    assert persons_count(runtime) == GOOD_ROWS
    [event] = audit_events(runtime, "records.import")
    assert event.actor_id == sho_officer.account_id and event.client_addr == "cli"
    assert json.loads(event.detail)["operator"].startswith("cli:")


def test_cli_lists_the_errors_of_a_bad_file_writes_nothing_and_exits_1(
    env: Settings, runtime: Runtime, sho_officer: Officer
) -> None:
    bad = DATA / "persons_bad_line7.csv"
    result = runner.invoke(app, ["import", str(bad), "--as", sho_officer.username])
    assert result.exit_code == 1, result.output
    assert "nothing was written" in result.stderr
    assert "line 7: birth_year:" in result.stderr
    assert persons_count(runtime) == 0


@pytest.mark.parametrize("who", ["nobody-here", "si", "disabled", "not-set-up"])
def test_cli_refuses_an_account_that_cannot_import_with_exit_2(
    env: Settings, runtime: Runtime, world: World, who: str
) -> None:
    username = who
    if who == "si":
        username = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a).username
    elif who == "disabled":
        officer = make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
        with UnitOfWork(runtime, write=True) as uow:
            account = uow.session.get(Account, officer.account_id)
            assert account is not None
            account.disabled = True
        username = officer.username
    elif who == "not-set-up":
        username = make_officer(
            runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a, enrolled=False
        ).username
    result = runner.invoke(app, ["import", str(GOOD), "--as", username])
    assert result.exit_code == 2, result.output
    assert "error:" in result.stderr
    assert persons_count(runtime) == 0


def test_cli_usage_problems_exit_2(env: Settings, sho_officer: Officer, tmp_path: Path) -> None:
    assert runner.invoke(app, ["import", str(GOOD)]).exit_code == 2  # no --as
    missing = tmp_path / "missing.csv"
    assert runner.invoke(app, ["import", str(missing), "--as", sho_officer.username]).exit_code == 2


def test_the_documented_examples_import(runtime: Runtime, sho: Actor) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "person-import-format.md").read_text("utf-8")
    examples = re.findall(r"```csv\n(.*?)```", doc, flags=re.DOTALL)
    assert len(examples) == 2
    assert run_import(runtime, sho, examples[0]).created == 3
    with UnitOfWork(runtime, write=False) as uow:
        [lakshmi] = service.search_by_name(uow, sho, "Lakshmi Devi", None).hits
        assert lakshmi["person"]["sex"] == "female"
        assert lakshmi["person"]["category"] == "missing_person"
    assert run_import(runtime, sho, examples[1]).created == 1


def test_the_fixture_files_are_synthetic() -> None:
    """Fixture data must never be mistaken for real people: every name says Test, every
    phone is in the synthetic 90000 range."""
    for path in DATA.glob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                row = {k.lower(): v for k, v in row.items()}
                assert "test" in row["name"].lower(), (path.name, row["name"])
                phone = "".join(ch for ch in row.get("phone") or "" if ch.isdigit())[-10:]
                assert not phone or phone.startswith("90000"), (path.name, phone)
