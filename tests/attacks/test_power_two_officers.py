"""Power over accounts needs two officers (issue 18, finding 4).

Found by the outside attack: separation of duties stopped an administrator reading records, but
one administrator could create an account with a reading role and widen it to the whole state:
a puppet who reads. Here an administrator only asks; a security officer who is not the asker
approves, before the request expires, and is the one shown the new account's password.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from kotwal.core.clock import utcnow
from kotwal.core.models import Account, AccountRole, AuditEventRow, PowerRequest
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import Officer, World, issue_token, make_officer


def _admin(runtime: Runtime) -> Officer:
    return issue_token(runtime, make_officer(runtime, Role.SYSTEM_ADMIN))


def _security(runtime: Runtime) -> Officer:
    return issue_token(runtime, make_officer(runtime, Role.SECURITY_OFFICER))


def _roles(runtime: Runtime, account_id: str) -> set[str]:
    with runtime.db.transaction(write=False) as s:
        rows = s.scalars(select(AccountRole.role).where(AccountRole.account_id == account_id))
        return set(rows)


def _accounts_named(runtime: Runtime, username: str) -> int:
    with runtime.db.transaction(write=False) as s:
        found = s.scalar(select(func.count()).where(Account.username == username))
        return int(found or 0)


def _approve(client: TestClient, officer: Officer, request_id: str) -> Any:
    url = f"/api/v1/power-requests/{request_id}/approve"
    return client.post(url, json={"note": "posting order seen"}, headers=officer.bearer)


def test_an_administrator_alone_cannot_make_a_reader(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    admin, other_admin, security = _admin(runtime), _admin(runtime), _security(runtime)
    body = {
        "username": "si.puppet",
        "display_name": "SI Puppet",
        "roles": ["sub_inspector"],
        "jurisdiction_id": world.station_a,
        "reason": "new posting at PS-A",
    }
    asked = client.post("/api/v1/accounts", json=body, headers=admin.bearer)
    assert asked.status_code == 202, asked.text
    request = asked.json()
    assert request["state"] == "pending" and "one_time_password" not in request
    assert _accounts_named(runtime, "si.puppet") == 0
    # Neither the asker nor another administrator can approve; the queue is not theirs either.
    assert _approve(client, admin, request["id"]).status_code == 403
    assert _approve(client, other_admin, request["id"]).status_code == 403
    assert client.get("/api/v1/power-requests", headers=admin.bearer).status_code == 403
    waiting = client.get("/api/v1/power-requests", headers=security.bearer).json()
    assert [r["id"] for r in waiting] == [request["id"]]
    approved = _approve(client, security, request["id"])
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved" and len(approved.json()["one_time_password"]) > 20
    assert _accounts_named(runtime, "si.puppet") == 1
    assert _approve(client, security, request["id"]).status_code == 409
    with runtime.db.transaction(write=False) as s:
        actions = set(s.scalars(select(AuditEventRow.action)))
    assert {"power.request", "power.approve", "account.create"} <= actions


def test_granting_widening_and_enabling_wait_while_taking_away_does_not(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    admin, security = _admin(runtime), _security(runtime)
    officer = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    url = f"/api/v1/accounts/{officer.account_id}"
    grant = client.patch(url, json={"roles": ["constable", "state_hq"]}, headers=admin.bearer)
    assert grant.status_code == 202 and grant.json()["pending"][0]["kind"] == "roles"
    assert _roles(runtime, officer.account_id) == {"constable"}
    widen = client.patch(url, json={"jurisdiction_id": world.state}, headers=admin.bearer)
    assert widen.status_code == 202 and widen.json()["pending"][0]["kind"] == "post"
    moved = client.patch(url, json={"jurisdiction_id": world.station_b}, headers=admin.bearer)
    assert moved.status_code == 200 and moved.json()["pending"] == []
    disabled = client.patch(url, json={"disabled": True}, headers=admin.bearer)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    enable = client.patch(url, json={"disabled": False}, headers=admin.bearer)
    assert enable.status_code == 202 and enable.json()["disabled"] is True
    # The security officer grants the role, refuses the state-wide posting.
    grant_id, widen_id = grant.json()["pending"][0]["id"], widen.json()["pending"][0]["id"]
    assert _approve(client, security, grant_id).status_code == 200
    assert _roles(runtime, officer.account_id) == {"constable", "state_hq"}
    refuse = f"/api/v1/power-requests/{widen_id}/refuse"
    refused = client.post(refuse, json={"reason": "no order for it"}, headers=security.bearer)
    assert refused.status_code == 200 and refused.json()["state"] == "refused"
    assert _approve(client, security, widen_id).status_code == 409
    # Taking the role away again is immediate.
    back = client.patch(url, json={"roles": ["constable"]}, headers=admin.bearer)
    assert back.status_code == 200 and _roles(runtime, officer.account_id) == {"constable"}


def test_an_expired_request_cannot_be_approved(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    admin, security = _admin(runtime), _security(runtime)
    officer = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    url = f"/api/v1/accounts/{officer.account_id}"
    asked = client.patch(url, json={"roles": ["sub_inspector"]}, headers=admin.bearer)
    request_id = asked.json()["pending"][0]["id"]
    with runtime.db.transaction() as s:  # a day passes
        s.execute(update(PowerRequest).values(expires_at=utcnow() - timedelta(minutes=1)))
    late = _approve(client, security, request_id)
    assert late.status_code == 409 and "expired" in late.json()["detail"]
    assert _roles(runtime, officer.account_id) == {"constable"}
