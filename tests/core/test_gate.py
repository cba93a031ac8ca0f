"""The gate: which fields leave, masked rather than dropped, purpose outside jurisdiction,
one audit event per record, observers told."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kotwal.core.gate import Disclosure
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.factories import World, api_officer
from tests.helpers import audit_events
from tests.records_helpers import file_person

MASKED = {"masked": True}


def test_sub_inspector_sees_confidential_fields_in_own_station(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    person = file_person(client, si, world.station_a)
    r = client.get(f"/api/v1/persons/{person['id']}", headers=si.bearer)
    assert r.status_code == 200
    assert r.json()["phone"] == person["_phone"]


def test_constable_gets_confidential_fields_masked_not_dropped(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    pc = api_officer(runtime, Role.CONSTABLE, world.station_a)
    person = file_person(client, si, world.station_a)
    body = client.get(f"/api/v1/persons/{person['id']}", headers=pc.bearer).json()
    assert body["phone"] == MASKED and body["address"] == MASKED
    assert body["status"] == "active"  # RESTRICTED is within a constable's clearance


def test_outside_jurisdiction_without_purpose_only_public_fields(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si_a = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    si_b = api_officer(runtime, Role.SUB_INSPECTOR, world.station_b)
    person = file_person(client, si_a, world.station_a)
    body = client.get(f"/api/v1/persons/{person['id']}", headers=si_b.bearer).json()
    assert body["station_id"] == world.station_a
    for field in ("name", "status", "phone", "category", "father_name"):
        assert body[field] == MASKED, field


def test_outside_jurisdiction_with_purpose_is_allowed_and_flagged(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si_a = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    si_b = api_officer(runtime, Role.SUB_INSPECTOR, world.station_b)
    person = file_person(client, si_a, world.station_a)
    r = client.get(
        f"/api/v1/persons/{person['id']}",
        params={"purpose": "complaint: theft enquiry (FIR PS-B/2026/0142)"},
        headers=si_b.bearer,
    )
    assert r.json()["phone"] == person["_phone"]
    events = audit_events(runtime, "record.disclose", resource_id=person["id"])
    flagged = [e for e in events if '"out_of_jurisdiction":true' in e.detail]
    assert len(flagged) == 1
    assert flagged[0].purpose == "complaint: theft enquiry (FIR PS-B/2026/0142)"
    assert flagged[0].actor_id == si_b.account_id


def test_circle_officer_reads_the_whole_subtree(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si_b = api_officer(runtime, Role.SUB_INSPECTOR, world.station_b)
    circle = api_officer(runtime, Role.CIRCLE_OFFICER, world.circle)
    outsider = api_officer(runtime, Role.CIRCLE_OFFICER, world.station_c)
    person = file_person(client, si_b, world.station_b)
    assert (
        client.get(f"/api/v1/persons/{person['id']}", headers=circle.bearer).json()["phone"]
        == person["_phone"]
    )
    assert (
        client.get(f"/api/v1/persons/{person['id']}", headers=outsider.bearer).json()["phone"]
        == MASKED
    )


def test_every_disclosure_is_one_durable_audit_event_without_content(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    person = file_person(client, si, world.station_a)
    for _ in range(3):
        client.get(f"/api/v1/persons/{person['id']}", headers=si.bearer)
    events = audit_events(runtime, "record.disclose", resource_id=person["id"])
    assert len(events) == 4  # the create answer is a disclosure too
    for e in events:
        assert person["_phone"] not in e.detail and person["name"] not in e.detail


def test_phone_lookup_uses_the_blind_index(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    person = file_person(client, si, world.station_a, phone="+91 90000 12345")
    file_person(client, si, world.station_a, phone="9000054321")
    r = client.get("/api/v1/persons", params={"phone": "090000-12345"}, headers=si.bearer)
    assert [p["id"] for p in r.json()["items"]] == [person["id"]]


def test_observers_hear_of_each_disclosure(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    heard: list[Disclosure] = []

    def observer(_uow: UnitOfWork, disclosure: Disclosure) -> None:
        heard.append(disclosure)

    runtime.observers.register(observer)
    si = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    person = file_person(client, si, world.station_a)
    client.get(f"/api/v1/persons/{person['id']}", headers=si.bearer)
    assert [d.record_ids for d in heard] == [(person["id"],), (person["id"],)]
    assert heard[-1].actor.account_id == si.account_id
