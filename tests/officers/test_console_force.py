"""The console's force pages as an officer's browser drives them: the officers of one's
jurisdiction, search by name and belt number, an officer's page with the posting history, the
station list and a station with its SHO; masked outside the jurisdiction until a purpose."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import World, api_officer, make_officer
from tests.helpers import console_login
from tests.officers.helpers import PURPOSE, enter_officer


@pytest.fixture
def filed(client: TestClient, runtime: Runtime, world: World) -> dict[str, Any]:
    """An SHO entered at station A with an earlier posting at C, and A's profile naming them."""
    dcp = api_officer(runtime, Role.DISTRICT_CHIEF, world.district)
    earlier = [{"unit_id": world.station_c, "from_date": "2020-01-01", "to_date": "2024-12-31"}]
    sho = enter_officer(
        client,
        dcp,
        world.station_a,
        name="Peddi Anjaiah",
        rank="inspector",
        belt_number="DEMO-CI-0001",
        post="Station House Officer",
        earlier_postings=earlier,
    )
    r = client.post(
        "/api/v1/stations",
        json={
            "station_id": world.station_a,
            "address": "Station Road, Synthetic Nagar",
            "sho_officer_id": sho["id"],
        },
        headers=dcp.bearer,
    )
    assert r.status_code == 201, r.text
    return sho


def test_a_constable_lists_and_opens_the_stations_officers(
    client: TestClient, runtime: Runtime, world: World, filed: dict[str, Any]
) -> None:
    console_login(client, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))
    listing = client.get("/officers")
    assert listing.status_code == 200
    assert "Peddi Anjaiah" in listing.text and 'href="/officers"' in listing.text
    page = client.get(f"/officers/{filed['id']}")
    assert page.status_code == 200
    assert "DEMO-CI-0001" in page.text and "Station House Officer" in page.text
    assert "PS-C (synthetic)" in page.text and "31 Dec 2024" in page.text  # the posting's end
    assert filed["_sent"]["personal_phone"] not in page.text  # beyond a constable's clearance


def test_search_by_name_and_belt_number(
    client: TestClient, runtime: Runtime, world: World, filed: dict[str, Any]
) -> None:
    console_login(client, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    by_name = client.get("/officers", params={"name": "Anjayya Peddi"})
    assert by_name.status_code == 200
    assert f"/officers/{filed['id']}" in by_name.text
    by_belt = client.get("/officers", params={"belt": "demo-ci-0001"})
    assert "Peddi Anjaiah" in by_belt.text and "same belt number" in by_belt.text


def test_outside_the_jurisdiction_the_officer_page_asks_for_a_purpose(
    client: TestClient, runtime: Runtime, world: World, filed: dict[str, Any]
) -> None:
    console_login(client, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_c))
    masked = client.get(f"/officers/{filed['id']}")
    assert masked.status_code == 200
    assert "Peddi Anjaiah" not in masked.text and 'name="purpose"' in masked.text
    assert "posting history is masked" in masked.text
    opened = client.get(f"/officers/{filed['id']}", params={"purpose": PURPOSE})
    assert "Peddi Anjaiah" in opened.text and filed["_sent"]["personal_phone"] in opened.text


def test_the_station_pages_show_the_address_and_the_sho(
    client: TestClient, runtime: Runtime, world: World, filed: dict[str, Any]
) -> None:
    console_login(client, make_officer(runtime, Role.HEAD_CONSTABLE, posting=world.station_a))
    listing = client.get("/stations")
    assert listing.status_code == 200
    assert "PS-A" in listing.text and "Station Road, Synthetic Nagar" in listing.text
    station = client.get(f"/stations/{world.station_a}")
    assert station.status_code == 200
    assert "Peddi Anjaiah" in station.text and f"/officers/{filed['id']}" in station.text


def test_an_administrator_has_no_force_pages(client: TestClient, runtime: Runtime) -> None:
    console_login(client, make_officer(runtime, Role.SYSTEM_ADMIN))
    assert client.get("/officers").status_code == 403
    assert client.get("/stations").status_code == 403
    assert 'href="/officers"' not in client.get("/").text


def test_anonymous_visitors_are_sent_to_log_in(client: TestClient) -> None:
    r = client.get("/officers", follow_redirects=False)
    assert r.status_code in (303, 401)
