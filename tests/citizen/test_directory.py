"""The station directory (issue 22 item 7): the station whose area holds a place, then the
nearest others; public, with names and distances only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.citizen.helpers import API
from tests.factories import World, api_officer
from tests.patrol.helpers import KM, LAT0, LON0, collection, feature, import_map, square


def test_the_station_that_holds_a_place_comes_first_then_the_nearest(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World
) -> None:
    sho = api_officer(runtime, Role.CIRCLE_OFFICER, world.circle)
    areas = collection(
        feature("station_area", "PS-A", "PS-A", square(LON0, LAT0, 2 * KM)),
        feature("station_area", "PS-B", "PS-B", square(LON0 + 2 * KM, LAT0, 2 * KM)),
    )
    assert import_map(client, sho, areas).status_code == 201, "map"
    r = citizens.get(f"{API}/stations/near", params={"lat": LAT0 + 0.005, "lon": LON0 + 0.005})
    assert r.status_code == 200, r.text
    first, second = r.json()
    assert (first["id"], first["holds"], first["distance_m"]) == (world.station_a, True, 0)
    assert second["id"] == world.station_b and second["holds"] is False
    assert 1_000 < second["distance_m"] < 2_000
    assert "geometry" not in r.text and "path" not in first
    far = citizens.get(f"{API}/stations/near", params={"lat": LAT0 + 1, "lon": LON0 + 1})
    assert far.status_code == 200 and far.json() == []
    bad = citizens.get(f"{API}/stations/near", params={"lat": 91, "lon": 0})
    assert bad.status_code == 422
