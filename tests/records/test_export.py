"""CSV export of persons: a separately permitted action, bound to a purpose, kept inside the
actor's jurisdiction whatever the purpose, written through the gate and audited; the file is
in the import format, so exporting and re-importing reproduces the records."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from kotwal.core.config import Settings
from kotwal.core.errors import Forbidden, InvalidInput, NotFound
from kotwal.core.policy import Actor, Jurisdiction, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.decoys.service import register_contents
from kotwal.records.cli import app
from kotwal.records.exporter import cell_text, export_persons
from kotwal.records.importer import COLUMNS, MASKED_TEXT
from kotwal.records.models import Person, PersonAlias, PersonNameKey, PersonVersion
from tests.factories import Officer, World, make_officer
from tests.helpers import audit_events
from tests.records.test_import import (
    DATA,
    GOOD,
    GOOD_ROWS,
    actor_of,
    persons_count,
    rows,
    run_import,
)

PURPOSE = "FIR PS-A/2026/0042 review of station records"
runner = CliRunner()


def run_export(
    runtime: Runtime,
    actor: Actor,
    *,
    station_code: str | None = None,
    purpose: str = PURPOSE,
    max_rows: int | None = None,
) -> tuple[int, str]:
    """Export in a read unit of work (the audit events are durable when it ends)."""
    out = io.StringIO()
    with UnitOfWork(runtime, write=False) as uow:
        if max_rows is None:
            count = export_persons(uow, actor, out, station_code=station_code, purpose=purpose)
        else:
            count = export_persons(
                uow, actor, out, station_code=station_code, purpose=purpose, max_rows=max_rows
            )
    return count, without_decoys(runtime, out.getvalue())


def without_decoys(runtime: Runtime, text: str) -> str:
    """The export without its decoy rows (every export carries its own, registered by phone;
    tests/decoys checks them), so that the real rows can be compared."""
    with UnitOfWork(runtime, write=False) as uow:
        entries = register_contents(uow.session)
    decoys = {c["phone"] for c in entries if c["resource_type"] == "phone"}
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    kept = io.StringIO()
    writer = csv.writer(kept)
    phone = COLUMNS.index("phone")
    for row in csv.reader(io.StringIO(text.removeprefix(bom), newline="")):
        if len(row) <= phone or row[phone] not in decoys:
            writer.writerow(row)
    return bom + kept.getvalue()


def parsed(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def wipe_persons(runtime: Runtime) -> None:
    """Leave the database without any person, as a fresh installation would be."""
    with runtime.db.transaction(write=True) as session:
        for table in (PersonNameKey, PersonAlias, PersonVersion, Person):
            session.execute(delete(table))
    assert persons_count(runtime) == 0


@pytest.fixture
def sho(runtime: Runtime, world: World) -> Actor:
    """The station house officer of PS-A, with the station's records already imported."""
    actor = actor_of(
        runtime, make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    )
    run_import(runtime, actor, GOOD)
    return actor


@pytest.fixture
def elsewhere(runtime: Runtime, world: World) -> None:
    """Records at PS-B (same circle as PS-A) and PS-C (another zone)."""
    for posting, code in ((world.station_b, "PS-B"), (world.station_c, "PS-C")):
        officer = make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=posting)
        run_import(
            runtime,
            actor_of(runtime, officer),
            rows(f"Test Resident Of {code},offender,{code},,1970"),
        )


def test_an_export_is_in_the_import_format(runtime: Runtime, sho: Actor) -> None:
    count, text = run_export(runtime, sho)
    assert count == GOOD_ROWS
    assert next(csv.reader(io.StringIO(text))) == list(COLUMNS)
    by_name = {r["name"]: r for r in parsed(text)}
    assert len(by_name) == GOOD_ROWS
    srinivas = by_name["Test Srinivas Reddy"]
    assert srinivas["aliases"] == "Chinna;Seenu"
    assert srinivas["name_te"] == "శ్రీనివాస్ రెడ్డి"
    assert srinivas["phone"] == "9000010001" and srinivas["station_code"] == "PS-A"
    assert srinivas["address"] == "H.No. 1-2-3, Synthetic Colony, Testnagar"
    assert by_name["Unknown Male Test"]["birth_year"] == ""


