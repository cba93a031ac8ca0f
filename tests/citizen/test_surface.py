"""The citizens' surface (issue 22 item 1): its own app, its own token realm. A citizen's token
is refused by every officer route, an officer's by every citizen route, the citizens' app has
no officer route at all, and `kotwal run` serves both surfaces from one command, each on its
own port."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient

from kotwal.citizen.deps import signed_in
from kotwal.citizen.permissions import CitizenPermission
from kotwal.core.config import Settings
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.web import app as app_module
from kotwal.web.app import (
    CITIZEN,
    CITIZEN_PREFIX,
    OFFICERS,
    UnguardedRoute,
    create_app,
    misplaced_routes,
    route_guards,
)
from kotwal.web.deps import require
from tests.citizen.helpers import API, log_in
from tests.factories import World, api_officer
from tests.helpers import backend_independent

ANY_ID = "00000000-0000-4000-8000-000000000000"
#: The few routes every app carries: liveness, and the API's description when switched on.
SHARED = {"GET /healthz", "GET /api/openapi.json", "GET /api/docs"}
#: The citizens' web app's public pages (its shell, service worker and manifest; the surface's
#: address leads to it): on the citizens' surface only, and holding no one's data.
WEB_APP = {
    "GET /": "public:",
    "GET /citizen/": "public:",
    "GET /citizen/sw.js": "public:",
    "GET /citizen/manifest.webmanifest": "public:",
}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", ANY_ID, path)


@backend_independent
def test_the_citizens_surface_has_no_officer_route_at_all(
    app: FastAPI, citizen_app: FastAPI
) -> None:
    citizen_routes = route_guards(citizen_app)
    assert any(guard.startswith("citizen:") for guard in citizen_routes.values())
    for route, guard in citizen_routes.items():
        assert guard.startswith(("public:", "citizen:")), (route, guard)
        if route in WEB_APP:
            assert guard.startswith(WEB_APP[route]), (route, guard)
            continue
        assert route.split(" ", 1)[1].startswith(CITIZEN_PREFIX) or route in SHARED, route
    assert set(WEB_APP) <= set(citizen_routes)
    officer_routes = route_guards(app)
    # The one path both answer is the address itself: the officers' start page there, a
    # redirect to the web app on the citizens' (test_web_app.py follows it).
    assert set(citizen_routes) & set(officer_routes) - SHARED == {"GET /"}
    for route, guard in officer_routes.items():
        assert not guard.startswith("citizen:"), route
        assert not route.split(" ", 1)[1].startswith(CITIZEN_PREFIX), route


def test_a_citizen_token_is_refused_by_every_officer_route(
    client: TestClient, citizens: TestClient, runtime: Runtime
) -> None:
    me = log_in(citizens, runtime)
    guarded = {r: g for r, g in route_guards(client.app).items() if g.startswith("perm:")}  # type: ignore[arg-type]
    assert len(guarded) > 50
    client.cookies.set("kotwal-session", me.token)
    client.cookies.set("__Host-kotwal-session", me.token)
    for route in sorted(guarded):
        method, path = route.split(" ", 1)
        r = client.request(method, _concrete(path), headers=me.bearer, follow_redirects=False)
        if r.status_code == 303:  # a console page sends the stranger to the login form
            assert r.headers["location"] == "/login", route
        else:
            assert r.status_code == 401, (route, r.status_code, r.text[:200])


def test_an_officers_token_is_refused_by_every_citizen_route(
    citizens: TestClient, runtime: Runtime, world: World
) -> None:
    officer = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    guarded = {
        r: g
        for r, g in route_guards(citizens.app).items()  # type: ignore[arg-type]
        if g.startswith("citizen:")
    }
    assert len(guarded) >= 8
    for route in sorted(guarded):
        method, path = route.split(" ", 1)
        r = citizens.request(method, _concrete(path), headers=officer.bearer)
        assert r.status_code == 401, (route, r.status_code)
        assert r.headers["content-type"] == "application/problem+json"


def test_the_officers_api_is_not_on_the_citizens_surface_nor_theirs_on_the_officers(
    client: TestClient, citizens: TestClient, runtime: Runtime
) -> None:
    me = log_in(citizens, runtime)
    assert citizens.get("/api/v1/account", headers=me.bearer).status_code == 404
    assert citizens.post("/api/v1/auth/token", json={}).status_code == 404
    assert citizens.get("/login").status_code == 404
    assert client.get(f"{API}/devices", headers=me.bearer).status_code == 404
    assert client.post(f"{API}/otp", json={}).status_code == 404


@backend_independent
def test_a_route_of_the_other_realm_is_refused_on_either_surface(
    settings: Settings, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer_route = APIRouter()

    @officer_route.get(
        "/identity", dependencies=[Depends(require(CitizenPermission.IDENTITY_READ))]
    )
    def identity() -> None: ...

    citizen_route = APIRouter()

    @citizen_route.get("/mine", dependencies=[Depends(signed_in("rogue"))])
    def mine() -> None: ...

    for router, wrong in ((officer_route, CITIZEN), (citizen_route, OFFICERS)):
        bare = FastAPI()
        bare.include_router(router, prefix="/x")
        assert misplaced_routes(bare, wrong) != []
        assert misplaced_routes(bare, OFFICERS if wrong == CITIZEN else CITIZEN) == []

    original = app_module._include_citizen

    def with_officer_route(app: FastAPI, enabled: tuple[object, ...]) -> None:
        original(app, enabled)  # type: ignore[arg-type]
        app.include_router(officer_route, prefix=CITIZEN_PREFIX)

    monkeypatch.setattr(app_module, "_include_citizen", with_officer_route)
    with pytest.raises(UnguardedRoute, match="other realm"):
        create_app(settings, runtime, surface=CITIZEN)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(url: str, log: Path) -> None:
    deadline = time.monotonic() + 180  # two apps per worker, on a machine others share
    while True:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


def test_kotwal_run_serves_both_surfaces_each_on_its_own_port(tmp_path: Path) -> None:
    """On the embedded default, with two worker processes answering on both sockets."""
    kotwal = str(Path(sys.executable).parent / "kotwal")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOTWAL_")}
    env |= {"KOTWAL_DATA_DIR": str(tmp_path / "data"), "KOTWAL_LOCAL_HTTP": "true"}
    subprocess.run([kotwal, "init"], env=env, check=True, capture_output=True, timeout=120)
    officers, citizens = _free_port(), _free_port()
    log = tmp_path / "server.log"
    command = [kotwal, "run", "--workers", "2", "--port", str(officers)]
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [*command, "--citizen-port", str(citizens)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        officers_url, citizens_url = (f"http://127.0.0.1:{p}" for p in (officers, citizens))
        _wait(f"{officers_url}/healthz", log)
        _wait(f"{citizens_url}/healthz", log)
        with httpx.Client() as http:
            for _ in range(6):  # several connections: both workers answer on both sockets
                assert http.get(f"{officers_url}/api/v1/persons/x").status_code == 401
                assert http.get(f"{citizens_url}/api/v1/persons/x").status_code == 404
                assert http.get(f"{citizens_url}{API}/devices").status_code == 401
                assert http.get(f"{officers_url}{API}/devices").status_code == 404
                assert http.get(f"{citizens_url}/login").status_code == 404
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    text = log.read_text()
    assert f"http://localhost:{officers}/" in text and f"http://localhost:{citizens}/" in text


def test_kotwal_run_serves_the_citizens_surface_alone(tmp_path: Path) -> None:
    """As on a host of its own: no officer's route at all."""
    kotwal = str(Path(sys.executable).parent / "kotwal")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOTWAL_")}
    env |= {"KOTWAL_DATA_DIR": str(tmp_path / "data"), "KOTWAL_LOCAL_HTTP": "true"}
    subprocess.run([kotwal, "init"], env=env, check=True, capture_output=True, timeout=120)
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [kotwal, "run", "--surface", "citizen", "--workers", "1", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(f"{url}/healthz", log)
        assert httpx.get(f"{url}{API}/devices").status_code == 401
        assert httpx.get(f"{url}/api/v1/persons/x").status_code == 404
        assert httpx.get(f"{url}/login").status_code == 404
        assert "/static/citizen/app.js" in httpx.get(f"{url}/citizen/").text  # the web app
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert "the citizens' surface" in log.read_text()
