"""Injection through search terms (OWASP API8 neighbourhood, issue 3's "injection in search
terms"): SQL metacharacters, LIKE wildcards, comment and quote tricks, over-long and
control-character terms, in name search, phone lookup and FIR lookup. Each is answered with a
result or a clear 422, never a 5xx; it matches nothing it should not and changes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import Officer, World, issue_token, make_officer
from tests.records_helpers import file_person

HOSTILE = [
    "' OR '1'='1",
    "'; DROP TABLE persons; --",
    '" OR ""="',
    "%",
    "%%",
    "_%",
    "a%' --",
    "\\' OR 1=1 #",
    "Ravi') UNION SELECT name FROM accounts --",
    "*",
    ".*",
    "రవి' OR 'x'='x",
]


@pytest.fixture
def officers(runtime: Runtime, world: World) -> tuple[Officer, Officer]:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    reader = issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))
    return si, reader


def _count(client: TestClient, reader: Officer, name: str) -> int:
    r = client.get("/api/v1/persons/search", params={"name": name}, headers=reader.bearer)
    assert r.status_code == 200, r.text
    return len(r.json()["items"])


def test_hostile_name_terms_match_nothing_and_break_nothing(
    client: TestClient, world: World, officers: tuple[Officer, Officer]
) -> None:
    si, reader = officers
    filed = [
        file_person(client, si, world.station_a, name=n)
        for n in ("Test Bandi Ravi", "Test Kommu Suresh", "Test Lakshmi Reddy")
    ]
    for term in HOSTILE:
        r = client.get("/api/v1/persons/search", params={"name": term}, headers=reader.bearer)
        assert r.status_code in (200, 422), (term, r.status_code, r.text)
        if r.status_code == 200:
            ids = {h["person"]["id"] for h in r.json()["items"]}
            # A wildcard or tautology must not turn into "everyone".
            assert len(ids) < len(filed), term
        else:
            assert r.headers["content-type"].startswith("application/problem+json")
    # The table is intact and an honest search still works.
    assert _count(client, reader, "Ravi Bandi") >= 1
    for person in filed:
        got = client.get(f"/api/v1/persons/{person['id']}", headers=reader.bearer)
        assert got.status_code == 200


def test_control_characters_and_overlong_terms_are_refused_clearly(
    client: TestClient, officers: tuple[Officer, Officer]
) -> None:
    _, reader = officers
    for term in ("Ravi\x00", "Ravi\r\nX-Injected: 1", "a" * 101):
        r = client.get("/api/v1/persons/search", params={"name": term}, headers=reader.bearer)
        assert r.status_code == 422, (term, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "X-Injected" not in r.headers
    # The same for a NUL in a path id (PostgreSQL refuses NUL in text; it must never get one).
    r = client.get("/api/v1/persons/%00abc", headers=reader.bearer)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")


def test_hostile_phone_and_fir_lookups_find_nothing(
    client: TestClient, world: World, officers: tuple[Officer, Officer]
) -> None:
    si, reader = officers
    file_person(client, si, world.station_a)
    for term in ("' OR '1'='1", "9000%", "90000_____", "1 OR 1=1"):
        r = client.get("/api/v1/persons", params={"phone": term}, headers=si.bearer)
        assert r.status_code in (200, 422), (term, r.text)
        if r.status_code == 200:
            assert r.json()["items"] == [], term
    for term in ("PS-A/2025/0001' OR '1'='1", "PS-A/2025/%", "%/%/%"):
        r = client.get("/api/v1/cases", params={"fir": term}, headers=reader.bearer)
        assert r.status_code in (200, 422), (term, r.text)
        if r.status_code == 200:
            assert r.json()["items"] == [], term