def test_export_then_reimport_into_an_empty_database_reproduces_the_records(
    runtime: Runtime, sho: Actor
) -> None:
    run_import(runtime, sho, DATA / "persons_bom.csv")  # Telugu names, legacy spellings
    count, first = run_export(runtime, sho)
    assert count == GOOD_ROWS + 2
    wipe_persons(runtime)
    assert run_import(runtime, sho, first).created == count
    _, second = run_export(runtime, sho)
    assert second == first
    assert "కిరణ్ కుమార్" in second


def test_export_needs_the_export_permission(runtime: Runtime, world: World, sho: Actor) -> None:
    writer = actor_of(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    out = io.StringIO()
    with pytest.raises(Forbidden), UnitOfWork(runtime, write=False) as uow:
        export_persons(uow, writer, out, station_code=None, purpose=PURPOSE)
    assert out.getvalue() == ""
    [denied] = audit_events(runtime, "records.export")
    assert denied.outcome == "denied" and denied.actor_id == writer.account_id


@pytest.mark.usefixtures("elsewhere")
def test_an_export_never_leaves_the_actors_jurisdiction(
    runtime: Runtime, world: World, sho: Actor
) -> None:
    _, text = run_export(runtime, sho)
    assert {r["station_code"] for r in parsed(text)} == {"PS-A"}
    for code in ("PS-B", "PS-C", "HYD-C", "TS"):  # a neighbour, a stranger, ancestors
        with pytest.raises(Forbidden):
            run_export(runtime, sho, station_code=code, purpose="FIR PS-C/2026/0001 urgent")
    outcomes = [e.outcome for e in audit_events(runtime, "records.export")]
    assert outcomes == ["success"] + ["denied"] * 4
    exported = {e.resource_id for e in audit_events(runtime, "record.disclose") if e.purpose}
    assert exported == _ids(runtime, "PS-A")


@pytest.mark.usefixtures("elsewhere")
def test_a_circle_officer_exports_the_circle_or_one_of_its_stations(
    runtime: Runtime, world: World, sho: Actor
) -> None:
    circle = actor_of(runtime, make_officer(runtime, Role.CIRCLE_OFFICER, posting=world.circle))
    _, text = run_export(runtime, circle)
    assert {r["station_code"] for r in parsed(text)} == {"PS-A", "PS-B"}
    count, text = run_export(runtime, circle, station_code="PS-B")
    assert count == 1 and parsed(text)[0]["name"] == "Test Resident Of PS-B"
    with pytest.raises(Forbidden):
        run_export(runtime, circle, station_code="PS-C")


@pytest.mark.parametrize("purpose", ["", "   ", "abc"])
def test_an_export_needs_a_purpose(runtime: Runtime, sho: Actor, purpose: str) -> None:
    with pytest.raises(InvalidInput):
        run_export(runtime, sho, purpose=purpose)
    assert audit_events(runtime, "records.export") == []


def test_an_unknown_scope_is_refused(runtime: Runtime, sho: Actor) -> None:
    with pytest.raises(NotFound, match="no jurisdiction has the code 'PS-NOPE'"):
        run_export(runtime, sho, station_code="PS-NOPE")


def test_the_export_and_every_record_in_it_are_audited(runtime: Runtime, sho: Actor) -> None:
    count, _ = run_export(runtime, sho)
    [exported] = audit_events(runtime, "records.export")
    assert exported.outcome == "success" and exported.purpose == PURPOSE
    detail = json.loads(exported.detail)
    assert detail.pop("copy") and detail == {"count": count, "scope": "all"}
    disclosed = [e for e in audit_events(runtime, "record.disclose") if e.purpose == PURPOSE]
    assert len(disclosed) == count
    assert {e.resource_id for e in disclosed} == _ids(runtime, "PS-A")
    assert all(e.actor_id == sho.account_id for e in disclosed)


def test_a_scope_larger_than_one_import_is_refused_not_cut_short(
    runtime: Runtime, sho: Actor
) -> None:
    with pytest.raises(InvalidInput, match="more than 3 persons"):
        run_export(runtime, sho, max_rows=3)
    assert audit_events(runtime, "records.export") == []


def test_a_withheld_field_is_written_as_masked_text() -> None:
    assert cell_text({"masked": True}) == MASKED_TEXT == "[masked]"
    assert cell_text(None) == "" and cell_text(1985) == "1985"


def test_formula_like_values_are_neutralised_and_still_reimport_unchanged(
    runtime: Runtime, sho: Actor
) -> None:
    wipe_persons(runtime)
    run_import(runtime, sho, rows("=Test HYPERLINK(1),offender,PS-A,+91 90000 11111,1980"))
    _, text = run_export(runtime, sho)
    [row] = parsed(text)
    assert row["name"] == "'=Test HYPERLINK(1)" and row["phone"] == "'+91 90000 11111"
    wipe_persons(runtime)
    run_import(runtime, sho, text)
    with runtime.db.transaction(write=False) as session:
        assert session.scalar(select(Person.name)) == "=Test HYPERLINK(1)"


def _ids(runtime: Runtime, code: str) -> set[str]:
    """Ids of the persons filed at the station with this code."""
    with runtime.db.transaction(write=False) as session:
        stmt = select(Person.id).join(Jurisdiction, Jurisdiction.id == Person.station_id)
        return set(session.execute(stmt.where(Jurisdiction.code == code)).scalars())


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def sho_officer(runtime: Runtime, world: World) -> Officer:
    officer = make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    run_import(runtime, actor_of(runtime, officer), GOOD)
    return officer


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    """An empty directory for export files."""
    path = tmp_path / "exports"
    path.mkdir()
    return path


def test_cli_exports_a_private_file_that_reimports(
    env: Settings, runtime: Runtime, sho_officer: Officer, exports: Path
) -> None:
    target = exports / "ps-a.csv"
    args = ["export", str(target), "--as", sho_officer.username, "--purpose", PURPOSE]
    result = runner.invoke(app, [*args, "--station", "PS-A"])
    assert result.exit_code == 0, result.output
    assert f"exported {GOOD_ROWS} person(s)" in result.stdout
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # spreadsheets then read the Telugu columns right
    assert sorted(os.listdir(exports)) == ["ps-a.csv"]  # no partial file left behind
    [event] = audit_events(runtime, "records.export")
    assert event.actor_id == sho_officer.account_id and event.client_addr == "cli"
    assert json.loads(event.detail)["operator"].startswith("cli:")
    wipe_persons(runtime)
    target.write_text(without_decoys(runtime, target.read_text("utf-8")), "utf-8")
    result = runner.invoke(app, ["import", str(target), "--as", sho_officer.username])
    assert result.exit_code == 0, result.output
    assert persons_count(runtime) == GOOD_ROWS


def test_cli_export_refuses_to_overwrite_or_to_act_without_permission(
    env: Settings, runtime: Runtime, world: World, sho_officer: Officer, exports: Path
) -> None:
    existing = exports / "existing.csv"
    existing.write_text("keep me\n")
    args = ["--as", sho_officer.username, "--purpose", PURPOSE]
    result = runner.invoke(app, ["export", str(existing), *args])
    assert result.exit_code == 2 and existing.read_text() == "keep me\n"
    writer = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    target = exports / "denied.csv"
    result = runner.invoke(
        app, ["export", str(target), "--as", writer.username, "--purpose", PURPOSE]
    )
    assert result.exit_code == 2 and "export" in result.stderr
    assert sorted(os.listdir(exports)) == ["existing.csv"]
    outside = runner.invoke(app, ["export", str(target), *args, "--station", "PS-C"])
    assert outside.exit_code == 2 and not target.exists()
    missing_purpose = runner.invoke(app, ["export", str(target), "--as", sho_officer.username])
    assert missing_purpose.exit_code == 2
