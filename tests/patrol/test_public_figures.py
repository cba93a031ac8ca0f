"""Public figures (issue 21 item 7): per station over a period, incidents reached and how fast,
shifts and how well they covered their beats; exported by station command through the API or
as CSV, audited, carrying station names, counts, durations and shares and nothing else (no
position, unit, officer, place or category)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kotwal.cli import app
from kotwal.core.config import Settings
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.patrol import stats
from tests.factories import World, api_officer
from tests.helpers import audit_events
from tests.patrol.helpers import LAT0, LON0, import_map, station_a_map
from tests.patrol.test_coverage import Patrol


def test_public_figures_carry_counts_durations_and_shares_only(
    env: Settings,
    client: TestClient,
    runtime: Runtime,
    world: World,
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    assert import_map(client, sho, station_a_map()).status_code == 201
    patrol = Patrol(client, sho, world)
    for i in range(1, 10):
        patrol.ping(LAT0 + 0.0052, LON0 + i * 0.001, ago_s=300 - i * 10)
    call = {"source": "dial_100", "category": "theft", "priority": 2}
    place = {"lat": LAT0 + 0.004, "lon": LON0 + 0.004}
    bearer = sho.bearer
    incident = client.post("/api/v1/patrol/incidents", json={**call, **place}, headers=bearer)
    incident_id = incident.json()["id"]
    unit_id = patrol.unit["id"]
    r = client.post(
        f"/api/v1/patrol/incidents/{incident_id}/assign", json={"unit_id": unit_id}, headers=bearer
    )
    assert r.status_code == 200, r.text
    client.post(
        f"/api/v1/patrol/incidents/{incident_id}/status",
        json={"status": "on_scene"},
        headers=bearer,
    )
    now = datetime.now(UTC)
    period = {
        "since": (now - timedelta(days=1)).isoformat(),
        "until": (now + timedelta(hours=1)).isoformat(),
    }
    r = client.get("/api/v1/patrol/public-figures", params=period, headers=bearer)
    assert r.status_code == 200, r.text
    [row] = r.json()
    assert tuple(row) == stats.PUBLIC_FIELDS
    assert row["station_code"] == "PS-A" and row["incidents"] == 1 and row["reached"] == 1
    assert row["response_median_s"] is not None and row["response_median_s"] >= 0
    assert row["shifts"] == 1 and row["shifts_with_beat"] == 1
    assert 0 < row["area_share_median"] < 1 and row["points_share_median"] == 0
    text = json.dumps(row)
    for secret in (unit_id, incident_id, patrol.shift["id"], f"{LAT0 + 0.0052:.4f}", "theft"):
        assert secret not in text
    assert audit_events(runtime, "patrol.figures.export", outcome="success")
    # Station command exports; a sub-inspector, who sees positions, does not.
    si = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    assert (
        client.get("/api/v1/patrol/public-figures", params=period, headers=si.bearer).status_code
        == 403
    )
    too_long = {"since": (now - timedelta(days=40)).isoformat(), "until": now.isoformat()}
    assert (
        client.get("/api/v1/patrol/public-figures", params=too_long, headers=bearer).status_code
        == 422
    )
    # The same as CSV from the command line.
    day = now.date()
    result = CliRunner().invoke(
        app,
        [
            "patrol",
            "public-figures",
            "--since",
            (day - timedelta(days=1)).isoformat(),
            "--until",
            (day + timedelta(days=1)).isoformat(),
            "--as",
            sho.username,
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == ",".join(stats.PUBLIC_FIELDS)
    assert lines[1].startswith("PS-A,") and unit_id not in result.output
