"""The control room's view of a Travel Made Safe trip (issue 22 item 6): an active trip (or one
whose citizen has an SOS open) is shown, with its positions and through the gate, to the
control room whose jurisdiction holds its latest position; an ended trip is nobody's to look
at; a constable sees none."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from kotwal.citizen.models import CitizenTrip
from kotwal.core.clock import utcnow
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.citizen.helpers import API, LoggedIn, log_in
from tests.factories import Officer, World, api_officer
from tests.helpers import audit_events
from tests.patrol.helpers import LAT0, LON0, import_map, station_a_map

HERE = {"lat": LAT0 + 0.004, "lon": LON0 + 0.004}
OFFICERS = "/api/v1/citizen/trips"


@pytest.fixture
def sho(client: TestClient, runtime: Runtime, world: World) -> Officer:
    officer = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    assert import_map(client, officer, station_a_map()).status_code == 201
    return officer


def _fix(dlat: float = 0.0, minutes: int = 0) -> dict[str, Any]:
    at = utcnow() + timedelta(minutes=minutes)
    return {"at": at.isoformat(), "lat": HERE["lat"] + dlat, "lon": HERE["lon"], "accuracy": 9}


def _trip(citizens: TestClient, me: LoggedIn, arrival_minutes: int = 60) -> str:
    body = {
        "vehicle_number": "TS09UB1234",
        "origin": "Ameerpet",
        "destination": "Kukatpally",
        "expected_arrival": (utcnow() + timedelta(minutes=arrival_minutes)).isoformat(),
    }
    r = citizens.post(f"{API}/trips", json=body, headers=me.bearer)
    assert r.status_code == 201, r.text
    trip_id = str(r.json()["id"])
    fixes = {"fixes": [_fix(0.0), _fix(0.001, 1)]}
    r = citizens.post(f"{API}/trips/{trip_id}/fixes", json=fixes, headers=me.bearer)
    assert r.status_code == 200, r.text
    return trip_id


def test_the_control_room_sees_an_active_trip_in_its_jurisdiction_with_its_track(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    trip_id = _trip(citizens, me)
    [listed] = client.get(OFFICERS, headers=sho.bearer).json()
    assert listed["id"] == trip_id and listed["vehicle_number"] == "TS09UB1234"
    assert listed["overdue"] is False and listed["under_sos"] is False
    r = client.get(f"{OFFICERS}/{trip_id}", headers=sho.bearer)
    assert r.status_code == 200, r.text
    seen = r.json()
    assert [p["lat"] for p in seen["track"]] == pytest.approx([HERE["lat"], HERE["lat"] + 0.001])
    assert seen["origin"] == "Ameerpet"
    assert audit_events(runtime, "record.disclose", resource_type="citizen_trip")

    # Another station's control room, and a constable, see nothing of it.
    other = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_b)
    assert client.get(OFFICERS, headers=other.bearer).json() == []
    assert client.get(f"{OFFICERS}/{trip_id}", headers=other.bearer).status_code == 404
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    assert client.get(OFFICERS, headers=constable.bearer).status_code == 403


def test_an_ended_trip_is_shown_only_while_its_citizen_has_an_sos_open(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    trip_id = _trip(citizens, me)
    assert citizens.post(f"{API}/trips/{trip_id}/end", headers=me.bearer).status_code == 200
    assert client.get(OFFICERS, headers=sho.bearer).json() == []
    assert client.get(f"{OFFICERS}/{trip_id}", headers=sho.bearer).status_code == 404

    raised = citizens.post(f"{API}/sos", json=_fix(), headers=me.bearer)
    assert raised.status_code == 201, raised.text
    [listed] = client.get(OFFICERS, headers=sho.bearer).json()
    assert listed["id"] == trip_id and listed["under_sos"] is True
    assert len(client.get(f"{OFFICERS}/{trip_id}", headers=sho.bearer).json()["track"]) == 2

    r = citizens.post(f"{API}/sos/{raised.json()['id']}/close", headers=me.bearer)
    assert r.status_code == 200
    assert client.get(f"{OFFICERS}/{trip_id}", headers=sho.bearer).status_code == 404


def test_an_overdue_trip_is_flagged(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    trip_id = _trip(citizens, me)
    with runtime.db.transaction(write=True) as s:
        s.execute(update(CitizenTrip).values(expected_arrival=utcnow() - timedelta(minutes=5)))
    [listed] = client.get(OFFICERS, headers=sho.bearer).json()
    assert listed["id"] == trip_id and listed["overdue"] is True
