"""Arms licences: issued only at one's own stations, read through the gate (weapon serials and
holders' addresses and phones sealed, masked beyond clearance or outside the jurisdiction
until a purpose is declared), found exactly by number, UIN, serial or phone with every search
audited, and changed only by appending events with reasons."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from kotwal.arms.models import ArmsLicence, ArmsLicenceEvent, ArmsWeapon
from kotwal.core.crypto import open_field
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.arms.helpers import PURPOSE, issue, licence_body, serial
from tests.factories import Officer, World, api_officer
from tests.helpers import audit_events

MASKED = {"masked": True}


@pytest.fixture
def alo(runtime: Runtime, world: World) -> Officer:
    """The arms licensing officer of the district (stations A and B)."""
    return api_officer(runtime, Role.ARMS_LICENSING_OFFICER, world.district)


def test_an_issued_licence_reads_back_with_its_weapons(
    client: TestClient, runtime: Runtime, alo: Officer, world: World
) -> None:
    body = licence_body(world.station_a, licence_number="tst/2025/000123")
    r = client.post("/api/v1/arms/licences", json=body, headers=alo.bearer)
    assert r.status_code == 201, r.text
    licence = r.json()
    assert licence["licence_number"] == "TST/2025/000123"
    assert licence["status"] == "valid" and licence["version"] == 1
    assert licence["holder_phone"] == body["holder_phone"]
    [weapon] = licence["weapons"]
    assert weapon["serial"] == body["weapons"][0]["serial"] and weapon["bore"] == ".32"
    again = client.get(f"/api/v1/arms/licences/{licence['id']}", headers=alo.bearer).json()
    assert again == licence
    [event] = audit_events(runtime, "arms_licence.issued")
    assert event.resource_id == licence["id"] and event.actor_name == alo.username


def test_serial_address_and_phone_are_sealed_at_rest(
    client: TestClient, runtime: Runtime, alo: Officer, world: World
) -> None:
    licence = issue(client, alo, world.station_a)
    secret = licence["weapons"][0]["serial"]
    with runtime.db.engine.connect() as conn:
        raw = conn.execute(text("SELECT serial FROM arms_weapons")).scalar_one()
        holder = conn.execute(text("SELECT holder_phone, holder_address FROM arms_licences")).one()
    assert secret.encode() not in bytes(raw)
    assert licence["holder_phone"].encode() not in bytes(holder[0])
    assert b"Synthetic Colony" not in bytes(holder[1])
    with UnitOfWork(runtime, write=False) as uow:
        weapon = uow.session.execute(select(ArmsWeapon)).scalar_one()
        assert open_field(uow.session, weapon, "serial") == secret


def test_a_constable_reads_the_licence_but_not_the_sealed_fields(
    client: TestClient, runtime: Runtime, alo: Officer, world: World
) -> None:
    licence = issue(client, alo, world.station_a)
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    seen = client.get(f"/api/v1/arms/licences/{licence['id']}", headers=constable.bearer).json()
    assert seen["holder_name"] == "Kommu Srinivas"
    assert seen["holder_phone"] == MASKED and seen["holder_address"] == MASKED
    assert seen["weapons"][0]["serial"] == MASKED and seen["weapons"][0]["bore"] == ".32"


def test_outside_the_jurisdiction_a_licence_is_masked_until_a_purpose_is_declared(
    client: TestClient, runtime: Runtime, alo: Officer, world: World
) -> None:
    licence = issue(client, alo, world.station_a)
    other = api_officer(runtime, Role.SUB_INSPECTOR, world.station_c)
    url = f"/api/v1/arms/licences/{licence['id']}"
    masked = client.get(url, headers=other.bearer).json()
    assert masked["holder_name"] == MASKED and masked["licence_number"] == MASKED
    assert masked["weapons"][0]["serial"] == MASKED
    assert masked["station_id"] == world.station_a
    opened = client.get(url, params={"purpose": PURPOSE}, headers=other.bearer).json()
    assert opened["holder_name"] == "Kommu Srinivas"
    assert opened["weapons"][0]["serial"] == licence["weapons"][0]["serial"]
    reads = [
        e
        for e in audit_events(runtime, "record.disclose")
        if e.resource_id == licence["id"] and e.actor_name == other.username
    ]
    assert [e.purpose for e in reads] == [None, PURPOSE]


def test_district_reads_its_subtree_and_a_station_only_its_own(
    client: TestClient, runtime: Runtime, alo: Officer, world: World
) -> None:
    at_a = issue(client, alo, world.station_a)
    at_b = issue(client, alo, world.station_b)
    dcp = api_officer(runtime, Role.DISTRICT_CHIEF, world.district)
    si_a = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    listed = client.get("/api/v1/arms/licences", headers=dcp.bearer).json()["items"]
    assert {i["id"] for i in listed} == {at_a["id"], at_b["id"]}
    listed = client.get("/api/v1/arms/licences", headers=si_a.bearer).json()["items"]
    assert [i["id"] for i in listed] == [at_a["id"]]


def test_the_list_pages_by_licence_number(client: TestClient, alo: Officer, world: World) -> None:
    numbers = [f"TST/2025/00000{n}" for n in range(5)]
    for number in numbers:
        issue(client, alo, world.station_a, licence_number=number)
    seen: list[str] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"after": after} if after else {})}
        page = client.get("/api/v1/arms/licences", params=params, headers=alo.bearer).json()
        seen += [i["licence_number"] for i in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == numbers


def test_lookup_by_number_uin_serial_and_phone_is_exact_and_audited_without_the_query(
    client: TestClient, runtime: Runtime, alo: Officer, world: World
) -> None:
    licence = issue(client, alo, world.station_a)
    mark = licence["weapons"][0]["serial"]
    spaced = f"{mark[:3]} - {mark[3:].lower()}"  # written down with a gap and a dash
    for params in (
        {"licence_number": licence["licence_number"].lower()},
        {"uin": licence["uin"]},
        {"serial": spaced},
        {"phone": "+91 " + licence["holder_phone"]},
    ):
        r = client.get("/api/v1/arms/licences/search", params=params, headers=alo.bearer)
        assert [i["id"] for i in r.json()["items"]] == [licence["id"]], params
    r = client.get("/api/v1/arms/licences/search", params={"serial": serial()}, headers=alo.bearer)
    assert r.json()["items"] == []
    searches = audit_events(runtime, "arms.search")
    assert [e.detail.count('"results":1') for e in searches] == [1, 1, 1, 1, 0]
    assert all(mark not in e.detail and licence["uin"] not in e.detail for e in searches)


def test_a_search_needs_exactly_one_key(client: TestClient, alo: Officer, world: World) -> None:
    licence = issue(client, alo, world.station_a)
    both = {"uin": licence["uin"], "licence_number": licence["licence_number"]}
    for params in ({}, both, {"uin": "no spaces allowed"}):
        r = client.get("/api/v1/arms/licences/search", params=params, headers=alo.bearer)
        assert r.status_code == 422, params


def test_serial_search_does_not_confirm_a_weapon_outside_the_jurisdiction(
    client: TestClient, runtime: Runtime, alo: Officer, world: World
) -> None:
    licence = issue(client, alo, world.station_a)
    mark = licence["weapons"][0]["serial"]
    other = api_officer(runtime, Role.SUB_INSPECTOR, world.station_c)
    url = "/api/v1/arms/licences/search"
    assert client.get(url, params={"serial": mark}, headers=other.bearer).json()["items"] == []
    found = client.get(url, params={"serial": mark, "purpose": PURPOSE}, headers=other.bearer)
    assert [i["id"] for i in found.json()["items"]] == [licence["id"]]
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    assert client.get(url, params={"serial": mark}, headers=constable.bearer).status_code == 403


def _act(client: TestClient, officer: Officer, licence_id: str, action: str, **body: Any) -> Any:
    return client.post(
        f"/api/v1/arms/licences/{licence_id}/{action}", json=body, headers=officer.bearer
    )


def test_suspension_reinstatement_renewal_and_cancellation_are_kept_with_reasons(
    client: TestClient, runtime: Runtime, alo: Officer, world: World
) -> None:
    licence = issue(client, alo, world.station_a)
    lid = licence["id"]
    r = _act(
        client,
        alo,
        lid,
        "suspend",
        reason="Named in a dacoity case",
        order_reference="CP/ARMS/2026/17",
    )
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    assert r.json()["status_reason"] == "Named in a dacoity case"
    assert _act(client, alo, lid, "renew", valid_until="2031-01-14").status_code == 409
    assert _act(client, alo, lid, "reinstate", reason="Acquitted by the court").status_code == 200
    r = _act(client, alo, lid, "renew", valid_until="2031-01-14", order_reference="R/1")
    assert r.status_code == 200 and r.json()["valid_until"] == "2031-01-14"
    assert _act(client, alo, lid, "cancel", reason="Holder deceased").json()["status"] == (
        "cancelled"
    )
    assert _act(client, alo, lid, "reinstate", reason="Try to undo it").status_code == 409
    history = client.get(f"/api/v1/arms/licences/{lid}/history", headers=alo.bearer).json()
    assert [(h["action"], h["version"]) for h in history] == [
        ("issued", 1),
        ("suspended", 2),
        ("reinstated", 3),
        ("renewed", 4),
        ("cancelled", 5),
    ]
    assert history[1]["reason"] == "Named in a dacoity case"
    assert history[1]["order_reference"] == "CP/ARMS/2026/17"
    assert {h["by_name"] for h in history} == {alo.username}
    with runtime.db.transaction(write=False) as s:
        assert s.execute(select(ArmsLicence)).scalar_one().version == 5


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("suspend", {}),
        ("suspend", {"reason": "no"}),
        ("cancel", {"reason": "x" * 501}),
        ("renew", {"valid_until": "2030-01-01"}),
        ("renew", {"valid_until": "2040-01-01"}),
    ],
)
def test_bad_status_changes_are_refused_and_change_nothing(
    client: TestClient,
    runtime: Runtime,
    alo: Officer,
    world: World,
    action: str,
    body: dict[str, Any],
) -> None:
    licence = issue(client, alo, world.station_a)
    r = _act(client, alo, licence["id"], action, **body)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    with runtime.db.transaction(write=False) as s:
        assert s.execute(select(ArmsLicence)).scalar_one().version == 1
        assert len(list(s.execute(select(ArmsLicenceEvent)).scalars())) == 1


def test_holder_details_change_with_a_reason_and_the_old_ones_are_kept_sealed(
    client: TestClient, runtime: Runtime, alo: Officer, world: World
) -> None:
    licence = issue(client, alo, world.station_a)
    url = f"/api/v1/arms/licences/{licence['id']}"
    change = {
        "expected_version": 1,
        "holder_address": "Plot 9, New Synthetic Nagar",
        "reason": "Holder moved house",
    }
    r = client.patch(url, json=change, headers=alo.bearer)
    assert r.status_code == 200 and r.json()["holder_address"] == "Plot 9, New Synthetic Nagar"
    assert client.patch(url, json=change, headers=alo.bearer).status_code == 409  # stale
    [_, updated] = client.get(f"{url}/history", headers=alo.bearer).json()
    assert updated["changed_fields"] == ["holder_address"]
    assert updated["reason"] == "Holder moved house"
    with UnitOfWork(runtime, write=False) as uow:
        event = uow.session.execute(
            select(ArmsLicenceEvent).where(ArmsLicenceEvent.action == "updated")
        ).scalar_one()
        assert b"Synthetic Colony" not in bytes(event.snapshot)
        assert "H.No. 4-5-6, Synthetic Colony" in open_field(uow.session, event, "snapshot")


def test_another_weapon_is_endorsed_once(client: TestClient, alo: Officer, world: World) -> None:
    licence = issue(client, alo, world.station_a)
    weapon = {
        "category": "shotgun_dbbl",
        "make": "Synthetic Arms",
        "bore": "12 bore",
        "serial": serial(),
    }
    url = f"/api/v1/arms/licences/{licence['id']}/weapons"
    r = client.post(url, json=weapon, headers=alo.bearer)
    assert r.status_code == 201 and len(r.json()["weapons"]) == 2
    again = {**weapon, "serial": weapon["serial"].lower()}
    assert client.post(url, json=again, headers=alo.bearer).status_code == 409


def test_number_and_uin_are_unique(client: TestClient, alo: Officer, world: World) -> None:
    licence = issue(client, alo, world.station_a)
    for field in ("licence_number", "uin"):
        body = licence_body(world.station_a, **{field: licence[field]})
        r = client.post("/api/v1/arms/licences", json=body, headers=alo.bearer)
        assert r.status_code == 409, field


@pytest.mark.parametrize(
    "extra",
    [
        {"issued_on": "2099-01-01", "valid_until": "2099-06-01"},
        {"valid_until": "2031-01-15"},
        {"valid_until": "2025-01-15"},
        {"weapons": []},
        {"person_id": "00000000-0000-0000-0000-000000000000"},
    ],
)
def test_implausible_licences_are_refused(
    client: TestClient, alo: Officer, world: World, extra: dict[str, Any]
) -> None:
    body = licence_body(world.station_a, **extra)
    assert client.post("/api/v1/arms/licences", json=body, headers=alo.bearer).status_code == 422


def test_the_same_serial_twice_on_one_licence_is_refused(
    client: TestClient, alo: Officer, world: World
) -> None:
    mark = serial()
    weapons = [
        {"category": "pistol", "make": "IOF", "bore": ".32", "serial": mark},
        {"category": "rifle", "make": "IOF", "bore": ".315", "serial": mark.lower()},
    ]
    body = licence_body(world.station_a, weapons=weapons)
    assert client.post("/api/v1/arms/licences", json=body, headers=alo.bearer).status_code == 422


def test_a_changed_phone_is_found_and_the_old_one_no_longer_is(
    client: TestClient, alo: Officer, world: World
) -> None:
    licence = issue(client, alo, world.station_a)
    new_phone = "9000012345"
    change = {"expected_version": 1, "holder_phone": new_phone, "reason": "New mobile number"}
    r = client.patch(f"/api/v1/arms/licences/{licence['id']}", json=change, headers=alo.bearer)
    assert r.status_code == 200, r.text
    url = "/api/v1/arms/licences/search"
    found = client.get(url, params={"phone": new_phone}, headers=alo.bearer).json()["items"]
    assert [i["id"] for i in found] == [licence["id"]]
    old = client.get(url, params={"phone": licence["holder_phone"]}, headers=alo.bearer)
    assert old.json()["items"] == []


def test_a_holder_name_or_validity_area_cannot_be_emptied(
    client: TestClient, alo: Officer, world: World
) -> None:
    licence = issue(client, alo, world.station_a)
    for field in ("holder_name", "area_of_validity"):
        change = {"expected_version": 1, field: None, "reason": "Clearing the field"}
        r = client.patch(f"/api/v1/arms/licences/{licence['id']}", json=change, headers=alo.bearer)
        assert r.status_code == 422, field
