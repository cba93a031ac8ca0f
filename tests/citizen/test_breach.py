"""Breach notices (issue 22 item 8): from the audit log, the citizens whose records an account
read in a window, each one's intimation, and the report to the Data Protection Board."""

from __future__ import annotations

import csv
import stat
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kotwal.cli import app
from kotwal.core.clock import utcnow
from kotwal.core.config import Settings
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.citizen.helpers import API, log_in
from tests.factories import World, api_officer
from tests.helpers import audit_events
from tests.patrol.helpers import LAT0, LON0, import_map, station_a_map


def test_the_citizens_an_account_read_are_listed_with_their_notices_and_the_boards_report(
    env: Settings,
    client: TestClient,
    citizens: TestClient,
    runtime: Runtime,
    world: World,
    tmp_path: Path,
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    assert import_map(client, sho, station_a_map()).status_code == 201
    read, spared = log_in(citizens, runtime), log_in(citizens, runtime, "9876500002")
    fix = {"at": utcnow().isoformat(), "lat": LAT0 + 0.004, "lon": LON0 + 0.004}
    for who in (read, spared):
        assert citizens.post(f"{API}/sos", json=fix, headers=who.bearer).status_code == 201
    # The control room's list reads both citizens' SOS; the rogue reads one identity.
    assert len(client.get("/api/v1/citizen/sos", headers=sho.bearer).json()) == 2
    rogue = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    url = f"/api/v1/citizen/citizens/{read.citizen_id}/identity"
    assert (
        client.get(
            url, params={"purpose": "complaint: curious about a neighbour"}, headers=rogue.bearer
        ).status_code
        == 200
    )

    out = tmp_path / "breach"
    now = utcnow()
    result = CliRunner().invoke(
        app,
        [
            "citizen",
            "breach-notices",
            "--since",
            (now - timedelta(hours=1)).isoformat(),
            "--until",
            (now + timedelta(hours=1)).isoformat(),
            "--actor",
            rogue.username,
            "--contact",
            "dpo@police.example",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1 citizen(s) affected" in result.output
    with (out / "notices.csv").open(encoding="utf-8") as handle:
        [notice] = list(csv.DictReader(handle))
    assert notice["citizen_id"] == read.citizen_id and notice["mobile"] == read.mobile
    assert "identity" in notice["text"] and "dpo@police.example" in notice["text"]
    assert stat.S_IMODE((out / "notices.csv").stat().st_mode) == 0o600
    report = (out / "board-report.md").read_text(encoding="utf-8")
    assert "Data principals affected: 1" in report and rogue.username in report
    assert audit_events(runtime, "citizen.breach_prepared")

    # Without --actor, every read in the window: the SOS list read both citizens.
    every = CliRunner().invoke(
        app,
        [
            "citizen",
            "breach-notices",
            "--since",
            (now - timedelta(hours=1)).isoformat(),
            "--until",
            (now + timedelta(hours=1)).isoformat(),
            "--contact",
            "dpo@police.example",
            "--out",
            str(tmp_path / "all"),
        ],
    )
    assert every.exit_code == 0 and "2 citizen(s) affected" in every.output
    again = CliRunner().invoke(
        app,
        [
            *["citizen", "breach-notices", "--since", "yesterday", "--until", "now"],
            *["--contact", "x", "--out", str(tmp_path / "bad")],
        ],
    )
    assert again.exit_code == 2 and "ISO 8601" in again.output
