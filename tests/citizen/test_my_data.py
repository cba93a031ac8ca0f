"""A download of one's data (issue 22 item 8, DPDP Act 2023): everything kept of the citizen,
opened for them, and nothing of anyone else's; the download is recorded."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from kotwal.core.clock import utcnow
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.citizen.helpers import API, log_in
from tests.factories import World, api_officer
from tests.helpers import audit_events
from tests.patrol.helpers import LAT0, LON0, import_map, station_a_map

HERE = {"lat": LAT0 + 0.004, "lon": LON0 + 0.004}


def test_my_data_holds_everything_of_mine_and_nothing_of_others(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    assert import_map(client, sho, station_a_map()).status_code == 201
    me = log_in(citizens, runtime)
    profile = {"name": "Asha", "emergency_contacts": [{"name": "Amma", "mobile": "9000011111"}]}
    assert citizens.put(f"{API}/profile", json=profile, headers=me.bearer).status_code == 200
    trip = {
        "vehicle_number": "TS09UB1234",
        "origin": "Ameerpet",
        "destination": "Kukatpally",
        "expected_arrival": (utcnow() + timedelta(hours=1)).isoformat(),
    }
    assert citizens.post(f"{API}/trips", json=trip, headers=me.bearer).status_code == 201
    report = {"kind": "suggestion", "description": "More lights near the park", **HERE}
    assert citizens.post(f"{API}/reports", json=report, headers=me.bearer).status_code == 201
    sos = {"at": utcnow().isoformat(), **HERE}
    raised = citizens.post(f"{API}/sos", json=sos, headers=me.bearer).json()
    client.get(f"/api/v1/citizen/sos/{raised['id']}", headers=sho.bearer)

    other = log_in(citizens, runtime, "9876500002")
    citizens.put(f"{API}/profile", json={"name": "Someone Else"}, headers=other.bearer)

    r = citizens.get(f"{API}/my-data", headers=me.bearer)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["profile"]["name"] == "Asha" and data["profile"]["mobile"] == me.mobile
    assert data["profile"]["emergency_contacts"][0]["name"] == "Amma"
    assert [t["origin"] for t in data["trips"]] == ["Ameerpet"]
    assert [rep["description"] for rep in data["reports"]] == ["More lights near the park"]
    assert [s["id"] for s in data["sos"]] == [raised["id"]]
    assert [d["current"] for d in data["devices"]] == [True]
    assert {e["what"] for e in data["access_log"]} == {"SOS"}
    assert "Someone Else" not in r.text and other.mobile not in r.text
    [event] = audit_events(runtime, "citizen.data_downloaded")
    assert event.resource_id == me.citizen_id
