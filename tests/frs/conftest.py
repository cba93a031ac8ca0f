"""Fixtures of the face recognition tests: the engine, and each portrait encoded once per
session (encoding is the slow part, about a third of a second a face on one core)."""

from __future__ import annotations

import pytest

from kotwal.core import images
from kotwal.frs.engine import DlibEngine, Face
from tests.frs.helpers import photo


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
