"""Fixtures of public alerts tests: the registry, and officers on both sides of the
two-officer rule (station command drafts, district command approves)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kotwal.core.policy import Jurisdiction, Role
from kotwal.core.runtime import Runtime
from tests.alerts.helpers import register_demo_registry
from tests.alerts.peer import Peer, PeerThread
from tests.factories import Officer, World, issue_token, make_officer


def officer(runtime: Runtime, role: Role, posting: str | None) -> Officer:
    """An enrolled officer with an API token."""
    return issue_token(runtime, make_officer(runtime, role, posting=posting))


@pytest.fixture
def templates(runtime: Runtime, world: World) -> dict[str, str]:
    """The demo registry, registered; kotwal's template ids by DLT template ID."""
    with runtime.db.transaction(write=False) as s:
        state = s.get(Jurisdiction, world.state)
        assert state is not None
        path = state.path
    return register_demo_registry(runtime, path)


@pytest.fixture
def sho(runtime: Runtime, world: World) -> Officer:
    """Station house officer of station A: drafts for station A."""
    return officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)


@pytest.fixture
def dcp(runtime: Runtime, world: World) -> Officer:
    """The district chief over stations A and B: approves."""
    return officer(runtime, Role.DISTRICT_CHIEF, world.district)


@pytest.fixture
def second_dcp(runtime: Runtime, world: World) -> Officer:
    """Another district chief of the same district."""
    return officer(runtime, Role.DISTRICT_CHIEF, world.district)


@pytest.fixture
def peer() -> Iterator[Peer]:
    """A real SMPP 3.4 server (the smpp34 package) on a free port of 127.0.0.1, stopped after
    the test; it rejects a submit_sm without the DLT TLVs (tests/alerts/peer.py)."""
    running = PeerThread()
    yield running.start()
    running.stop()
