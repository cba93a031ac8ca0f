"""OWASP API9:2023 Improper Inventory Management: what answers is what is documented. Every
JSON route is in the OpenAPI and nothing undocumented under /api answers."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from kotwal.web.app import route_guards
from tests.helpers import backend_independent

UNDOCUMENTED_BY_DESIGN = {"GET /api/openapi.json", "GET /api/docs"}


@backend_independent
def test_the_route_list_equals_the_openapi(app: FastAPI) -> None:
    documented = {
        f"{method.upper()} {path}" for path, ops in app.openapi()["paths"].items() for method in ops
    }
    served = {
        route
        for route in route_guards(app)
        if route.split(" ", 1)[1].startswith("/api/") and not route.startswith("HEAD ")
    } - UNDOCUMENTED_BY_DESIGN
    assert served == documented


@backend_independent
def test_old_or_guessed_api_versions_do_not_answer(client: TestClient) -> None:
    for path in (
        "/api/v0/me",
        "/api/v2/me",
        "/api/me",
        "/api/v1/admin",
        "/api/v1/debug",
        "/api/v1/internal/accounts",
        "/docs",
        "/redoc",
        "/openapi.json",
    ):
        assert client.get(path).status_code == 404, path


@backend_independent
def test_every_documented_path_is_versioned(app: FastAPI) -> None:
    for path in app.openapi()["paths"]:
        assert re.match(r"^/api/v1/", path), path
