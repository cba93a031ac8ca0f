"""The app factory: every route guarded, problem+json errors, security headers, limits."""

from __future__ import annotations

import gc

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from kotwal.core.config import Settings
from kotwal.core.runtime import Runtime
from kotwal.manifest import Manifest
from kotwal.web import app as app_module
from kotwal.web.app import UnguardedRoute, create_app, route_guards, unguarded_routes
from tests.helpers import backend_independent

PUBLIC_ALLOWED = {
    "GET /healthz",
    "POST /api/v1/auth/token",
    "GET /login",
    "POST /login",
    "GET /api/openapi.json",
    "GET /api/docs",
    # The alerts module's public surface (issue 20 item 3): published alerts, read-only, for
    # anyone to read and verify; nothing else of the alerts is public.
    "GET /public/alerts/feed.atom",
    "GET /public/alerts/cap/{identifier}.xml",
    "GET /public/alerts/verify",
    "POST /public/alerts/verify",
    "GET /public/alerts/signing-key.pem",
    # The patrol module's trackers (issue 21 item 3): OsmAnd/Traccar clients send positions
    # with no officer's session; each ping is authenticated by its tracker's own token.
    "GET /api/v1/patrol/osmand",
    "POST /api/v1/patrol/osmand",
}


@backend_independent
def test_every_route_declares_a_permission_or_a_public_reason(app: FastAPI) -> None:
    assert unguarded_routes(app) == []
    guards = route_guards(app)
    public = {route for route, guard in guards.items() if guard.startswith("public:")}
    assert public <= PUBLIC_ALLOWED
    assert all(g != "NONE" for g in guards.values())


@backend_independent
def test_app_refuses_to_start_with_an_unguarded_route(
    settings: Settings, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    rogue = APIRouter()

    @rogue.get("/api/v1/rogue")
    def rogue_route() -> dict[str, str]:
        return {"leak": "everything"}

    original = app_module._include_modules

    def include_with_rogue(app: FastAPI, s: Settings, enabled: tuple[Manifest, ...]) -> None:
        original(app, s, enabled)
        app.include_router(rogue)

    monkeypatch.setattr(app_module, "_include_modules", include_with_rogue)
    with pytest.raises(UnguardedRoute, match="/api/v1/rogue"):
        create_app(settings, runtime)


@backend_independent
def test_errors_are_problem_json_without_internals(client: TestClient) -> None:
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"].startswith("urn:kotwal:problem:")
    assert set(body) >= {"type", "title", "status"}


def test_unknown_fields_are_rejected_and_input_is_not_echoed(client: TestClient) -> None:
    r = client.post(
        "/api/v1/auth/token",
        json={"username": "x", "password": "y", "is_admin": "<script>alert(1)</script>"},
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "<script>" not in r.text
    assert any(e["loc"][-1] == "is_admin" for e in r.json()["errors"])


def test_security_headers_on_every_answer(client: TestClient) -> None:
    for path in ("/healthz", "/login", "/api/v1/me"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-content-type-options"] == "nosniff"
        assert "server" not in headers


@backend_independent
def test_hsts_only_when_tls_is_declared(settings: Settings, runtime: Runtime) -> None:
    plain = TestClient(create_app(settings, runtime), base_url="https://testserver")
    assert "strict-transport-security" not in plain.get("/healthz").headers
    tls = settings.model_copy(update={"tls": True})
    secured = TestClient(create_app(tls, runtime), base_url="https://testserver")
    assert "max-age=" in secured.get("/healthz").headers["strict-transport-security"]


@backend_independent
def test_trace_is_refused(client: TestClient) -> None:
    assert client.request("TRACE", "/healthz").status_code == 405


@backend_independent
def test_oversized_body_gets_413(client: TestClient, settings: Settings) -> None:
    body = b"x" * (settings.max_body_bytes + 1)
    r = client.post(
        "/api/v1/auth/token", content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert r.json()["type"] == "urn:kotwal:problem:too-large"


@backend_independent
def test_api_docs_are_off_unless_enabled(settings: Settings, runtime: Runtime) -> None:
    off = settings.model_copy(update={"api_docs": False})
    client = TestClient(create_app(off, runtime), base_url="https://testserver")
    assert client.get("/api/openapi.json").status_code == 404
    assert client.get("/api/docs").status_code == 404


@backend_independent
def test_api_docs_are_self_hosted_when_enabled(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "http" not in page.text.split("<body>")[1].replace("https://testserver", "")
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/openapi.json").json()["info"]["title"] == "kotwal"


@backend_independent
def test_a_serving_process_moves_its_start_up_objects_out_of_the_collectors_way(
    client: TestClient,
) -> None:
    # The client has run the app's start-up. Frozen objects are skipped by every later full
    # collection, which otherwise walked them all on some request (70-80 ms on 2 cores).
    assert gc.get_freeze_count() > 10_000
    assert client.get("/healthz").status_code == 200
