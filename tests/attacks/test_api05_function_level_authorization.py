"""OWASP API5:2023 Broken Function Level Authorization: every role that is not an
administrator, against every administrative route, is refused."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kotwal.core.policy import FIELD_ROLES, Permission, Role, role_permissions
from kotwal.core.runtime import Runtime
from kotwal.web.app import route_guards
from tests.factories import World, issue_token, make_officer

ADMIN_PERMISSIONS = {
    Permission.CORE_ACCOUNT_MANAGE,
    Permission.CORE_JURISDICTION_MANAGE,
    Permission.CORE_KEYS_MANAGE,
    Permission.AUDIT_LOG_READ,
    Permission.AUDIT_LOG_EXPORT,
}


def _admin_routes(app: FastAPI) -> list[tuple[str, str, str]]:
    routes = []
    for route, guard in route_guards(app).items():
        if not guard.startswith("perm:"):
            continue
        permission = guard.removeprefix("perm:")
        method, path = route.split(" ", 1)
        if permission in ADMIN_PERMISSIONS and path.startswith("/api/") and method != "HEAD":
            routes.append((method, path, permission))
    return routes


@pytest.mark.parametrize("role", sorted(Role))
def test_every_role_without_the_permission_is_refused_every_admin_route(
    app: FastAPI, client: TestClient, runtime: Runtime, world: World, role: Role
) -> None:
    posting = world.station_a if role in FIELD_ROLES else None
    user = issue_token(runtime, make_officer(runtime, role, posting=posting))
    routes = _admin_routes(app)
    assert len(routes) >= 8
    for method, path, permission in routes:
        if permission in role_permissions(role):
            continue
        url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        r = client.request(method, url, headers=user.bearer, json={})
        assert r.status_code == 403, f"{role} {method} {path} -> {r.status_code}"
