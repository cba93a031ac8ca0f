"""``kotwal patrol``: importing areas from a GeoJSON file as a named officer (a bad file lists
its features and writes nothing), issuing and revoking a tracker's token, and the purge."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kotwal.cli import app
from kotwal.core.config import Settings
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.patrol import ingest
from kotwal.patrol.config import PatrolSettings
from tests.factories import World, api_officer
from tests.helpers import audit_events
from tests.patrol.helpers import (
    KM,
    LAT0,
    LON0,
    collection,
    feature,
    new_unit,
    square,
    station_a_map,
)

runner = CliRunner()


def test_areas_are_imported_from_a_file_as_an_officer(
    env: Settings, runtime: Runtime, world: World, tmp_path: Path, client: TestClient
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    path = tmp_path / "beats.geojson"
    path.write_text(json.dumps(station_a_map()))
    result = runner.invoke(app, ["patrol", "import-areas", str(path), "--as", sho.username])
    assert result.exit_code == 0, result.output
    assert "1 station area(s), 2 beat(s) and 1 check-in point(s)" in result.output
    assert len(client.get("/api/v1/patrol/areas", headers=sho.bearer).json()) == 3


def test_a_bad_file_lists_each_wrong_feature_and_writes_nothing(
    env: Settings, runtime: Runtime, world: World, tmp_path: Path, client: TestClient
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    path = tmp_path / "beats.geojson"
    bad = collection(
        feature("station_area", "PS-A", "PS-A", square(LON0, LAT0, KM)),
        feature("beat", "PS-A", "PS-A-B01", square(LON0 + 5 * KM, LAT0, KM)),
    )
    path.write_text(json.dumps(bad))
    result = runner.invoke(app, ["patrol", "import-areas", str(path), "--as", sho.username])
    assert result.exit_code == 1
    assert "nothing was written" in result.output
    assert "feature 2 (PS-A-B01): the beat is not inside its station's area PS-A" in result.output
    assert client.get("/api/v1/patrol/areas", headers=sho.bearer).json() == []
    path.write_text("{not json")
    result = runner.invoke(app, ["patrol", "import-areas", str(path), "--as", sho.username])
    assert result.exit_code == 2 and "is not JSON" in result.output


def test_a_tracker_is_enrolled_and_revoked_from_the_command_line(
    env: Settings, runtime: Runtime, world: World, client: TestClient
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    new_unit(client, sho, world.station_a, "BC-A1")
    result = runner.invoke(
        app, ["patrol", "device", "enrol", "BC-A1", "--label", "Duty phone", "--as", sho.username]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    device_id, token = lines[0].split()[1], lines[-1].strip()
    ping = {"id": token, "lat": LAT0, "lon": LON0}
    assert client.get("/api/v1/patrol/osmand", params=ping).status_code == 200
    revoked = runner.invoke(app, ["patrol", "device", "revoke", device_id, "--as", sho.username])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/v1/patrol/osmand", params=ping).status_code == 401
    unknown = runner.invoke(
        app, ["patrol", "device", "enrol", "NO-SUCH", "--label", "x" * 3, "--as", sho.username]
    )
    assert unknown.exit_code == 2 and "no patrol unit" in unknown.output


def test_the_purge_deletes_old_positions_and_is_audited(
    env: Settings, runtime: Runtime, world: World, client: TestClient
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    unit = new_unit(client, sho, world.station_a)
    token = client.post(
        f"/api/v1/patrol/units/{unit['id']}/devices", json={"label": "phone"}, headers=sho.bearer
    ).json()["token"]
    settings = PatrolSettings()
    received = datetime.now(UTC) - timedelta(days=settings.track_days, hours=1)
    old = ingest.ping_from_params(
        {"id": token, "lat": LAT0, "lon": LON0, "timestamp": received.isoformat()},
        None,
        settings,
        received=received,
    )
    assert ingest.submit_wait(runtime, old)
    result = runner.invoke(app, ["patrol", "purge"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 position(s)" in result.output
    (event,) = audit_events(runtime, "patrol.track.purge")
    assert event.actor_name.startswith("cli:")


def test_a_points_code_is_printed_and_coverage_is_checked_from_the_command_line(
    env: Settings, runtime: Runtime, world: World, client: TestClient
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    client.post("/api/v1/patrol/areas/import", json=station_a_map(), headers=sho.bearer)
    bank = client.get("/api/v1/patrol/points", headers=sho.bearer).json()[0]
    result = runner.invoke(app, ["patrol", "point-code", bank["id"], "--as", sho.username])
    assert result.exit_code == 0, result.output
    today = client.get(f"/api/v1/patrol/points/{bank['id']}/code", headers=sho.bearer).json()
    assert today["code"] in result.output
    result = runner.invoke(
        app, ["patrol", "point-code", bank["id"], "--day", "tomorrow", "--as", sho.username]
    )
    assert result.exit_code != 0 and "is not a date" in result.output
    result = runner.invoke(app, ["patrol", "check-coverage"])
    assert result.exit_code == 0, result.output
    assert "over 2 beat(s): 0 alert(s) raised" in result.output  # beats drawn just now
