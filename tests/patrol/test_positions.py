"""Positions from trackers in the OsmAnd/Traccar protocol: each tracker authenticated by its own
token (a revoked one stops at once), the latest position per unit seen only with the
permission (constables lack it), every view of a track a disclosure through the gate, and
tracks older than the kept period gone from the database after the purge."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.patrol import ingest, service
from kotwal.patrol.config import PatrolSettings
from kotwal.patrol.models import PatrolLatestPosition, PatrolPosition
from tests.factories import FACTORY, Officer, World, api_officer, make_officer
from tests.helpers import audit_events, console_login
from tests.patrol.helpers import LAT0, LON0, new_unit, tracker

OSMAND = "/api/v1/patrol/osmand"
PURPOSE = "complaint: inquiry No. 7/2026 into patrol timing"


def _positions(runtime: Runtime) -> int:
    with runtime.db.transaction(write=False) as session:
        stmt = select(func.count()).select_from(PatrolPosition)
        return int(session.execute(stmt).scalar_one())


def _setup(client: TestClient, runtime: Runtime, world: World) -> tuple[Officer, Any, Any]:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    unit = new_unit(client, sho, world.station_a)
    return sho, unit, tracker(client, sho, unit["id"])


def _ping(client: TestClient, token: str, minutes_ago: float = 0, **extra: Any) -> Any:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    params = {
        "id": token,
        "lat": LAT0 + 0.001,
        "lon": LON0 + 0.002,
        "timestamp": int(at.timestamp()),
        "speed": 12.5,
        "bearing": 90,
        "accuracy": 8,
        "batt": 76,
        **extra,
    }
    return client.get(OSMAND, params=params)


def test_a_tracker_reports_and_a_sub_inspector_sees_where_the_unit_is(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    _sho, unit, device = _setup(client, runtime, world)
    r = _ping(client, device["token"])
    assert r.status_code == 200 and r.content == b""
    si = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    (now,) = client.get("/api/v1/patrol/positions", headers=si.bearer).json()
    assert now["unit_id"] == unit["id"]
    assert (now["lat"], now["lon"]) == (pytest.approx(LAT0 + 0.001), pytest.approx(LON0 + 0.002))
    assert (now["speed"], now["bearing"], now["accuracy"], now["battery"]) == (12.5, 90, 8, 76)
    disclosed = audit_events(runtime, "record.disclose", resource_type="patrol_position")
    assert [e.resource_id for e in disclosed] == [unit["id"]]


def test_a_constable_cannot_see_positions_by_api_or_page(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    _sho, _unit, device = _setup(client, runtime, world)
    assert _ping(client, device["token"]).status_code == 200
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    r = client.get("/api/v1/patrol/positions", headers=constable.bearer)
    assert r.status_code == 403
    assert str(LAT0 + 0.001)[:7] not in r.text
    officer = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    console_login(client, officer)
    page = client.get("/patrol")
    assert page.status_code == 200 and "BC-A1" in page.text
    assert "Last position" not in page.text and str(LAT0 + 0.001)[:7] not in page.text


def test_the_page_shows_positions_to_a_sub_inspector(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    _sho, _unit, device = _setup(client, runtime, world)
    assert _ping(client, device["token"]).status_code == 200
    console_login(client, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    page = client.get("/patrol").text
    assert "Last position" in page and str(round(LAT0 + 0.001, 3)) in page


def test_pings_come_as_a_post_form_and_as_traccar_clients_json(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    _sho, _unit, device = _setup(client, runtime, world)
    at = datetime.now(UTC) - timedelta(minutes=2)
    form = {"id": device["token"], "lat": str(LAT0), "lon": str(LON0), "timestamp": at.isoformat()}
    assert client.post(OSMAND, data=form).status_code == 200
    body = {
        "device_id": device["token"],
        "location": {
            "timestamp": datetime.now(UTC).isoformat(),
            "coords": {"latitude": LAT0, "longitude": LON0, "speed": 5, "heading": 10},
            "battery": {"level": 0.5, "is_charging": False},
        },
    }
    assert client.post(OSMAND, json=body).status_code == 200
    with runtime.db.transaction(write=False) as session:
        latest = session.execute(select(PatrolLatestPosition)).scalar_one()
        assert latest.battery == 50 and latest.speed == pytest.approx(5 * ingest.KNOTS_PER_MPS)
    assert _positions(runtime) == 2


def test_a_token_revoked_mid_shift_stops_its_pings_at_once(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho, _unit, device = _setup(client, runtime, world)
    assert _ping(client, device["token"], minutes_ago=1).status_code == 200
    r = client.post(f"/api/v1/patrol/devices/{device['id']}/revoke", headers=sho.bearer)
    assert r.status_code == 200 and r.json()["revoked_at"]
    refused = _ping(client, device["token"])
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert _ping(client, device["token"]).status_code == 401
    assert _positions(runtime) == 1
    # Refusals are audited once per tracker, not once per retry.
    assert len(audit_events(runtime, "patrol.ping", outcome="denied")) == 1
    assert audit_events(runtime, "patrol.device.revoke", outcome="success")


def test_an_unknown_token_writes_nothing(client: TestClient, runtime: Runtime) -> None:
    import secrets

    assert _ping(client, secrets.token_urlsafe(32)).status_code == 401
    assert _ping(client, "").status_code == 422
    assert _positions(runtime) == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"lat": "91"},
        {"lon": "east"},
        {"lat": ""},
        {"speed": "-3"},
        {"timestamp": "yesterday"},
        {"timestamp": str(int((datetime.now(UTC) + timedelta(hours=2)).timestamp()))},
    ],
)
def test_a_ping_that_cannot_be_read_is_refused_and_writes_nothing(
    client: TestClient, runtime: Runtime, world: World, bad: dict[str, str]
) -> None:
    _sho, _unit, device = _setup(client, runtime, world)
    r = _ping(client, device["token"], **bad)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert _positions(runtime) == 0


def test_a_late_fix_does_not_move_the_unit_back(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    _sho, _unit, device = _setup(client, runtime, world)
    assert _ping(client, device["token"], minutes_ago=1, lat=LAT0 + 0.005).status_code == 200
    assert _ping(client, device["token"], minutes_ago=5, lat=LAT0 + 0.009).status_code == 200
    with runtime.db.transaction(write=False) as session:
        latest = session.execute(select(PatrolLatestPosition)).scalar_one()
    assert latest.lat == pytest.approx(LAT0 + 0.005)
    assert _positions(runtime) == 2


def test_reading_a_track_is_an_audited_disclosure(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho, unit, device = _setup(client, runtime, world)
    for minutes in (30, 20, 10):
        assert _ping(client, device["token"], minutes_ago=minutes).status_code == 200
    now = datetime.now(UTC)
    window = {"since": (now - timedelta(hours=1)).isoformat(), "until": now.isoformat()}
    r = client.get(f"/api/v1/patrol/units/{unit['id']}/track", params=window, headers=sho.bearer)
    assert r.status_code == 200, r.text
    track = r.json()
    assert track["call_sign"] == "BC-A1" and len(track["points"]) == 3
    (event,) = audit_events(runtime, "record.disclose", resource_type="patrol_track")
    assert event.resource_id == unit["id"]


def test_a_track_outside_ones_jurisdiction_needs_a_purpose(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    _sho, unit, device = _setup(client, runtime, world)
    assert _ping(client, device["token"], minutes_ago=3).status_code == 200
    far = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_c)
    now = datetime.now(UTC)
    window = {"since": (now - timedelta(hours=1)).isoformat(), "until": now.isoformat()}
    url = f"/api/v1/patrol/units/{unit['id']}/track"
    blind = client.get(url, params=window, headers=far.bearer)
    assert blind.status_code == 403 and str(LAT0 + 0.001)[:7] not in blind.text
    seen = client.get(url, params={**window, "purpose": PURPOSE}, headers=far.bearer)
    assert seen.status_code == 200 and len(seen.json()["points"]) == 1
    flagged = audit_events(runtime, "record.disclose", resource_type="patrol_track")
    assert [(e.outcome, e.purpose) for e in flagged] == [("denied", None), ("success", PURPOSE)]


def test_a_sub_inspector_sees_positions_but_not_tracks(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    _sho, unit, _device = _setup(client, runtime, world)
    si = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    now = datetime.now(UTC)
    r = client.get(
        f"/api/v1/patrol/units/{unit['id']}/track",
        params={"since": (now - timedelta(hours=1)).isoformat(), "until": now.isoformat()},
        headers=si.bearer,
    )
    assert r.status_code == 403


def test_positions_older_than_the_kept_period_are_gone_after_the_purge(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    _sho, _unit, device = _setup(client, runtime, world)
    settings = PatrolSettings()
    old = datetime.now(UTC) - timedelta(days=settings.track_days + 1)
    for received in (old, old + timedelta(seconds=10)):
        ping = ingest.ping_from_params(
            {"id": device["token"], "lat": LAT0, "lon": LON0, "timestamp": received.isoformat()},
            None,
            settings,
            received=received,
        )
        assert ingest.submit_wait(runtime, ping)
    assert _ping(client, device["token"]).status_code == 200
    assert _positions(runtime) == 3
    assert service.purge_tracks(runtime, FACTORY) == 2
    assert _positions(runtime) == 1
    with runtime.db.transaction(write=False) as session:
        left = session.execute(select(PatrolPosition.received_at)).scalar_one()
    assert left.replace(tzinfo=UTC) > datetime.now(UTC) - timedelta(minutes=5)
    (purged,) = audit_events(runtime, "patrol.track.purge")
    assert json.loads(purged.detail)["deleted"] == 2


def test_a_fix_older_than_the_kept_period_is_accepted_and_not_stored(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    _sho, _unit, device = _setup(client, runtime, world)
    long_ago = 60 * 24 * (PatrolSettings().track_days + 2)
    assert _ping(client, device["token"], minutes_ago=long_ago).status_code == 200
    assert _ping(client, device["token"], valid="false").status_code == 200
    assert _positions(runtime) == 0


def test_a_fix_that_is_not_stored_still_needs_a_known_token(client: TestClient) -> None:
    import secrets

    stranger = secrets.token_urlsafe(32)
    assert client.get(OSMAND, params={"id": stranger, "valid": "false"}).status_code == 401
    old = {"id": stranger, "lat": LAT0, "lon": LON0, "timestamp": "2001-01-01T00:00:00Z"}
    assert client.get(OSMAND, params=old).status_code == 401


def test_a_bad_track_period_stops_the_process_at_start(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("KOTWAL_PATROL_TRACK_DAYS", "0")
    with pytest.raises(ValidationError, match="track_days"):
        service.install(runtime)
    monkeypatch.setenv("KOTWAL_PATROL_TRACK_DAYS", "30")
    service.install(runtime)


def test_enrolling_a_tracker_keeps_only_its_hash(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho, unit, device = _setup(client, runtime, world)
    from kotwal.patrol.models import PatrolDevice

    with runtime.db.transaction(write=False) as session:
        stored = session.execute(select(PatrolDevice)).scalar_one()
    assert stored.token_hash == service.token_hash(device["token"])
    assert device["token"] not in stored.token_hash
    listed = client.get(f"/api/v1/patrol/units/{unit['id']}/devices", headers=sho.bearer).json()
    assert "token" not in listed[0]
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    r = client.post(
        f"/api/v1/patrol/units/{unit['id']}/devices",
        json={"label": "x" * 5},
        headers=constable.bearer,
    )
    assert r.status_code == 403
