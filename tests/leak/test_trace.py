"""Leak trace: leaked 20-row samples, taken through different accounts (reads over the API)
and from different copies (exports), then reformatted as criminals post them, are traced to
the right copy and the right account."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kotwal.cli import app as cli
from kotwal.core.audit import search
from kotwal.core.config import Settings
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.decoys import service as decoys
from kotwal.decoys.generator import fake_person
from kotwal.leak.parser import parse
from kotwal.leak.samples import leaked_sample
from kotwal.leak.service import trace
from tests.factories import FACTORY, Officer, World, api_officer

runner = CliRunner()
PURPOSE = {"purpose": "FIR PS-B/2026/0042 review of records"}


def _file(client: TestClient, writer: Officer, station: str, rng: random.Random) -> str:
    fake = fake_person(rng)
    body = {**fake.as_dict(), "station_id": station}
    r = client.post("/api/v1/persons", json=body, headers=writer.bearer)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


class Scene:
    """Two stations' records, primary decoys, a reader at PS-A and an exporter at PS-B."""

    def __init__(self, client: TestClient, runtime: Runtime, world: World) -> None:
        rng = random.Random(7)
        self.client, self.runtime = client, runtime
        writer_a = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
        writer_b = api_officer(runtime, Role.SUB_INSPECTOR, world.station_b)
        self.at_a = [_file(client, writer_a, world.station_a, rng) for _ in range(30)]
        for _ in range(30):
            _file(client, writer_b, world.station_b, rng)
        with UnitOfWork(runtime, write=True) as uow:
            decoys.plant(uow, FACTORY, count=6)
        self.reader = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
        self.colleague = api_officer(runtime, Role.HEAD_CONSTABLE, world.station_a)
        self.exporter = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_b)

    def read(self, officer: Officer, ids: list[str]) -> list[dict[str, Any]]:
        rows = []
        for person_id in ids:
            r = self.client.get(f"/api/v1/persons/{person_id}", headers=officer.bearer)
            assert r.status_code == 200, r.text
            rows.append(r.json())
        return rows

    def export(self) -> list[dict[str, str]]:
        r = self.client.post("/api/v1/persons/export", json=PURPOSE, headers=self.exporter.bearer)
        assert r.status_code == 200, r.text
        return list(csv.DictReader(io.StringIO(r.text.removeprefix("\ufeff"))))


@pytest.fixture
def scene(client: TestClient, runtime: Runtime, world: World) -> Scene:
    return Scene(client, runtime, world)


def test_a_sample_read_through_an_account_names_it_and_the_live_service(
    scene: Scene, runtime: Runtime
) -> None:
    stolen = scene.read(scene.reader, scene.at_a[:25])
    scene.read(scene.colleague, scene.at_a[:4])  # honest work on some of the same records
    for seed in range(3):
        data, style = leaked_sample(stolen, random.Random(seed))
        report = trace(runtime, FACTORY, data)
        assert report.matched >= 18, (style, data[:300])
        assert report.copy.copy_id == decoys.PRIMARY, style
        top = report.accounts[0]
        assert top.account_id == scene.reader.account_id and top.share >= 0.9


def test_a_sample_of_an_export_names_that_export_and_its_maker(
    scene: Scene, runtime: Runtime
) -> None:
    scene.export()  # an earlier export of the same records: another copy
    second = scene.export()
    with UnitOfWork(runtime, write=False) as uow:
        exports = [c for c in decoys.copies(uow, _security(runtime)) if c.kind == "export"]
    assert len(exports) == 2
    for seed in range(3):
        data, style = leaked_sample(second, random.Random(seed))
        report = trace(runtime, FACTORY, data)
        assert report.accounts[0].account_id == scene.exporter.account_id, (style, report.accounts)
        assert report.copy.copy_id == _copy_of(runtime, second), (
            style,
            report.copy,
            report.decoys,
            report.accounts,
        )
        if any(d["copy_kind"] == "export" for d in report.decoys):
            assert report.copy.basis == "decoys"  # the export's own decoys name it
        else:  # without one, the export made right after the reads is named from the log
            assert report.copy.basis == "audit"


