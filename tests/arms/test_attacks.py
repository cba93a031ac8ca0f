"""The attacker's view of arms licences (OWASP API1, API3, API4, API5): a licensing officer of
one station reaching into another's licences and reviews, readers trying to write, the
administrator and the auditor trying to read, protected fields slipped into input, and page
sizes beyond the cap. Each attack goes over HTTP against the live app, and each checks that
nothing changed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kotwal.arms.models import ArmsLicence, ArmsLicenceEvent, ArmsWeapon
from kotwal.arms.permissions import ArmsPermission
from kotwal.arms.schemas import LicenceRead, WeaponRead
from kotwal.core.gate import field_classes
from kotwal.core.models import AuditEventRow
from kotwal.core.policy import Role, clearance_for, role_permissions
from kotwal.core.runtime import Runtime
from tests.arms.helpers import (
    PURPOSE,
    issue,
    licence_body,
    name_in_case,
    register_case,
    serial,
)
from tests.factories import Officer, World, api_officer
from tests.records_helpers import file_person, seed_records_reference

#: Columns that never leave: where a row is filed, when it was written, its keys.
INTERNAL = {"jurisdiction_path", "created_at", "updated_at"}


@pytest.fixture
def alo_a(runtime: Runtime, world: World) -> Officer:
    return api_officer(runtime, Role.ARMS_LICENSING_OFFICER, world.station_a)


@pytest.fixture
def alo_b(runtime: Runtime, world: World) -> Officer:
    return api_officer(runtime, Role.ARMS_LICENSING_OFFICER, world.station_b)


def _counts(runtime: Runtime) -> tuple[int, int, int]:
    with runtime.db.transaction(write=False) as s:
        return (
            s.execute(select(func.count()).select_from(ArmsLicence)).scalar_one(),
            s.execute(select(func.count()).select_from(ArmsWeapon)).scalar_one(),
            s.execute(select(func.count()).select_from(ArmsLicenceEvent)).scalar_one(),
        )


def test_licence_ids_are_not_guessable(client: TestClient, alo_a: Officer, world: World) -> None:
    licence = issue(client, alo_a, world.station_a)
    assert uuid.UUID(licence["id"]).version == 4
    assert uuid.UUID(licence["weapons"][0]["id"]).version == 4


def test_another_stations_licensing_officer_cannot_issue_here(
    client: TestClient, runtime: Runtime, alo_b: Officer, world: World
) -> None:
    r = client.post(
        "/api/v1/arms/licences", json=licence_body(world.station_a), headers=alo_b.bearer
    )
    assert r.status_code == 403
    assert _counts(runtime) == (0, 0, 0)
    with runtime.db.transaction(write=False) as s:
        denied = s.execute(
            select(AuditEventRow).where(AuditEventRow.action == "arms_licence.issued")
        ).scalar_one()
    assert denied.outcome == "denied" and denied.actor_name == alo_b.username


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("PATCH", "", {"expected_version": 1, "holder_address": "Elsewhere", "reason": "moved"}),
        ("POST", "/suspend", {"reason": "I do not like him"}),
        ("POST", "/cancel", {"reason": "I do not like him"}),
        ("POST", "/renew", {"valid_until": "2031-01-01"}),
        ("POST", "/weapons", {"category": "pistol", "make": "X", "bore": ".32", "serial": "S1"}),
    ],
)
def test_another_stations_licensing_officer_cannot_alter_a_licence_even_with_a_purpose(
    client: TestClient,
    runtime: Runtime,
    alo_a: Officer,
    alo_b: Officer,
    world: World,
    method: str,
    suffix: str,
    body: dict[str, Any],
) -> None:
    licence = issue(client, alo_a, world.station_a)
    before = _counts(runtime)
    r = client.request(
        method,
        f"/api/v1/arms/licences/{licence['id']}{suffix}",
        json=body,
        params={"purpose": PURPOSE},
        headers=alo_b.bearer,
    )
    assert r.status_code == 403
    assert _counts(runtime) == before
    after = client.get(f"/api/v1/arms/licences/{licence['id']}", headers=alo_a.bearer).json()
    assert after == licence


def test_another_stations_licensing_officer_neither_sees_nor_decides_a_review(
    client: TestClient, runtime: Runtime, alo_a: Officer, alo_b: Officer, world: World
) -> None:
    seed_records_reference(runtime.db)
    si = api_officer(runtime, Role.SUB_INSPECTOR, world.station_c)
    person = file_person(client, si, world.station_c)
    issue(client, alo_a, world.station_a, person_id=person["id"])
    name_in_case(client, si, register_case(client, si, world.station_c, "PS-C"), person["id"])
    [review] = client.get("/api/v1/arms/reviews", headers=alo_a.bearer).json()["items"]
    assert client.get("/api/v1/arms/reviews", headers=alo_b.bearer).json()["items"] == []
    r = client.post(
        f"/api/v1/arms/reviews/{review['id']}/decide",
        headers=alo_b.bearer,
        json={"outcome": "suspend", "reason": "Not my licence to judge"},
    )
    assert r.status_code == 403
    [still] = client.get("/api/v1/arms/reviews", headers=alo_a.bearer).json()["items"]
    assert still["status"] == "open"


@pytest.mark.parametrize(
    "role", [Role.CONSTABLE, Role.SUB_INSPECTOR, Role.STATION_HOUSE_OFFICER, Role.FRS_OPERATOR]
)
def test_officers_who_read_licences_cannot_issue_change_or_review_them(
    client: TestClient, runtime: Runtime, alo_a: Officer, world: World, role: Role
) -> None:
    licence = issue(client, alo_a, world.station_a)
    reader = api_officer(runtime, role, world.station_a)
    assert (
        client.get(f"/api/v1/arms/licences/{licence['id']}", headers=reader.bearer).status_code
        == 200
    )
    r = client.post(
        "/api/v1/arms/licences", json=licence_body(world.station_a), headers=reader.bearer
    )
    assert r.status_code == 403
    r = client.post(
        f"/api/v1/arms/licences/{licence['id']}/suspend",
        json={"reason": "Just because"},
        headers=reader.bearer,
    )
    assert r.status_code == 403
    assert client.get("/api/v1/arms/reviews", headers=reader.bearer).status_code == 403
    assert _counts(runtime) == (1, 1, 1)


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.AUDITOR, Role.SECURITY_OFFICER])
def test_administrators_and_auditors_cannot_read_licences(
    client: TestClient, runtime: Runtime, alo_a: Officer, world: World, role: Role
) -> None:
    licence = issue(client, alo_a, world.station_a)
    outsider = api_officer(runtime, role, None)
    for url, params in (
        (f"/api/v1/arms/licences/{licence['id']}", {"purpose": PURPOSE}),
        ("/api/v1/arms/licences", {}),
        ("/api/v1/arms/licences/search", {"uin": licence["uin"]}),
    ):
        r = client.get(url, params=params, headers=outsider.bearer)
        assert r.status_code == 403, url
        assert licence["holder_name"] not in r.text


PISTOL = {"category": "pistol", "make": "X", "bore": ".32", "serial": "S-1"}


@pytest.mark.parametrize(
    "extra",
    [
        {"id": str(uuid.uuid4())},
        {"status": "suspended"},
        {"version": 9},
        {"jurisdiction_path": "/"},
        {"holder_phone_bidx": "0000"},
        {"created_at": "2020-01-01"},
        {"weapons": [{**PISTOL, "serial_bidx": "0"}]},
        {"weapons": [{**PISTOL, "licence_id": str(uuid.uuid4())}]},
        {"weapons": [{"category": "ak47", "make": "X", "bore": "7.62", "serial": "S-1"}]},
    ],
)
def test_protected_or_unknown_fields_in_a_new_licence_are_refused(
    client: TestClient, runtime: Runtime, alo_a: Officer, world: World, extra: dict[str, Any]
) -> None:
    r = client.post(
        "/api/v1/arms/licences", json=licence_body(world.station_a, **extra), headers=alo_a.bearer
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert _counts(runtime) == (0, 0, 0)


@pytest.mark.parametrize(
    ("suffix", "body"),
    [
        ("", {"status": "valid"}),
        ("", {"station_id": str(uuid.uuid4())}),
        ("", {"licence_number": "NEW/1/2"}),
        ("", {"uin": "UINNEW123"}),
        ("", {"version": 1}),
        ("/suspend", {"status": "cancelled"}),
        ("/renew", {"issued_on": "2020-01-01"}),
    ],
)
def test_protected_fields_cannot_be_changed(
    client: TestClient,
    runtime: Runtime,
    alo_a: Officer,
    world: World,
    suffix: str,
    body: dict[str, Any],
) -> None:
    licence = issue(client, alo_a, world.station_a)
    base: dict[str, Any] = {
        "": {"expected_version": 1, "reason": "Correcting the record"},
        "/suspend": {"reason": "Named in a case"},
        "/renew": {"valid_until": "2031-01-01"},
    }[suffix]
    method = "PATCH" if suffix == "" else "POST"
    r = client.request(
        method,
        f"/api/v1/arms/licences/{licence['id']}{suffix}",
        json={**base, **body},
        headers=alo_a.bearer,
    )
    assert r.status_code == 422
    assert _counts(runtime) == (1, 1, 1)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/arms/licences?limit=100000",
        "/api/v1/arms/licences?limit=101",
        "/api/v1/arms/licences?limit=0",
        "/api/v1/arms/reviews?limit=100000",
    ],
)
def test_page_sizes_are_capped(
    client: TestClient, runtime: Runtime, world: World, url: str
) -> None:
    district = api_officer(runtime, Role.ARMS_LICENSING_OFFICER, world.district)
    r = client.get(url, headers=district.bearer)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "params",
    [
        {"serial": "x" * 65},
        {"licence_number": "x" * 65},
        {"uin": "x" * 33},
        {"phone": "9" * 21},
        {"uin": "UIN12345", "purpose": "p" * 301},
    ],
)
def test_oversized_search_terms_are_refused(
    client: TestClient, alo_a: Officer, params: dict[str, str]
) -> None:
    r = client.get("/api/v1/arms/licences/search", params=params, headers=alo_a.bearer)
    assert r.status_code == 422


def test_a_serial_longer_than_the_cap_is_refused(
    client: TestClient, runtime: Runtime, alo_a: Officer, world: World
) -> None:
    weapons = [{"category": "pistol", "make": "X", "bore": ".32", "serial": serial() * 10}]
    r = client.post(
        "/api/v1/arms/licences",
        json=licence_body(world.station_a, weapons=weapons),
        headers=alo_a.bearer,
    )
    assert r.status_code == 422
    assert _counts(runtime) == (0, 0, 0)


READERS = sorted(r for r in Role if ArmsPermission.LICENCE_READ in role_permissions(r))


@pytest.mark.parametrize("role", READERS)
def test_each_reader_gets_exactly_the_documented_fields_masked_beyond_clearance(
    client: TestClient, runtime: Runtime, alo_a: Officer, world: World, role: Role
) -> None:
    licence = issue(client, alo_a, world.station_a)
    reader = api_officer(runtime, role, world.station_a)
    body = client.get(f"/api/v1/arms/licences/{licence['id']}", headers=reader.bearer).json()
    assert set(body) == set(LicenceRead.model_fields)
    assert set(body["weapons"][0]) == set(WeaponRead.model_fields)
    clearance = clearance_for(frozenset({role}))
    for model, shown in ((ArmsLicence, body), (ArmsWeapon, body["weapons"][0])):
        for field, data_class in field_classes(model).items():
            if field not in shown:
                assert field.endswith("_bidx") or field in INTERNAL, (model, field)
            elif data_class > clearance:
                assert shown[field] == {"masked": True}, (role, field)
            else:
                assert shown[field] != {"masked": True}, (role, field)
