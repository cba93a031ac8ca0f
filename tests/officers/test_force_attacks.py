"""The attacker's view of the force API: object-level authorization across stations (BOLA),
property-level authorization (the personal contact beyond clearance), mass assignment of
fields the client must not set, and function-level authorization for readers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.officers.models import Officer as OfficerRow
from kotwal.officers.models import OfficerPosting
from tests.factories import Officer, World, api_officer
from tests.helpers import audit_events
from tests.officers.helpers import enter_officer, officer_body

MASKED = {"masked": True}


@pytest.fixture
def sho_a(runtime: Runtime, world: World) -> Officer:
    return api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)


@pytest.fixture
def sho_b(runtime: Runtime, world: World) -> Officer:
    return api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_b)


def _state(runtime: Runtime, officer_id: str) -> tuple[int, str, str, int]:
    """(version, name, unit, postings) of an officer, read straight from the database."""
    with runtime.db.transaction(write=False) as s:
        row = s.get(OfficerRow, officer_id)
        assert row is not None
        postings = s.execute(
            select(OfficerPosting.id).where(OfficerPosting.officer_id == officer_id)
        ).all()
        return row.version, row.name, row.unit_id, len(postings)


def test_station_a_cannot_change_station_bs_officer(
    client: TestClient, runtime: Runtime, sho_a: Officer, sho_b: Officer, world: World
) -> None:
    theirs = enter_officer(client, sho_b, world.station_b)
    before = _state(runtime, theirs["id"])
    r = client.patch(
        f"/api/v1/officers/{theirs['id']}",
        json={"expected_version": 1, "name": "Taken Over"},
        headers=sho_a.bearer,
    )
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert _state(runtime, theirs["id"]) == before
    assert len(audit_events(runtime, "officer.update", outcome="denied")) == 1


def test_station_a_cannot_enter_an_officer_at_station_b(
    client: TestClient, runtime: Runtime, sho_a: Officer, world: World
) -> None:
    r = client.post("/api/v1/officers", json=officer_body(world.station_b), headers=sho_a.bearer)
    assert r.status_code == 403
    with runtime.db.transaction(write=False) as s:
        assert s.execute(select(OfficerRow.id)).first() is None
    assert len(audit_events(runtime, "officer.create", outcome="denied")) == 1


def test_station_a_cannot_transfer_its_officer_out_or_pull_one_in(
    client: TestClient, runtime: Runtime, sho_a: Officer, sho_b: Officer, world: World
) -> None:
    mine = enter_officer(client, sho_a, world.station_a)
    theirs = enter_officer(client, sho_b, world.station_b)
    before_mine, before_theirs = _state(runtime, mine["id"]), _state(runtime, theirs["id"])
    out = client.post(
        f"/api/v1/officers/{mine['id']}/transfers",
        json={"expected_version": 1, "unit_id": world.station_b, "from_date": "2025-10-01"},
        headers=sho_a.bearer,
    )
    pulled = client.post(
        f"/api/v1/officers/{theirs['id']}/transfers",
        json={"expected_version": 1, "unit_id": world.station_a, "from_date": "2025-10-01"},
        headers=sho_a.bearer,
    )
    assert (out.status_code, pulled.status_code) == (403, 403)
    assert _state(runtime, mine["id"]) == before_mine
    assert _state(runtime, theirs["id"]) == before_theirs


def test_the_personal_contact_needs_clearance_and_outside_a_purpose(
    client: TestClient, runtime: Runtime, sho_b: Officer, world: World
) -> None:
    theirs = enter_officer(client, sho_b, world.station_b)
    constable_b = api_officer(runtime, Role.CONSTABLE, world.station_b)
    si_a = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    for reader in (constable_b, si_a):
        body = client.get(f"/api/v1/officers/{theirs['id']}", headers=reader.bearer).json()
        assert body["personal_phone"] == MASKED and body["personal_address"] == MASKED
        assert theirs["_sent"]["personal_phone"] not in str(body)


def test_a_reader_cannot_write_officers_or_stations(
    client: TestClient, runtime: Runtime, sho_a: Officer, world: World
) -> None:
    mine = enter_officer(client, sho_a, world.station_a)
    for role in (Role.CONSTABLE, Role.SUB_INSPECTOR, Role.FRS_OPERATOR):
        reader = api_officer(runtime, role, world.station_a)
        assert (
            client.post(
                "/api/v1/officers", json=officer_body(world.station_a), headers=reader.bearer
            ).status_code
            == 403
        )
        assert (
            client.patch(
                f"/api/v1/officers/{mine['id']}",
                json={"expected_version": 1, "status": "retired"},
                headers=reader.bearer,
            ).status_code
            == 403
        )
        station = {"station_id": world.station_a, "address": "Station Road, Synthetic Nagar"}
        assert (
            client.post("/api/v1/stations", json=station, headers=reader.bearer).status_code == 403
        )


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.AUDITOR, Role.SECURITY_OFFICER])
def test_administrative_roles_read_no_officer_record(
    client: TestClient, runtime: Runtime, sho_a: Officer, world: World, role: Role
) -> None:
    mine = enter_officer(client, sho_a, world.station_a)
    admin = api_officer(runtime, role, None)
    assert client.get(f"/api/v1/officers/{mine['id']}", headers=admin.bearer).status_code == 403
    assert client.get("/api/v1/officers", headers=admin.bearer).status_code == 403


@pytest.mark.parametrize(
    "smuggled",
    [
        {"id": "00000000-0000-4000-8000-000000000000"},
        {"jurisdiction_path": "/"},
        {"version": 99},
        {"unit_name": "Anywhere"},
        {"postings": []},
    ],
)
def test_mass_assignment_on_create_is_refused(
    client: TestClient, runtime: Runtime, sho_a: Officer, world: World, smuggled: dict[str, object]
) -> None:
    body = officer_body(world.station_a, **smuggled)
    r = client.post("/api/v1/officers", json=body, headers=sho_a.bearer)
    assert r.status_code == 422
    with runtime.db.transaction(write=False) as s:
        assert s.execute(select(OfficerRow.id)).first() is None


@pytest.mark.parametrize(
    "smuggled",
    [
        {"unit_id": "00000000-0000-4000-8000-000000000000"},
        {"jurisdiction_path": "/"},
        {"version": 99},
        {"id": "00000000-0000-4000-8000-000000000000"},
    ],
)
def test_mass_assignment_on_update_is_refused(
    client: TestClient, runtime: Runtime, sho_a: Officer, world: World, smuggled: dict[str, object]
) -> None:
    mine = enter_officer(client, sho_a, world.station_a)
    before = _state(runtime, mine["id"])
    r = client.patch(
        f"/api/v1/officers/{mine['id']}",
        json={"expected_version": 1, "name": "Changed", **smuggled},
        headers=sho_a.bearer,
    )
    assert r.status_code == 422
    assert _state(runtime, mine["id"]) == before


def test_station_profile_id_and_path_cannot_be_smuggled(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    dcp = api_officer(runtime, Role.DISTRICT_CHIEF, world.district)
    body = {
        "station_id": world.station_a,
        "address": "Station Road, Synthetic Nagar",
        "jurisdiction_path": "/",
    }
    assert client.post("/api/v1/stations", json=body, headers=dcp.bearer).status_code == 422


def test_control_characters_in_a_name_are_refused(
    client: TestClient, sho_a: Officer, world: World
) -> None:
    body = officer_body(world.station_a, name="Evil\x1b[2J Name")
    assert client.post("/api/v1/officers", json=body, headers=sho_a.bearer).status_code == 422


@pytest.mark.parametrize("bad", ["%00" * 36, "x" * 36, "'; DROP TABLE officers; --" + "x" * 10])
def test_malformed_ids_are_simply_not_found(client: TestClient, sho_a: Officer, bad: str) -> None:
    for path in (f"/api/v1/officers/{bad}", f"/api/v1/stations/{bad}"):
        r = client.get(path, headers=sho_a.bearer)
        assert r.status_code in (404, 422), (path, r.status_code)


@pytest.mark.parametrize(
    "query",
    [{"belt": "\x00" * 8}, {"name": "Ravi\x00 Kumar"}, {"purpose": "inquiry\x00 twelve"}],
)
def test_nul_bytes_in_queries_are_refused_cleanly(
    client: TestClient, sho_a: Officer, query: dict[str, str]
) -> None:
    path = "/api/v1/officers/search" if "name" in query else "/api/v1/officers"
    r = client.get(path, params=query, headers=sho_a.bearer)
    assert 400 <= r.status_code < 500, r.text


def test_the_change_history_stays_inside_the_jurisdiction(
    client: TestClient, runtime: Runtime, sho_a: Officer, world: World
) -> None:
    mine = enter_officer(client, sho_a, world.station_a)
    outsider = api_officer(runtime, Role.SUB_INSPECTOR, world.station_c)
    r = client.get(
        f"/api/v1/officers/{mine['id']}/history",
        params={"purpose": "Inquiry No. 14/2026"},
        headers=outsider.bearer,
    )
    assert r.status_code == 403
    r = client.get(f"/api/v1/officers/{mine['id']}/history", headers=outsider.bearer)
    assert r.status_code == 403