def test_decoy_rows_in_a_sample_name_the_copy_even_reformatted(
    scene: Scene, runtime: Runtime
) -> None:
    rows = scene.export()
    planted = _decoy_rows(runtime, rows)
    real = [r for r in rows if r not in planted]
    data, _ = leaked_sample(real[:17] + planted[:3], random.Random(3))
    report = trace(runtime, FACTORY, data)
    assert report.copy.basis == "decoys" and report.copy.copy_id == _copy_of(runtime, rows)
    assert report.copy.created_by_name == scene.exporter.username


def test_the_primarys_own_decoys_in_a_listing_name_the_primary(
    scene: Scene, runtime: Runtime
) -> None:
    entries = [e for e in _register(runtime, decoys.PRIMARY) if e["resource_type"] == "person"]
    lines = [f"{e['name'].upper()}  {e['phone']}  {e['birth_year']}" for e in entries]
    report = trace(runtime, FACTORY, "\n".join(lines).encode())
    assert len(report.decoys) == len(entries)
    assert report.copy.copy_id == decoys.PRIMARY and report.copy.basis == "decoys"


def test_nothing_known_matches_nothing(scene: Scene, runtime: Runtime) -> None:
    rng = random.Random(99)
    strangers = [fake_person(rng).as_dict() for _ in range(20)]
    for row in strangers:
        row["phone"] = "7" + str(row["phone"])[1:]  # numbers nobody here holds
        row["name"] = "Zzyzx " + str(row["name"]).split()[0]
        row["father_name"] = "Qwerty Uiop"
    data = json.dumps(strangers).encode()
    report = trace(runtime, FACTORY, data)
    assert report.decoys == [] and report.accounts == []
    assert report.matched <= 2


def test_each_trace_is_audited(scene: Scene, runtime: Runtime) -> None:
    trace(runtime, FACTORY, b"name,phone\nSomebody Unknown,9999999999\n")
    with runtime.db.transaction(write=False) as session:
        [event] = search(session, action="leak.trace")
    assert json.loads(event.detail)["rows"] == 1


def test_cli_prints_json(env: Settings, scene: Scene, tmp_path: Path) -> None:
    stolen = scene.read(scene.reader, scene.at_a[:20])
    data, _ = leaked_sample(stolen, random.Random(11))
    sample = tmp_path / "leak.txt"
    sample.write_bytes(data)
    result = runner.invoke(cli, ["leak", "trace", str(sample), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["accounts"][0]["account_id"] == scene.reader.account_id


@pytest.mark.parametrize(
    ("data", "form"),
    [
        (b"Mobile|Accused|Father\n+91 90000-12345|KOMMU SRINIV|Ravi Kommu\n", "csv"),
        (b'[{"full_name": "Kommu Srinivas", "mobile": "090000 12345", "yob": 1987}]', "json"),
        (b"Name: KOMMU SRINIVAS | Mobile: 90000 12345 | DOB: 12/03/1987\n", "text"),
        (b"kommu srinivas  9000012345  1987\n", "text"),
    ],
)
def test_the_parser_reads_each_shape(data: bytes, form: str) -> None:
    parsed = parse(data)
    assert parsed.format == form
    [row] = parsed.rows
    assert row.phones == ["9000012345"]
    assert "kommu" in (row.name or " ".join(row.names)).lower()


def _security(runtime: Runtime) -> Any:
    from kotwal.core.policy import Actor

    return Actor(account_id=None, username="t", roles=frozenset({Role.SECURITY_OFFICER}))


def _register(runtime: Runtime, copy_id: str | None = None) -> list[dict[str, Any]]:
    with UnitOfWork(runtime, write=False) as uow:
        return decoys.register_contents(uow.session, copy_id)


def _decoy_rows(runtime: Runtime, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The export's own decoy rows (the primary's decoys at the station are exported too)."""
    phones = {
        e["phone"]
        for e in _register(runtime)
        if e["resource_type"] == "phone" and e["copy_kind"] == "export"
    }
    return [r for r in rows if r["phone"] in phones]


def _copy_of(runtime: Runtime, rows: list[dict[str, str]]) -> str:
    phones = {r["phone"] for r in rows}
    [copy] = {
        str(e["copy_id"])
        for e in _register(runtime)
        if e["resource_type"] == "phone" and e["phone"] in phones and e["copy_kind"] == "export"
    }
    return copy
