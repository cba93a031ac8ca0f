"""Fixtures of the face recognition tests: the engine, and each portrait encoded once per
session (encoding is the slow part, about a third of a second a face on one core)."""

from __future__ import annotations

import pytest

from kotwal.core import images
from kotwal.core.runtime import Runtime
from kotwal.frs.engine import DlibEngine, Face
from tests.factories import World
from tests.frs.helpers import photo
from tests.records_helpers import register_case

#: The case the face search tests search under, registered at station A before each test.
CASE = "PS-A/2025/0042"


@pytest.fixture(autouse=True)
def registered_case(request: pytest.FixtureRequest) -> None:
    """A face search serves a registered case: register the tests' case where the test has a
    database (engine-only tests have none)."""
    if "runtime" not in request.fixturenames:
        return
    runtime: Runtime = request.getfixturevalue("runtime")
    world: World = request.getfixturevalue("world")
    register_case(runtime, world.station_a, CASE)


@pytest.fixture(scope="session")
def engine() -> DlibEngine:
    return DlibEngine()


@pytest.fixture(scope="session")
def encoded(engine: DlibEngine) -> dict[str, Face]:
    """Each portrait's single face, encoded once for the whole session."""
    faces: dict[str, Face] = {}
    for name in ("obama.jpg", "obama2.jpg", "biden.jpg"):
        found = engine.faces(images.decode(photo(name)).image)
        assert len(found) == 1, name
        faces[name] = found[0]
    return faces
