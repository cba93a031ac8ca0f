"""Station profiles: kept by district command and above inside their jurisdiction, keyed by the
station's node of the jurisdiction tree; the address and phone are public, the SHO is force
information masked outside the jurisdiction; every earlier version kept."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.officers.models import StationProfile
from tests.factories import Officer, World, api_officer
from tests.officers.helpers import PURPOSE, enter_officer

MASKED = {"masked": True}


@pytest.fixture
def dcp(runtime: Runtime, world: World) -> Officer:
    return api_officer(runtime, Role.DISTRICT_CHIEF, world.district)


def _profile(client: TestClient, manager: Officer, station_id: str, **extra: Any) -> dict[str, Any]:
    body = {
        "station_id": station_id,
        "address": "Station Road, Synthetic Nagar",
        "phone": "040-27000000",
        "latitude": 17.385,
        "longitude": 78.4867,
        **extra,
    }
    r = client.post("/api/v1/stations", json=body, headers=manager.bearer)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def test_district_chief_gives_a_station_its_profile_and_sho(
    client: TestClient, dcp: Officer, world: World
) -> None:
    sho = enter_officer(client, dcp, world.station_a, rank="inspector", post="SHO")
    created = _profile(client, dcp, world.station_a, sho_officer_id=sho["id"])
    assert created["id"] == world.station_a and created["code"] == "PS-A"
    assert created["sho_officer_id"] == sho["id"] and created["version"] == 1
    detail = client.get(f"/api/v1/stations/{world.station_a}", headers=dcp.bearer).json()
    assert detail["sho"]["id"] == sho["id"]
    assert [o["id"] for o in detail["officers"]] == [sho["id"]]
    assert detail["latitude"] == pytest.approx(17.385)


def test_the_sho_must_be_posted_at_the_station(
    client: TestClient, dcp: Officer, world: World
) -> None:
    elsewhere = enter_officer(client, dcp, world.station_b)
    body = {
        "station_id": world.station_a,
        "address": "Station Road, Synthetic Nagar",
        "sho_officer_id": elsewhere["id"],
    }
    r = client.post("/api/v1/stations", json=body, headers=dcp.bearer)
    assert r.status_code == 422


def test_a_station_house_officer_cannot_keep_station_profiles(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    body = {"station_id": world.station_a, "address": "Station Road, Synthetic Nagar"}
    assert client.post("/api/v1/stations", json=body, headers=sho.bearer).status_code == 403


def test_a_district_chief_cannot_profile_a_station_of_another_zone(
    client: TestClient, runtime: Runtime, dcp: Officer, world: World
) -> None:
    body = {"station_id": world.station_c, "address": "Station Road, Synthetic Nagar"}
    assert client.post("/api/v1/stations", json=body, headers=dcp.bearer).status_code == 403
    with runtime.db.transaction(write=False) as s:
        assert s.execute(select(StationProfile.id)).first() is None


def test_outside_the_jurisdiction_the_address_is_public_and_the_sho_masked(
    client: TestClient, runtime: Runtime, dcp: Officer, world: World
) -> None:
    sho = enter_officer(client, dcp, world.station_a)
    _profile(client, dcp, world.station_a, sho_officer_id=sho["id"])
    far = api_officer(runtime, Role.CONSTABLE, world.station_c)
    seen = client.get(f"/api/v1/stations/{world.station_a}", headers=far.bearer).json()
    assert seen["address"] == "Station Road, Synthetic Nagar"
    assert seen["phone"] == "040-27000000"
    assert seen["sho_officer_id"] == MASKED and seen["sho"] is None
    assert seen["officers"][0]["name"] == MASKED
    opened = client.get(
        f"/api/v1/stations/{world.station_a}", params={"purpose": PURPOSE}, headers=far.bearer
    ).json()
    assert opened["sho"]["name"] == sho["name"]


def test_a_station_update_keeps_the_earlier_versions(
    client: TestClient, dcp: Officer, world: World
) -> None:
    _profile(client, dcp, world.station_a)
    r = client.patch(
        f"/api/v1/stations/{world.station_a}",
        json={"expected_version": 1, "phone": "040-27001111"},
        headers=dcp.bearer,
    )
    assert r.status_code == 200, r.text
    assert r.json()["phone"] == "040-27001111" and r.json()["version"] == 2
    stale = client.patch(
        f"/api/v1/stations/{world.station_a}",
        json={"expected_version": 1, "phone": "040-27002222"},
        headers=dcp.bearer,
    )
    assert stale.status_code == 409
    history = client.get(f"/api/v1/stations/{world.station_a}/history", headers=dcp.bearer)
    assert [(v["version"], v["changed_fields"]) for v in history.json()] == [(1, ["phone"])]


def test_an_sho_transferred_away_stops_commanding_the_station(
    client: TestClient, dcp: Officer, world: World
) -> None:
    sho = enter_officer(client, dcp, world.station_a)
    _profile(client, dcp, world.station_a, sho_officer_id=sho["id"])
    moved = client.post(
        f"/api/v1/officers/{sho['id']}/transfers",
        json={"expected_version": 1, "unit_id": world.station_b, "from_date": "2025-10-01"},
        headers=dcp.bearer,
    )
    assert moved.status_code == 200, moved.text
    station = client.get(f"/api/v1/stations/{world.station_a}", headers=dcp.bearer).json()
    assert station["sho_officer_id"] is None and station["version"] == 2
    history = client.get(f"/api/v1/stations/{world.station_a}/history", headers=dcp.bearer)
    assert history.json()[0]["changed_fields"] == ["sho_officer_id"]


def test_the_station_list_is_by_code_in_capped_pages(
    client: TestClient, dcp: Officer, world: World
) -> None:
    _profile(client, dcp, world.station_b)
    items = client.get("/api/v1/stations", headers=dcp.bearer).json()["items"]
    assert [s["code"] for s in items] == ["PS-A", "PS-B", "PS-C"]
    assert items[0]["address"] is None and items[1]["address"].startswith("Station Road")
    assert client.get("/api/v1/stations?limit=500", headers=dcp.bearer).status_code == 422


def test_a_node_that_is_not_a_station_is_not_found(
    client: TestClient, dcp: Officer, world: World
) -> None:
    assert client.get(f"/api/v1/stations/{world.district}", headers=dcp.bearer).status_code == 404
