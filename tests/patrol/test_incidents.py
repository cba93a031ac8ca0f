"""Incidents and dispatch: a call entered by the control room is filed at the station whose
area holds the place, the nearest available units are proposed by travel distance (straight
line x road factor), one is sent, and the incident's course and the unit's status follow each
other with their times."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import Officer, World, api_officer
from tests.helpers import audit_events
from tests.patrol.helpers import LAT0, LON0, import_map, new_unit, station_a_map, tracker

#: Inside PS-A's first beat (see station_a_map).
HERE = {"lat": LAT0 + 0.004, "lon": LON0 + 0.004}


def _call(client: TestClient, officer: Officer, **extra: Any) -> Any:
    body = {"source": "dial_100", "category": "theft", "priority": 2, **HERE, **extra}
    return client.post("/api/v1/patrol/incidents", json=body, headers=officer.bearer)


def _on_shift(client: TestClient, sho: Officer, call_sign: str, lat: float, lon: float) -> str:
    """A unit of station A made available and placed at (lat, lon) by its own tracker."""
    mine = client.get("/api/v1/patrol/areas?kind=station_area", headers=sho.bearer).json()
    unit = new_unit(client, sho, mine[0]["station_id"], call_sign)
    r = client.post(
        f"/api/v1/patrol/units/{unit['id']}/status",
        json={"status": "available"},
        headers=sho.bearer,
    )
    assert r.status_code == 200, r.text
    token = tracker(client, sho, unit["id"])["token"]
    assert (
        client.get(
            "/api/v1/patrol/osmand", params={"id": token, "lat": lat, "lon": lon}
        ).status_code
        == 200
    )
    return str(unit["id"])


@pytest.fixture
def sho(client: TestClient, runtime: Runtime, world: World) -> Officer:
    """Station A's SHO, with the station's area and beats on the map."""
    officer = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    assert import_map(client, officer, station_a_map()).status_code == 201
    return officer


def test_a_call_is_filed_at_the_station_and_beat_that_hold_the_place(
    client: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    hc = api_officer(runtime, Role.HEAD_CONSTABLE, world.station_a)
    r = _call(client, hc, landmark="Near the bank, Main Road")
    assert r.status_code == 201, r.text
    incident = r.json()
    assert incident["station_id"] == world.station_a and incident["status"] == "open"
    beat = client.get("/api/v1/patrol/locate", params=HERE, headers=hc.bearer).json()["beat"]
    assert incident["beat_id"] == beat["id"]
    assert audit_events(runtime, "patrol.incident.create", outcome="success")


def test_a_place_outside_every_mapped_area_needs_a_station(
    client: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    far = {"lat": LAT0 + 1, "lon": LON0 + 1}
    r = _call(client, sho, **far)
    assert r.status_code == 422 and "station_id" in r.json()["detail"]
    r = _call(client, sho, **far, station_id=world.station_a)
    assert r.status_code == 201 and r.json()["station_id"] == world.station_a
    assert r.json()["beat_id"] is None
    r = _call(client, sho, **far, station_id=world.station_b)
    assert r.status_code == 403


def test_a_constable_cannot_enter_calls_or_dispatch(
    client: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    assert _call(client, constable).status_code == 403
    incident = _call(client, sho).json()
    queue = client.get("/api/v1/patrol/incidents", headers=constable.bearer).json()
    assert [i["id"] for i in queue] == [incident["id"]]
    r = client.get(
        f"/api/v1/patrol/incidents/{incident['id']}/candidates", headers=constable.bearer
    )
    assert r.status_code == 403


def test_the_nearest_available_units_are_proposed_by_travel_distance(
    client: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    near = _on_shift(client, sho, "BC-A1", HERE["lat"] + 0.002, HERE["lon"])  # ~220 m north
    far = _on_shift(client, sho, "PC-A1", HERE["lat"], HERE["lon"] + 0.01)  # ~1.06 km east
    busy = _on_shift(client, sho, "PC-A2", HERE["lat"], HERE["lon"] + 0.0005)
    r = client.post(
        f"/api/v1/patrol/units/{busy}/status", json={"status": "dispatched"}, headers=sho.bearer
    )
    assert r.status_code == 200
    incident = _call(client, sho).json()
    r = client.get(f"/api/v1/patrol/incidents/{incident['id']}/candidates", headers=sho.bearer)
    assert r.status_code == 200, r.text
    proposed = r.json()
    assert [c["unit_id"] for c in proposed] == [near, far]
    first = proposed[0]
    assert first["call_sign"] == "BC-A1"
    assert 200 < first["distance_m"] < 240
    assert first["travel_m"] == pytest.approx(first["distance_m"] * 1.4, rel=1e-3)
    positions = audit_events(runtime, "record.disclose", resource_type="patrol_position")
    assert {e.resource_id for e in positions} == {near, far}


def test_sending_a_unit_and_the_incidents_course_move_the_unit(
    client: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    unit = _on_shift(client, sho, "BC-A1", HERE["lat"], HERE["lon"])
    incident = _call(client, sho, priority=1).json()
    url = f"/api/v1/patrol/incidents/{incident['id']}"
    r = client.post(f"{url}/assign", json={"unit_id": unit}, headers=sho.bearer)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "assigned" and r.json()["unit_id"] == unit
    assert r.json()["assigned_at"] is not None

    def unit_status() -> str:
        return str(client.get(f"/api/v1/patrol/units/{unit}", headers=sho.bearer).json()["status"])

    assert unit_status() == "dispatched"
    again = client.post(f"{url}/assign", json={"unit_id": unit}, headers=sho.bearer)
    assert again.status_code == 409
    r = client.post(f"{url}/status", json={"status": "on_scene"}, headers=sho.bearer)
    assert r.status_code == 200 and r.json()["on_scene_at"] is not None
    assert unit_status() == "on_scene"
    r = client.post(
        f"{url}/status", json={"status": "closed", "note": "complaint taken"}, headers=sho.bearer
    )
    assert r.status_code == 200 and r.json()["closed_at"] is not None
    assert unit_status() == "available"
    history = client.get(f"{url}/history", headers=sho.bearer).json()
    assert [h["status"] for h in history] == ["open", "assigned", "on_scene", "closed"]
    reopen = client.post(f"{url}/status", json={"status": "on_scene"}, headers=sho.bearer)
    assert reopen.status_code == 409
    units = client.get(f"/api/v1/patrol/units/{unit}/history", headers=sho.bearer).json()
    assert [u["status"] for u in units][-3:] == ["dispatched", "on_scene", "available"]


def test_a_busy_unit_is_not_sent(
    client: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    unit = _on_shift(client, sho, "BC-A1", HERE["lat"], HERE["lon"])
    first = _call(client, sho).json()
    second = _call(client, sho).json()
    assign = {"unit_id": unit}
    url = "/api/v1/patrol/incidents"
    assert (
        client.post(f"{url}/{first['id']}/assign", json=assign, headers=sho.bearer).status_code
        == 200
    )
    r = client.post(f"{url}/{second['id']}/assign", json=assign, headers=sho.bearer)
    assert r.status_code == 409 and "dispatched" in r.json()["detail"]


def test_the_queue_puts_the_most_urgent_first(
    client: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    low = _call(client, sho, priority=4).json()
    high = _call(client, sho, priority=1).json()
    queue = client.get("/api/v1/patrol/incidents", headers=sho.bearer).json()
    assert [i["id"] for i in queue] == [high["id"], low["id"]]
    outsider = api_officer(runtime, Role.SUB_INSPECTOR, world.station_c)
    assert client.get("/api/v1/patrol/incidents", headers=outsider.bearer).json() == []
    masked = client.get(f"/api/v1/patrol/incidents/{high['id']}", headers=outsider.bearer).json()
    assert masked["lat"] == {"masked": True}


def test_the_search_widens_to_the_reach_and_no_further(
    client: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    ten_km = _on_shift(client, sho, "HP-A1", HERE["lat"] + 0.09, HERE["lon"])
    _on_shift(client, sho, "HP-A2", HERE["lat"] + 0.3, HERE["lon"])  # ~33 km: out of reach
    incident = _call(client, sho).json()
    r = client.get(f"/api/v1/patrol/incidents/{incident['id']}/candidates", headers=sho.bearer)
    assert [c["unit_id"] for c in r.json()] == [ten_km]
    assert 9_900 < r.json()[0]["distance_m"] < 10_100
