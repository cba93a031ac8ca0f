"""OWASP API4:2023 Unrestricted Resource Consumption: page sizes capped, bodies capped,
strings capped, repeated failures throttled."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import World, issue_token, make_officer


def test_page_sizes_are_capped(client: TestClient, runtime: Runtime, world: World) -> None:
    admin = issue_token(runtime, make_officer(runtime, Role.SYSTEM_ADMIN))
    auditor = issue_token(runtime, make_officer(runtime, Role.AUDITOR))
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    for url, who in (
        ("/api/v1/accounts?limit=100000", admin),
        ("/api/v1/audit/events?limit=100000", auditor),
        ("/api/v1/persons/search?name=Ravi&limit=100000", si),
    ):
        r = client.get(url, headers=who.bearer)
        assert r.status_code == 422, url


def test_oversized_bodies_get_413_before_parsing(client: TestClient, runtime: Runtime) -> None:
    admin = issue_token(runtime, make_officer(runtime, Role.SYSTEM_ADMIN))
    big = b'{"username": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    r = client.post(
        "/api/v1/accounts",
        content=big,
        headers={**admin.bearer, "content-type": "application/json"},
    )
    assert r.status_code == 413


def test_long_strings_are_refused(client: TestClient, runtime: Runtime, world: World) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    body = {"name": "x" * 5000, "category": "suspect", "station_id": world.station_a}
    assert client.post("/api/v1/persons", json=body, headers=si.bearer).status_code == 422


def test_repeated_login_failures_are_throttled(client: TestClient, runtime: Runtime) -> None:
    codes = [
        client.post(
            "/api/v1/auth/token", json={"username": f"probe{n}", "password": "x" * 12}
        ).status_code
        for n in range(runtime.settings.address_failures_per_window + 1)
    ]
    assert codes[-1] == 429 and set(codes[:-1]) == {401}
