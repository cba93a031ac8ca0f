"""Fixtures of citizen services tests: the DLT registry with its locked OTP template (codes go
out through it), and the citizens' surface as its own app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kotwal.core.config import Settings
from kotwal.core.policy import Jurisdiction
from kotwal.core.runtime import Runtime
from kotwal.web.app import CITIZEN, create_app
from tests.alerts.helpers import register_demo_registry
from tests.factories import World


@pytest.fixture
def templates(runtime: Runtime, world: World) -> dict[str, str]:
    """The demo registry, with the locked OTP template, registered as headquarters would."""
    with runtime.db.transaction(write=False) as s:
        state = s.get(Jurisdiction, world.state)
        assert state is not None
        path = state.path
    return register_demo_registry(runtime, path)


@pytest.fixture
def citizen_app(settings: Settings, runtime: Runtime) -> FastAPI:
    return create_app(settings, runtime, surface=CITIZEN)


@pytest.fixture
def citizens(citizen_app: FastAPI, templates: dict[str, str]) -> Iterator[TestClient]:
    """A client of the citizens' surface, with the OTP template registered."""
    with TestClient(citizen_app, base_url="https://testserver") as c:
        yield c
