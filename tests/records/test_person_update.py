"""Changing a person: only inside one's jurisdiction, never silently over another's edit,
every earlier version kept (sealed) and the change audited without its content."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kotwal.core.crypto import open_field
from kotwal.core.models import AuditEventRow
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.records.models import PersonVersion
from tests.factories import Officer, World, issue_token, make_officer
from tests.records_helpers import file_person


@pytest.fixture
def si(runtime: Runtime, world: World) -> Officer:
    return issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))


def _patch(client: TestClient, officer: Officer, person_id: str, **body: object) -> object:
    return client.patch(f"/api/v1/persons/{person_id}", json=body, headers=officer.bearer)


def test_update_keeps_the_previous_version_sealed(
    client: TestClient, runtime: Runtime, si: Officer, world: World
) -> None:
    person = file_person(client, si, world.station_a, name="Bandi Suresh", phone="9000011111")
    r = _patch(
        client, si, person["id"], expected_version=1, status="absconding", phone="9000022222"
    )
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert body["status"] == "absconding" and body["phone"] == "9000022222"
    assert body["version"] == 2
    with UnitOfWork(runtime, write=False) as uow:
        [old] = uow.session.execute(select(PersonVersion)).scalars().all()
        snapshot = json.loads(open_field(uow.session, old, "snapshot"))
        assert old.version == 1 and old.changed_fields == "phone,status"
    assert snapshot["phone"] == "9000011111" and snapshot["status"] == "active"
    history = client.get(f"/api/v1/persons/{person['id']}/history", headers=si.bearer).json()
    assert [h["version"] for h in history] == [1]


def test_stale_version_is_refused_and_changes_nothing(
    client: TestClient, si: Officer, world: World
) -> None:
    person = file_person(client, si, world.station_a)
    assert _patch(client, si, person["id"], expected_version=1, marks="scar on left cheek")
    r = _patch(client, si, person["id"], expected_version=1, marks="tattoo on right arm")
    assert r.status_code == 409  # type: ignore[attr-defined]
    now = client.get(f"/api/v1/persons/{person['id']}", headers=si.bearer).json()
    assert now["marks"] == "scar on left cheek" and now["version"] == 2


def test_officer_of_another_station_cannot_change_a_record_even_with_a_purpose(
    client: TestClient, runtime: Runtime, si: Officer, world: World
) -> None:
    person = file_person(client, si, world.station_a)
    other = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_b))
    r = client.patch(
        f"/api/v1/persons/{person['id']}",
        params={"purpose": "FIR PS-B/2026/0001"},
        json={"expected_version": 1, "status": "deceased"},
        headers=other.bearer,
    )
    assert r.status_code == 403
    assert client.get(f"/api/v1/persons/{person['id']}", headers=si.bearer).json()["status"] == (
        "active"
    )


def test_moving_a_record_out_of_ones_jurisdiction_is_refused(
    client: TestClient, si: Officer, world: World
) -> None:
    person = file_person(client, si, world.station_a)
    r = _patch(client, si, person["id"], expected_version=1, station_id=world.station_c)
    assert r.status_code == 403  # type: ignore[attr-defined]


def test_renamed_person_is_found_by_the_new_name_and_the_change_is_audited(
    client: TestClient, runtime: Runtime, si: Officer, world: World
) -> None:
    person = file_person(client, si, world.station_a, name="Gollapudi Naresh")
    r = _patch(
        client, si, person["id"], expected_version=1, name="Gollapudi Mahesh", aliases=["Mahi"]
    )
    assert r.status_code == 200  # type: ignore[attr-defined]
    hits = client.get(
        "/api/v1/persons/search", params={"name": "Mahesh Gollapudi"}, headers=si.bearer
    ).json()["items"]
    assert [h["person"]["id"] for h in hits] == [person["id"]]
    with runtime.db.transaction(write=False) as s:
        [event] = (
            s.execute(select(AuditEventRow).where(AuditEventRow.action == "record.update"))
            .scalars()
            .all()
        )
    assert event.resource_id == person["id"] and "Mahesh" not in event.detail


def test_protected_and_unknown_fields_cannot_be_patched(
    client: TestClient, si: Officer, world: World
) -> None:
    person = file_person(client, si, world.station_a)
    for field, value in (("jurisdiction_path", "/"), ("version", 99), ("phone_bidx", "00")):
        r = _patch(client, si, person["id"], expected_version=1, **{field: value})
        assert r.status_code == 422, field  # type: ignore[attr-defined]
