"""Officer records: entered and changed only inside one's jurisdiction, read through the gate
(masked outside it until a purpose is declared, personal contact only with clearance), every
earlier version kept, postings as a dated history, searched by name and belt number."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.officers.models import Officer as OfficerRow
from kotwal.officers.models import OfficerVersion
from tests.factories import Officer, World, api_officer
from tests.helpers import audit_events
from tests.officers.helpers import PURPOSE, enter_officer, officer_body

MASKED = {"masked": True}


@pytest.fixture
def sho(runtime: Runtime, world: World) -> Officer:
    return api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)


def _row(runtime: Runtime, officer_id: str) -> OfficerRow:
    with runtime.db.transaction(write=False) as s:
        row = s.get(OfficerRow, officer_id)
        assert row is not None
        return row


def _read(client: TestClient, reader: Officer, officer_id: str, **params: str) -> Any:
    r = client.get(f"/api/v1/officers/{officer_id}", params=params, headers=reader.bearer)
    assert r.status_code == 200, r.text
    return r.json()


def test_sho_enters_an_officer_of_the_station_and_reads_it_back_whole(
    client: TestClient, sho: Officer, world: World
) -> None:
    created = enter_officer(client, sho, world.station_a, name="Kommu Srinivas", post="Writer")
    sent = created["_sent"]
    assert created["name"] == "Kommu Srinivas"
    assert created["personal_phone"] == sent["personal_phone"]
    assert created["belt_number"] == sent["belt_number"]
    assert created["version"] == 1
    assert len(created["id"]) == 36
    [posting] = created["postings"]
    assert posting["unit_id"] == world.station_a
    assert posting["post"] == "Writer"
    assert posting["from_date"] == "2025-06-01" and posting["to_date"] is None


def test_a_constable_of_the_station_reads_the_record_without_the_personal_contact(
    client: TestClient, runtime: Runtime, sho: Officer, world: World
) -> None:
    created = enter_officer(client, sho, world.station_a)
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    body = _read(client, constable, created["id"])
    assert body["name"] == created["name"]
    assert body["official_phone"] == created["official_phone"]
    assert body["personal_phone"] == MASKED
    assert body["personal_address"] == MASKED
    assert body["postings"][0]["unit_id"] == world.station_a


def test_outside_the_jurisdiction_the_record_is_masked_until_a_purpose(
    client: TestClient, runtime: Runtime, sho: Officer, world: World
) -> None:
    created = enter_officer(client, sho, world.station_a)
    elsewhere = api_officer(runtime, Role.SUB_INSPECTOR, world.station_c)
    masked = _read(client, elsewhere, created["id"])
    assert masked["name"] == MASKED and masked["belt_number"] == MASKED
    assert masked["postings"] == MASKED
    assert masked["personal_phone"] == MASKED
    opened = _read(client, elsewhere, created["id"], purpose=PURPOSE)
    assert opened["name"] == created["name"]
    assert opened["personal_phone"] == created["_sent"]["personal_phone"]
    assert opened["postings"][0]["unit_id"] == world.station_a
    [event] = [e for e in audit_events(runtime, "record.disclose") if e.purpose == PURPOSE]
    assert event.resource_id == created["id"] and '"out_of_jurisdiction":true' in event.detail


def test_a_purpose_does_not_lift_a_constable_above_their_clearance(
    client: TestClient, runtime: Runtime, sho: Officer, world: World
) -> None:
    created = enter_officer(client, sho, world.station_a)
    constable = api_officer(runtime, Role.CONSTABLE, world.station_c)
    body = _read(client, constable, created["id"], purpose=PURPOSE)
    assert body["name"] == created["name"]
    assert body["personal_phone"] == MASKED and body["personal_address"] == MASKED


def test_the_district_reads_every_station_below_it(
    client: TestClient, runtime: Runtime, sho: Officer, world: World
) -> None:
    created = enter_officer(client, sho, world.station_a)
    dcp = api_officer(runtime, Role.DISTRICT_CHIEF, world.district)
    body = _read(client, dcp, created["id"])
    assert body["personal_address"] == created["_sent"]["personal_address"]


def test_the_personal_contact_is_sealed_at_rest(
    client: TestClient, runtime: Runtime, sho: Officer, world: World
) -> None:
    created = enter_officer(client, sho, world.station_a)
    row = _row(runtime, created["id"])
    assert created["_sent"]["personal_phone"].encode() not in bytes(row.personal_phone)
    assert b"Synthetic Colony" not in bytes(row.personal_address)


def test_an_update_keeps_every_earlier_version(
    client: TestClient, runtime: Runtime, sho: Officer, world: World
) -> None:
    created = enter_officer(client, sho, world.station_a, rank="asi")
    first = client.patch(
        f"/api/v1/officers/{created['id']}",
        json={"expected_version": 1, "rank": "sub_inspector"},
        headers=sho.bearer,
    )
    assert first.status_code == 200, first.text
    second = client.patch(
        f"/api/v1/officers/{created['id']}",
        json={"expected_version": 2, "personal_phone": "9000011111", "name": "Renamed Officer"},
        headers=sho.bearer,
    )
    assert second.status_code == 200, second.text
    assert second.json()["version"] == 3 and second.json()["rank"] == "sub_inspector"
    history = client.get(f"/api/v1/officers/{created['id']}/history", headers=sho.bearer)
    assert [(v["version"], v["changed_fields"]) for v in history.json()] == [
        (2, ["name", "personal_phone"]),
        (1, ["rank"]),
    ]
    with runtime.db.transaction(write=False) as s:
        versions = list(s.execute(select(OfficerVersion)).scalars())
    assert len(versions) == 2
    # The earlier personal phone is kept, sealed, not in the clear.
    assert all(
        created["_sent"]["personal_phone"].encode() not in bytes(v.snapshot) for v in versions
    )


def test_an_update_on_a_stale_version_is_refused(
    client: TestClient, sho: Officer, world: World
) -> None:
    created = enter_officer(client, sho, world.station_a)
    r = client.patch(
        f"/api/v1/officers/{created['id']}",
        json={"expected_version": 7, "status": "on_leave"},
        headers=sho.bearer,
    )
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_transfer_closes_the_posting_and_moves_the_record(
    client: TestClient, runtime: Runtime, sho: Officer, world: World
) -> None:
    created = enter_officer(client, sho, world.station_a, post="Crime team")
    dcp = api_officer(runtime, Role.DISTRICT_CHIEF, world.district)
    r = client.post(
        f"/api/v1/officers/{created['id']}/transfers",
        json={
            "expected_version": 1,
            "unit_id": world.station_b,
            "from_date": "2025-09-15",
            "post": "Station writer",
        },
        headers=dcp.bearer,
    )
    assert r.status_code == 200, r.text
    now, before = r.json()["postings"]
    assert (now["unit_id"], now["from_date"], now["to_date"]) == (
        world.station_b,
        "2025-09-15",
        None,
    )
    assert (before["unit_id"], before["to_date"]) == (world.station_a, "2025-09-14")
    assert r.json()["unit_id"] == world.station_b
    # The record now belongs to station B: A's SHO no longer writes it, B's does.
    refused = client.patch(
        f"/api/v1/officers/{created['id']}",
        json={"expected_version": 2, "status": "on_leave"},
        headers=sho.bearer,
    )
    assert refused.status_code == 403
    sho_b = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_b)
    allowed = client.patch(
        f"/api/v1/officers/{created['id']}",
        json={"expected_version": 2, "status": "on_leave"},
        headers=sho_b.bearer,
    )
    assert allowed.status_code == 200, allowed.text


def test_a_transfer_must_begin_after_the_current_posting(
    client: TestClient, runtime: Runtime, sho: Officer, world: World
) -> None:
    created = enter_officer(client, sho, world.station_a, posted_on="2025-06-01")
    dcp = api_officer(runtime, Role.DISTRICT_CHIEF, world.district)
    r = client.post(
        f"/api/v1/officers/{created['id']}/transfers",
        json={"expected_version": 1, "unit_id": world.station_b, "from_date": "2025-05-01"},
        headers=dcp.bearer,
    )
    assert r.status_code == 422
    assert _read(client, dcp, created["id"])["version"] == 1


def test_earlier_postings_make_a_dated_career(
    client: TestClient, sho: Officer, world: World
) -> None:
    earlier = [
        {"unit_id": world.station_c, "from_date": "2019-01-01", "to_date": "2021-12-31"},
        {
            "unit_id": world.station_b,
            "from_date": "2022-01-01",
            "to_date": "2025-05-31",
            "post": "Crime team",
        },
    ]
    created = enter_officer(client, sho, world.station_a, earlier_postings=earlier)
    assert [(p["unit_id"], p["from_date"], p["to_date"]) for p in created["postings"]] == [
        (world.station_a, "2025-06-01", None),
        (world.station_b, "2022-01-01", "2025-05-31"),
        (world.station_c, "2019-01-01", "2021-12-31"),
    ]


def test_overlapping_earlier_postings_are_refused_and_nothing_is_written(
    client: TestClient, runtime: Runtime, sho: Officer, world: World
) -> None:
    earlier = [
        {"unit_id": world.station_c, "from_date": "2019-01-01", "to_date": "2022-06-30"},
        {"unit_id": world.station_b, "from_date": "2022-01-01", "to_date": "2025-05-31"},
    ]
    body = officer_body(world.station_a, earlier_postings=earlier)
    r = client.post("/api/v1/officers", json=body, headers=sho.bearer)
    assert r.status_code == 422
    with runtime.db.transaction(write=False) as s:
        assert s.execute(select(OfficerRow.id)).first() is None


def test_a_belt_number_is_unique_in_the_force(
    client: TestClient, sho: Officer, world: World
) -> None:
    enter_officer(client, sho, world.station_a, belt_number="TS-HC 4711")
    again = officer_body(world.station_a, belt_number="ts-hc4711")
    r = client.post("/api/v1/officers", json=again, headers=sho.bearer)
    assert r.status_code == 409


def test_find_by_belt_number_is_exact_normalised_and_audited(
    client: TestClient, runtime: Runtime, sho: Officer, world: World
) -> None:
    created = enter_officer(client, sho, world.station_a, belt_number="TSPC 1234")
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    r = client.get("/api/v1/officers", params={"belt": "tspc1234"}, headers=constable.bearer)
    assert [o["id"] for o in r.json()["items"]] == [created["id"]]
    assert r.json()["items"][0]["belt_number"] == "TSPC1234"
    none = client.get("/api/v1/officers", params={"belt": "TSPC1235"}, headers=constable.bearer)
    assert none.json()["items"] == []
    searches = audit_events(runtime, "force.search")
    assert len(searches) == 2
    assert all("1234" not in e.detail and "1235" not in e.detail for e in searches)


def test_name_search_is_fuzzy_and_masks_outside_the_jurisdiction(
    client: TestClient, runtime: Runtime, sho: Officer, world: World
) -> None:
    near = enter_officer(client, sho, world.station_a, name="Gollapudi Srinivas Reddy")
    enter_officer(client, sho, world.station_a, name="Bandi Mahesh")
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    r = client.get(
        "/api/v1/officers/search", params={"name": "Sreenivas Reddy"}, headers=constable.bearer
    )
    assert r.status_code == 200, r.text
    [hit] = r.json()["items"]
    assert hit["officer"]["id"] == near["id"] and hit["score"] >= 0.8
    elsewhere = api_officer(runtime, Role.CONSTABLE, world.station_c)
    masked = client.get(
        "/api/v1/officers/search", params={"name": "Sreenivas Reddy"}, headers=elsewhere.bearer
    ).json()["items"]
    assert masked[0]["officer"]["name"] == MASKED
    assert "Gollapudi" not in str(masked[0]["reasons"])


def test_the_list_shows_the_readers_jurisdiction_in_capped_pages(
    client: TestClient, runtime: Runtime, sho: Officer, world: World
) -> None:
    here = enter_officer(client, sho, world.station_a)
    dcp = api_officer(runtime, Role.DISTRICT_CHIEF, world.district)
    there = enter_officer(client, dcp, world.station_b)
    mine = client.get("/api/v1/officers", headers=sho.bearer).json()["items"]
    assert [o["id"] for o in mine] == [here["id"]]
    district = client.get("/api/v1/officers", headers=dcp.bearer).json()["items"]
    assert {o["id"] for o in district} == {here["id"], there["id"]}
    too_many = client.get("/api/v1/officers", params={"limit": 101}, headers=dcp.bearer)
    assert too_many.status_code == 422


def test_an_officer_record_links_to_one_login_account(
    client: TestClient, runtime: Runtime, sho: Officer, world: World
) -> None:
    login = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    created = enter_officer(client, sho, world.station_a, account_id=login.account_id)
    assert created["account_id"] == login.account_id
    twice = officer_body(world.station_a, account_id=login.account_id)
    assert client.post("/api/v1/officers", json=twice, headers=sho.bearer).status_code == 409
    unknown = officer_body(world.station_a, account_id="0" * 36)
    assert client.post("/api/v1/officers", json=unknown, headers=sho.bearer).status_code == 422


def test_an_unknown_officer_is_not_found(client: TestClient, sho: Officer) -> None:
    r = client.get("/api/v1/officers/" + "1" * 36, headers=sho.bearer)
    assert r.status_code == 404
