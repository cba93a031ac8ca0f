"""Travel Made Safe's deviation checks (issue 22 item 6): off route, standing still, silent and
overdue each ask the citizen to check in; an answer of "safe" rests the checks, "not safe" or
no answer in time raises an SOS for them (an incident in the control room's queue, the nearest
unit proposed, the trip shown to the control room as under an SOS)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from kotwal.citizen import trips
from kotwal.citizen.models import CitizenSos, CitizenTrip, CitizenTripPosition
from kotwal.cli import app
from kotwal.core.clock import utcnow
from kotwal.core.config import Settings
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.citizen.helpers import API, LoggedIn, log_in
from tests.factories import Officer, World, api_officer
from tests.helpers import audit_events
from tests.patrol.helpers import LAT0, LON0, import_map, station_a_map

START = {"lat": LAT0 + 0.002, "lon": LON0 + 0.002}
END = {"lat": LAT0 + 0.008, "lon": LON0 + 0.002}


@pytest.fixture
def sho(client: TestClient, runtime: Runtime, world: World) -> Officer:
    officer = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    assert import_map(client, officer, station_a_map()).status_code == 201
    return officer


def _fix(lat: float, lon: float) -> dict[str, Any]:
    return {"at": utcnow().isoformat(), "lat": lat, "lon": lon, "accuracy": 10}


def _started(citizens: TestClient, me: LoggedIn, route: bool = True) -> str:
    body: dict[str, Any] = {
        "vehicle_number": "TS09UB1234",
        "origin": "Ameerpet",
        "destination": "Kukatpally",
        "expected_arrival": (utcnow() + timedelta(hours=1)).isoformat(),
    }
    if route:
        body |= {"origin_place": START, "destination_place": END}
    r = citizens.post(f"{API}/trips", json=body, headers=me.bearer)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _send(citizens: TestClient, me: LoggedIn, trip_id: str, *fixes: dict[str, Any]) -> Any:
    r = citizens.post(
        f"{API}/trips/{trip_id}/fixes", json={"fixes": list(fixes)}, headers=me.bearer
    )
    assert r.status_code == 200, r.text
    return r.json()


def _check(runtime: Runtime, minutes: float = 0) -> dict[str, int]:
    with UnitOfWork(runtime, write=True) as uow:
        return trips.check_trips(uow, utcnow() + timedelta(minutes=minutes))


def test_going_off_route_asks_to_check_in_and_safe_rests_the_checks(
    citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    trip_id = _started(citizens, me)
    assert _send(citizens, me, trip_id, _fix(**START))["check_in"] is None
    far = _send(citizens, me, trip_id, _fix(START["lat"], START["lon"] + 0.03))  # ~3.2 km east
    assert far["check_in"]["deviation"] == "off_route"
    shown = citizens.get(f"{API}/trips/{trip_id}", headers=me.bearer).json()
    assert shown["check_in"]["deviation"] == "off_route"
    r = citizens.post(f"{API}/trips/{trip_id}/check-in", json={"safe": True}, headers=me.bearer)
    assert r.status_code == 200 and r.json()["check_in"] is None
    assert r.json()["alarm_sos_id"] is None
    # Still off route, but the citizen said all is well: not asked again at once.
    assert (
        _send(citizens, me, trip_id, _fix(START["lat"], START["lon"] + 0.031))["check_in"] is None
    )
    again = citizens.post(f"{API}/trips/{trip_id}/check-in", json={"safe": True}, headers=me.bearer)
    assert again.status_code == 409
    assert audit_events(runtime, "citizen_trip.check_in_asked")
    assert audit_events(runtime, "citizen_trip.check_in_answered")


def test_an_unanswered_check_in_raises_an_sos_for_the_citizen(
    client: TestClient,
    citizens: TestClient,
    runtime: Runtime,
    world: World,
    sho: Officer,
    env: Settings,
) -> None:
    me = log_in(citizens, runtime)
    trip_id = _started(citizens, me)
    _send(citizens, me, trip_id, _fix(**START))
    _send(citizens, me, trip_id, _fix(START["lat"], START["lon"] + 0.03))
    assert _check(runtime)["alarm"] == 0  # the two minutes to answer are not over
    result = CliRunner().invoke(app, ["citizen", "trip-checks"])
    assert result.exit_code == 0 and "raised 0 SOS" in result.output
    assert _check(runtime, minutes=3) == {"checked": 1, "asked": 0, "alarm": 1}

    shown = citizens.get(f"{API}/trips/{trip_id}", headers=me.bearer).json()
    assert shown["alarm_sos_id"] is not None and shown["check_in"] is None
    [incident] = client.get("/api/v1/patrol/incidents", headers=sho.bearer).json()
    assert (incident["source"], incident["priority"]) == ("sos", 1)
    assert "Travel Made Safe" in incident["description"]
    [watched] = client.get("/api/v1/citizen/trips", headers=sho.bearer).json()
    assert watched["id"] == trip_id and watched["under_sos"] is True
    [event] = audit_events(runtime, "citizen_sos.raised")
    assert "trip-check:off_route" in event.detail
    # The citizen sees the SOS as theirs.
    mine = citizens.get(f"{API}/sos/{shown['alarm_sos_id']}", headers=me.bearer)
    assert mine.status_code == 200 and mine.json()["status"] == "open"


def test_answering_not_safe_raises_an_sos_at_once(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    trip_id = _started(citizens, me, route=False)
    _send(citizens, me, trip_id, _fix(**START))
    r = citizens.post(f"{API}/trips/{trip_id}/check-in", json={"safe": False}, headers=me.bearer)
    assert r.status_code == 200 and r.json()["alarm_sos_id"] is not None
    with runtime.db.transaction(write=False) as s:
        assert s.get(CitizenSos, r.json()["alarm_sos_id"]) is not None


def test_standing_still_silence_and_lateness_each_ask(
    citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    # Standing still: 15 minutes of positions within a few metres of each other.
    still = _started(citizens, me, route=False)
    for _ in range(3):
        _send(citizens, me, still, _fix(**START))
    now = utcnow()
    with runtime.db.transaction(write=True) as s:
        s.execute(
            update(CitizenTrip)
            .where(CitizenTrip.id == still)
            .values(started_at=now - timedelta(minutes=20))
        )
        ids = s.execute(
            select(CitizenTripPosition.id).where(CitizenTripPosition.trip_id == still)
        ).scalars()
        for minutes, row_id in zip((12, 6, 1), ids, strict=True):
            s.execute(
                update(CitizenTripPosition)
                .where(CitizenTripPosition.id == row_id)
                .values(received_at=now - timedelta(minutes=minutes))
            )
    assert _check(runtime)["asked"] == 1
    with runtime.db.transaction(write=False) as s:
        row = s.get(CitizenTrip, still)
        assert row is not None and row.deviation == "still"

    # Silent: nothing heard for 15 minutes; late: past the expected arrival and 15 minutes.
    other = log_in(citizens, runtime, "9876500002")
    quiet = _started(citizens, other, route=False)
    _send(citizens, other, quiet, _fix(**START))
    assert _check(runtime, minutes=16)["asked"] == 1
    with runtime.db.transaction(write=False) as s:
        row = s.get(CitizenTrip, quiet)
        assert row is not None and row.deviation == "silent"

    third = log_in(citizens, runtime, "9876500003")
    late = _started(citizens, third, route=False)
    _send(citizens, third, late, _fix(**START))
    with runtime.db.transaction(write=True) as s:
        s.execute(
            update(CitizenTrip)
            .where(CitizenTrip.id == late)
            .values(expected_arrival=utcnow() - timedelta(minutes=16))
        )
    r = citizens.post(
        f"{API}/trips/{late}/fixes", json={"fixes": [_fix(**START)]}, headers=third.bearer
    )
    assert r.json()["check_in"]["deviation"] == "overdue"
