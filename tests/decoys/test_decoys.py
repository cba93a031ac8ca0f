"""Decoys: planted in the primary and registered; opening one suspends the reader at once, an
honest search that lists one does not; every export and every backup carries its own set."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from kotwal.cli import app as cli
from kotwal.core.audit import search
from kotwal.core.config import Settings
from kotwal.core.errors import InvalidInput
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.decoys import service
from kotwal.decoys.backup import create_backup
from kotwal.decoys.models import DecoyCopy
from kotwal.guard import selfcheck
from kotwal.records.models import Person
from kotwal.watch.models import WatchAlert
from tests.factories import FACTORY, Officer, World, api_officer
from tests.records_helpers import file_person

runner = CliRunner()


def plant(runtime: Runtime, count: int = 4) -> service.Planted:
    with UnitOfWork(runtime, write=True) as uow:
        return service.plant(uow, FACTORY, count=count)


def register(runtime: Runtime, copy_id: str | None = None) -> list[dict[str, object]]:
    with UnitOfWork(runtime, write=False) as uow:
        return service.register_contents(uow.session, copy_id)


@pytest.fixture
def planted(runtime: Runtime, world: World) -> service.Planted:
    return plant(runtime)


def test_planted_decoys_are_records_registered_with_their_phones(
    runtime: Runtime, planted: service.Planted
) -> None:
    entries = register(runtime, service.PRIMARY)
    persons = {str(e["record_id"]) for e in entries if e["resource_type"] == "person"}
    phones = [e for e in entries if e["resource_type"] == "phone"]
    assert persons == set(planted.person_ids) and len(phones) == 4
    with runtime.db.transaction(write=False) as session:
        assert session.scalar(select(Person.id).where(Person.id.in_(persons)).limit(1))


def test_the_register_keeps_no_record_id_in_clear(
    runtime: Runtime, planted: service.Planted
) -> None:
    with runtime.db.engine.connect() as conn:
        raw = " ".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM decoys"))
    assert not any(person_id in raw for person_id in planted.person_ids)


def test_only_security_officers_read_the_register_and_each_read_is_audited(
    client: TestClient, runtime: Runtime, world: World, planted: service.Planted
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    auditor = api_officer(runtime, Role.AUDITOR, None)
    for stranger in (sho, auditor):
        assert client.get("/api/v1/security/decoys", headers=stranger.bearer).status_code == 403
    security = api_officer(runtime, Role.SECURITY_OFFICER, None)
    page = client.get("/api/v1/security/decoys?limit=200", headers=security.bearer)
    assert page.status_code == 200, page.text
    ids = {i["record_id"] for i in page.json()["items"] if i["resource_type"] == "person"}
    assert ids == set(planted.person_ids)
    copies = client.get("/api/v1/security/decoys/copies", headers=security.bearer).json()
    assert [(c["id"], c["kind"], c["decoys"]) for c in copies] == [("primary", "primary", 8)]
    with runtime.db.transaction(write=False) as session:
        reads = search(session, action="decoys.read", outcome="success")
    assert {r.actor_id for r in reads} == {security.account_id}


def test_opening_a_decoy_suspends_the_reader_and_raises_an_alert(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    planted = plant(runtime, count=30)  # 30 over 3 stations: some land at PS-A
    at_a = _at_station(runtime, planted, world.station_a)
    reader = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    assert client.get(f"/api/v1/persons/{at_a}", headers=reader.bearer).status_code == 200
    after = client.get(f"/api/v1/persons/{at_a}", headers=reader.bearer)
    assert after.status_code in (401, 403), after.text
    with runtime.db.transaction(write=False) as session:
        alerts = list(session.execute(select(WatchAlert)).scalars())
    assert [(a.kind, a.action, a.account_id) for a in alerts] == [
        ("decoy", "suspend", reader.account_id)
    ]


def test_a_search_listing_a_decoy_is_not_punished(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    planted = plant(runtime, count=30)
    at_a = _at_station(runtime, planted, world.station_a)
    with runtime.db.transaction(write=False) as session:
        person = session.get(Person, at_a)
        assert person is not None
        name = person.name
    reader = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    hits = client.get("/api/v1/persons/search", params={"name": name}, headers=reader.bearer)
    assert hits.status_code == 200 and at_a in {h["person"]["id"] for h in hits.json()["items"]}
    again = client.get("/api/v1/persons/search", params={"name": name}, headers=reader.bearer)
    assert again.status_code == 200
    with runtime.db.transaction(write=False) as session:
        assert list(session.execute(select(WatchAlert)).scalars()) == []


def _at_station(runtime: Runtime, planted: service.Planted, station_id: str) -> str:
    with runtime.db.transaction(write=False) as session:
        stmt = select(Person.id).where(
            Person.id.in_(planted.person_ids), Person.station_id == station_id
        )
        found = session.execute(stmt.limit(1)).scalar()
    assert found is not None
    return found


def _export(client: TestClient, sho: Officer) -> list[dict[str, str]]:
    r = client.post(
        "/api/v1/persons/export",
        json={"purpose": "FIR PS-A/2026/0042 review of records"},
        headers=sho.bearer,
    )
    assert r.status_code == 200, r.text
    return list(csv.DictReader(io.StringIO(r.text.removeprefix("\ufeff"))))


def test_every_export_carries_its_own_registered_decoys(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    writer = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    real = {file_person(client, writer, world.station_a)["_phone"] for _ in range(5)}
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    first, second = _export(client, sho), _export(client, sho)
    with runtime.db.transaction(write=False) as session:
        exports = list(session.execute(select(DecoyCopy).where(DecoyCopy.kind == "export")))
    assert len(exports) == 2
    sets = []
    for rows in (first, second):
        planted = [r for r in rows if r["phone"] not in real]
        assert len(planted) >= service.EXPORT_DECOYS_MIN and len(rows) == 5 + len(planted)
        assert {r["station_code"] for r in planted} == {"PS-A"}  # they look like the rest
        sets.append({r["phone"] for r in planted})
    copies: dict[object, set[object]] = {}
    for entry in register(runtime):
        if entry["resource_type"] == "phone":
            copies.setdefault(entry["copy_id"], set()).add(entry["phone"])
    assert sorted(map(frozenset, copies.values()), key=len) == sorted(map(frozenset, sets), key=len)
    assert not sets[0] & sets[1]
    with runtime.db.transaction(write=False) as session:
        events = search(session, action="records.export")
    assert {json.loads(e.detail)["copy"] for e in events} == set(copies)


@pytest.mark.sqlite_only
def test_a_backup_carries_decoys_that_exist_only_in_the_backup(
    runtime: Runtime, world: World, tmp_path: Path
) -> None:
    plant(runtime, count=2)
    report = create_backup(runtime, FACTORY, tmp_path / "backup.db", count=3)
    assert oct((tmp_path / "backup.db").stat().st_mode & 0o777) == "0o600"
    entries = register(runtime, report.copy_id)
    ids = {str(e["record_id"]) for e in entries if e["resource_type"] == "person"}
    assert len(ids) == 3
    with runtime.db.transaction(write=False) as session:
        assert session.scalar(select(Person.id).where(Person.id.in_(ids))) is None
    with sqlite3.connect(tmp_path / "backup.db") as copy:
        in_copy = {row[0] for row in copy.execute("SELECT id FROM persons")}
        copies = {row[0] for row in copy.execute("SELECT id FROM decoy_copies")}
    assert ids <= in_copy and report.copy_id in copies
    with pytest.raises(InvalidInput, match="exists"):
        create_backup(runtime, FACTORY, tmp_path / "backup.db")


@pytest.mark.postgres_only
def test_a_postgresql_backup_is_refused_with_what_to_do(runtime: Runtime, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="pg_dump"):
        create_backup(runtime, FACTORY, tmp_path / "backup.db")


def test_the_self_check_fails_without_decoys_and_names_the_fix(
    runtime: Runtime, world: World
) -> None:
    [before] = selfcheck.decoys(runtime)
    assert before.status == "fail" and before.fix == "run `kotwal decoys plant`"
    plant(runtime, count=1)
    [after] = selfcheck.decoys(runtime)
    assert after.status == "pass"


def test_plant_refuses_export_and_backup_copies_and_absurd_counts(
    runtime: Runtime, world: World
) -> None:
    with pytest.raises(InvalidInput), UnitOfWork(runtime, write=True) as uow:
        service.plant(uow, FACTORY, count=1, copy_id="x", kind="export")
    with pytest.raises(InvalidInput), UnitOfWork(runtime, write=True) as uow:
        service.plant(uow, FACTORY, count=0)
    assert register(runtime) == []


def test_cli_plants_and_lists(env: Settings, runtime: Runtime, world: World) -> None:
    result = runner.invoke(cli, ["decoys", "plant", "--count", "2", "--copy", "staging"])
    assert result.exit_code == 0, result.output
    assert (
        "planted 2 decoy person(s), 0 arms licence(s) and 0 officer(s) in copy 'staging'"
        in result.stdout
    )
    listed = runner.invoke(cli, ["decoys", "list", "--copy", "staging"])
    assert listed.exit_code == 0 and listed.stdout.count("staging") >= 2
    assert {e["copy_kind"] for e in register(runtime)} == {"test"}


def test_re_importing_an_export_refuses_its_decoy_rows_by_line(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    writer = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    real = {file_person(client, writer, world.station_a)["_phone"] for _ in range(3)}
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    export = client.post(
        "/api/v1/persons/export",
        json={"purpose": "FIR PS-A/2026/0042 review of records"},
        headers=sho.bearer,
    )
    lines = export.text.removeprefix("\ufeff").splitlines()
    rows = list(csv.DictReader(lines))
    decoy_lines = {n + 2 for n, r in enumerate(rows) if r["phone"] not in real}  # 1: header
    assert decoy_lines

    def upload(text_lines: list[str]) -> httpx.Response:
        body = ("\n".join(text_lines) + "\n").encode()
        return client.post(
            "/api/v1/persons/import",
            files={"file": ("p.csv", body, "text/csv")},
            headers=sho.bearer,
        )

    refused = upload(lines)
    assert refused.status_code == 422, refused.text
    errors = refused.json()["errors"]
    assert {e["line"] for e in errors} == decoy_lines
    assert all("registered decoy" in e["reason"] for e in errors)
    kept = [line for n, line in enumerate(lines, start=1) if n not in decoy_lines]
    assert upload(kept).status_code == 201
