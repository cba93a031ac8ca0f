"""OWASP API1:2023 Broken Object Level Authorization and its neighbours, from the attacker's
side: anonymous calls, writes into another station, separation of duties (the administrator
and the auditor cannot read records), a ciphertext moved between records. Each test attacks
the live app over HTTP."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from kotwal.core.crypto import CryptoProblem, open_field
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.records.models import Person
from kotwal.web.app import route_guards
from tests.factories import World, issue_token, make_officer
from tests.records_helpers import file_person


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def test_every_non_public_route_refuses_an_anonymous_caller(
    app: FastAPI, client: TestClient
) -> None:
    checked = 0
    for route, guard in route_guards(app).items():
        if guard.startswith("public:"):
            continue
        method, path = route.split(" ", 1)
        if method == "HEAD":
            continue
        r = client.request(method, _concrete(path), follow_redirects=False)
        if path.startswith("/api/"):
            assert r.status_code == 401, route
            assert r.headers["content-type"].startswith("application/problem+json")
        else:
            # Console pages send the browser to the login form instead of a bare 401.
            assert r.status_code == 303 and r.headers["location"] == "/login", route
        checked += 1
    assert checked >= 20


def test_system_administrator_cannot_read_a_protected_record(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    admin = issue_token(runtime, make_officer(runtime, Role.SYSTEM_ADMIN))
    for url in (f"/api/v1/persons/{person['id']}", f"/api/v1/persons?phone={person['_phone']}"):
        r = client.get(url, headers=admin.bearer)
        assert r.status_code == 403, url
        assert person["_phone"] not in r.text
    purposeful = client.get(
        f"/api/v1/persons/{person['id']}",
        params={"purpose": "administrator says it is urgent"},
        headers=admin.bearer,
    )
    assert purposeful.status_code == 403


def test_administrator_cannot_give_themselves_or_anyone_a_reading_role_beside_admin(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    admin = issue_token(runtime, make_officer(runtime, Role.SYSTEM_ADMIN))
    other = issue_token(runtime, make_officer(runtime, Role.SYSTEM_ADMIN))
    own = client.patch(
        f"/api/v1/accounts/{admin.account_id}",
        json={"roles": ["district_chief"]},
        headers=admin.bearer,
    )
    assert own.status_code == 409
    mixed = client.patch(
        f"/api/v1/accounts/{other.account_id}",
        json={"roles": ["system_admin", "district_chief"], "jurisdiction_id": world.district},
        headers=admin.bearer,
    )
    assert mixed.status_code == 422 and "separation of duties" in mixed.json()["detail"]
    created = client.post(
        "/api/v1/accounts",
        json={
            "username": "auditor.and.si",
            "display_name": "Both",
            "roles": ["auditor", "sub_inspector"],
            "jurisdiction_id": world.station_a,
        },
        headers=admin.bearer,
    )
    assert created.status_code == 422
    assert client.get("/api/v1/me", headers=admin.bearer).status_code == 200


def test_auditor_reads_the_log_but_not_the_records(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    auditor = issue_token(runtime, make_officer(runtime, Role.AUDITOR))
    log = client.get(
        "/api/v1/audit/events", params={"resource_id": person["id"]}, headers=auditor.bearer
    )
    assert log.status_code == 200 and log.json()
    assert person["_phone"] not in log.text and person["name"] not in log.text
    assert client.get(f"/api/v1/persons/{person['id']}", headers=auditor.bearer).status_code == 403


@pytest.mark.parametrize("role", [Role.CONSTABLE, Role.AUDITOR, Role.SECURITY_OFFICER])
def test_non_administrators_cannot_manage_accounts(
    client: TestClient, runtime: Runtime, world: World, role: Role
) -> None:
    posting = world.station_a if role == Role.CONSTABLE else None
    user = issue_token(runtime, make_officer(runtime, role, posting=posting))
    assert client.get("/api/v1/accounts", headers=user.bearer).status_code == 403
    r = client.post(
        "/api/v1/accounts",
        json={"username": "mole", "display_name": "Mole", "roles": ["state_hq"]},
        headers=user.bearer,
    )
    assert r.status_code == 403


def test_a_moved_ciphertext_fails_to_decrypt(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    victim = file_person(client, si, world.station_a)
    decoy = file_person(client, si, world.station_a)
    # An insider with database access copies the victim's sealed phone onto another row.
    with runtime.db.transaction() as s:
        s.execute(
            text(
                "UPDATE persons SET phone = (SELECT phone FROM persons WHERE id = :v) WHERE id = :d"
            ),
            {"v": victim["id"], "d": decoy["id"]},
        )
    r = client.get(f"/api/v1/persons/{decoy['id']}", headers=si.bearer)
    assert r.status_code == 500
    assert r.json()["type"].endswith("integrity-failure")
    assert victim["_phone"] not in r.text
    with UnitOfWork(runtime, write=False) as uow:
        moved = uow.session.get(Person, decoy["id"])
        with pytest.raises(CryptoProblem):
            open_field(uow.session, moved, "phone")


def test_protected_fields_in_input_are_rejected(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    body = {
        "name": "Mass Assignment",
        "category": "offender",
        "station_id": world.station_a,
        "jurisdiction_path": "/",
        "phone_bidx": "deadbeef",
    }
    r = client.post("/api/v1/persons", json=body, headers=si.bearer)
    assert r.status_code == 422
    fields = {e["loc"][-1] for e in r.json()["errors"]}
    assert {"jurisdiction_path", "phone_bidx"} <= fields


def test_writing_into_another_station_is_refused(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si_b = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_b))
    body = {"name": "Elsewhere", "category": "suspect", "station_id": world.station_a}
    r = client.post("/api/v1/persons", json=body, headers=si_b.bearer)
    assert r.status_code == 403
