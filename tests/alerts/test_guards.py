"""Every route of public alerts, from the attacker's side: anonymous callers and officers
without the route's permission are refused, and bad input from an officer who holds it changes
nothing. Routes are read from the app, so a new route is covered by declaring it."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kotwal.core.policy import FIELD_ROLES, Role, role_permissions
from kotwal.core.runtime import Runtime
from kotwal.web.app import route_guards
from tests.alerts.helpers import RAIN, approve, counts, draft, drafted, rain
from tests.factories import Officer, World, issue_token, make_officer


def _alerts_routes(app: FastAPI) -> list[tuple[str, str, str]]:
    """(method, path, permission) of every alerts route, API and console."""
    found = []
    for route, guard in route_guards(app).items():
        method, path = route.split(" ", 1)
        if method == "HEAD" or not re.match(r"^(/api/v1)?/alerts(/|$)", path):
            continue
        assert guard.startswith("perm:"), f"{route} is not guarded by a permission"
        found.append((method, path, guard.removeprefix("perm:")))
    return found


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def test_there_are_alerts_routes_and_each_needs_an_alerts_permission(app: FastAPI) -> None:
    routes = _alerts_routes(app)
    assert len(routes) >= 20
    assert {p for _, _, p in routes} == {
        "alerts:alert:read",
        "alerts:alert:draft",
        "alerts:alert:approve",
        "alerts:template:manage",
        "alerts:consent:manage",
        "alerts:channel:manage",
    }


def test_every_route_refuses_an_anonymous_caller(
    app: FastAPI, client: TestClient, runtime: Runtime, templates: dict[str, str]
) -> None:
    before = counts(runtime)
    for method, path, _ in _alerts_routes(app):
        r = client.request(method, _url(path), json={}, follow_redirects=False)
        if path.startswith("/api/"):
            assert r.status_code == 401, f"{method} {path} -> {r.status_code}"
        else:
            assert r.status_code in (303, 401, 403), f"{method} {path} -> {r.status_code}"
            assert r.status_code != 303 or r.headers["location"].startswith("/login")
    assert counts(runtime) == before


def _sessions(runtime: Runtime, role: Role, world: World) -> tuple[Officer, Officer]:
    """An officer of ``role`` with an API session and a console session."""
    posting = world.station_a if role in FIELD_ROLES else None
    made = make_officer(runtime, role, posting=posting)
    api = issue_token(
        runtime, Officer(made.account_id, made.username, made.password, made.totp_secret)
    )
    page = issue_token(runtime, made, kind="console")
    return api, page


@pytest.mark.parametrize("role", sorted(Role))
def test_every_route_refuses_a_role_without_its_permission(
    app: FastAPI,
    client: TestClient,
    runtime: Runtime,
    world: World,
    templates: dict[str, str],
    role: Role,
) -> None:
    api, page = _sessions(runtime, role, world)
    granted = role_permissions(role)
    before = counts(runtime)
    for method, path, permission in _alerts_routes(app):
        if permission in granted:
            continue
        if path.startswith("/api/"):
            r = client.request(method, _url(path), json={}, headers=api.bearer)
        else:
            client.cookies.set("__Host-kotwal-session", page.token)
            r = client.request(
                method, _url(path), headers={"x-csrf-token": page.csrf}, follow_redirects=False
            )
            client.cookies.clear()
        assert r.status_code == 403, f"{role} {method} {path} -> {r.status_code}"
    assert counts(runtime) == before


BAD_DRAFTS: list[dict[str, Any]] = [
    {"unknown": "field"},
    {"text": "x" * 2001},
    {"areas": []},
    {"areas": ["a" * 36] * 51},
    {"areas": ["short"]},
    {"status": "queued"},
    {"approval_due": "2030-01-01T00:00:00Z"},
    {"text": "Dear Citizen\x00"},
    {"template_id": str(uuid.uuid4())},
]


@pytest.mark.parametrize("change", BAD_DRAFTS)
def test_bad_input_to_a_draft_changes_nothing(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    world: World,
    change: dict[str, Any],
) -> None:
    body = {"template_id": templates[RAIN], "text": rain(), "areas": [world.station_a], **change}
    before = counts(runtime)
    r = client.post("/api/v1/alerts", json=body, headers=sho.bearer)
    assert r.status_code in (404, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert counts(runtime) == before


def test_an_area_that_is_not_a_jurisdiction_changes_nothing(
    client: TestClient, runtime: Runtime, templates: dict[str, str], sho: Officer
) -> None:
    before = counts(runtime)
    r = draft(client, sho, templates[RAIN], rain(), [str(uuid.uuid4())])
    assert r.status_code == 422 and counts(runtime) == before


def test_bad_decisions_change_nothing(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    alert = drafted(client, sho, templates[RAIN], rain(), [world.station_a])
    before = counts(runtime)
    assert approve(client, dcp, str(uuid.uuid4())).status_code == 404
    assert client.post("/api/v1/alerts/short/approve", headers=dcp.bearer).status_code == 422
    for body in ({}, {"reason": "no"}, {"reason": "x" * 501}, {"reason": "fine", "x": 1}):
        r = client.post(f"/api/v1/alerts/{alert['id']}/reject", json=body, headers=dcp.bearer)
        assert r.status_code == 422, body
    assert (
        client.get("/api/v1/alerts", params={"status": "sent"}, headers=dcp.bearer).status_code
        == 422
    )
    assert (
        client.get("/api/v1/alerts", params={"limit": 1000}, headers=dcp.bearer).status_code == 422
    )
    assert counts(runtime) == before
