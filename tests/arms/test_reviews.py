"""Suspension reviews: when a licence holder is named in a new case, a review appears for the
licensing officer of the licence's jurisdiction (the holder linked to the person, or a strong
name, father's name and birth year match), once per licence and case; the officer decides it
once, and a suspension is kept in the licence's course."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kotwal.core.models import AuditEventRow
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.arms.helpers import issue, name_in_case, register_case
from tests.factories import Officer, World, api_officer
from tests.records_helpers import file_person, seed_records_reference


@pytest.fixture(autouse=True)
def _sections(runtime: Runtime) -> None:
    seed_records_reference(runtime.db)


@pytest.fixture
def alo(runtime: Runtime, world: World) -> Officer:
    return api_officer(runtime, Role.ARMS_LICENSING_OFFICER, world.district)


@pytest.fixture
def si_c(runtime: Runtime, world: World) -> Officer:
    """A sub-inspector of another zone, who registers the case."""
    return api_officer(runtime, Role.SUB_INSPECTOR, world.station_c)


def _queue(client: TestClient, officer: Officer, **params: Any) -> list[dict[str, Any]]:
    r = client.get("/api/v1/arms/reviews", params=params, headers=officer.bearer)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _accused(client: TestClient, si: Officer, world: World, **person: Any) -> tuple[str, str]:
    """File a person at station C, register a case there and name the person as accused."""
    filed = file_person(client, si, world.station_c, **person)
    case_id = register_case(client, si, world.station_c, "PS-C")
    name_in_case(client, si, case_id, filed["id"])
    return filed["id"], case_id


def test_a_linked_holder_named_in_a_case_raises_one_review_for_the_licensing_officer(
    client: TestClient, runtime: Runtime, alo: Officer, si_c: Officer, world: World
) -> None:
    person = file_person(client, si_c, world.station_c)
    licence = issue(client, alo, world.station_a, person_id=person["id"])
    case_id = register_case(client, si_c, world.station_c, "PS-C")
    party = {"person_id": person["id"], "role": "accused", "role_on": "2025-03-02"}
    r = client.post(f"/api/v1/cases/{case_id}/parties", json=party, headers=si_c.bearer)
    assert r.status_code == 201 and licence["id"] not in r.text
    name_in_case(client, si_c, case_id, person["id"], role="arrested")  # same case: no second
    [review] = _queue(client, alo)
    assert review["licence_id"] == licence["id"] and review["case_id"] == case_id
    assert review["person_id"] == person["id"] and review["party_role"] == "accused"
    assert review["match"] == "linked_person" and review["status"] == "open"
    with runtime.db.transaction(write=False) as s:
        [event] = s.execute(
            select(AuditEventRow).where(AuditEventRow.action == "arms_review.open")
        ).scalars()
    assert event.actor_name == "system" and si_c.account_id in event.detail


def test_an_unlinked_holder_is_matched_by_name_fathers_name_and_birth_year(
    client: TestClient, alo: Officer, si_c: Officer, world: World
) -> None:
    licence = issue(client, alo, world.station_a)  # Kommu Srinivas s/o Kommu Ramesh, 1975
    _, case_id = _accused(
        client, si_c, world, name="Srinivas Kommu", father_name="Ramesh Kommu", birth_year=1976
    )
    [review] = _queue(client, alo)
    assert review["licence_id"] == licence["id"] and review["case_id"] == case_id
    assert review["match"] == "name_match"


@pytest.mark.parametrize(
    "person",
    [
        {"name": "Srinivas Kommu", "father_name": "Suresh Kommu", "birth_year": 1975},
        {"name": "Srinivas Kommu", "father_name": "Ramesh Kommu", "birth_year": 1990},
        {"name": "Srinivas Kommu", "birth_year": 1975},
        {"name": "Kommu Srikanth", "father_name": "Kommu Ramesh", "birth_year": 1975},
    ],
)
def test_a_weaker_likeness_raises_no_review(
    client: TestClient, alo: Officer, si_c: Officer, world: World, person: dict[str, Any]
) -> None:
    issue(client, alo, world.station_a)
    _accused(client, si_c, world, **person)
    assert _queue(client, alo) == []


def test_a_cancelled_licence_needs_no_review(
    client: TestClient, alo: Officer, si_c: Officer, world: World
) -> None:
    person = file_person(client, si_c, world.station_c)
    licence = issue(client, alo, world.station_a, person_id=person["id"])
    r = client.post(
        f"/api/v1/arms/licences/{licence['id']}/cancel",
        headers=alo.bearer,
        json={"reason": "Surrendered by the holder"},
    )
    assert r.status_code == 200
    case_id = register_case(client, si_c, world.station_c, "PS-C")
    name_in_case(client, si_c, case_id, person["id"])
    assert _queue(client, alo) == []


def test_deciding_to_suspend_suspends_the_licence_and_the_review_is_decided_once(
    client: TestClient, alo: Officer, si_c: Officer, world: World
) -> None:
    person = file_person(client, si_c, world.station_c)
    licence = issue(client, alo, world.station_a, person_id=person["id"])
    case_id = register_case(client, si_c, world.station_c, "PS-C")
    name_in_case(client, si_c, case_id, person["id"])
    [review] = _queue(client, alo)
    decision = {
        "outcome": "suspend",
        "reason": "Accused in a dacoity case at PS-C",
        "order_reference": "CP/ARMS/2026/31",
    }
    url = f"/api/v1/arms/reviews/{review['id']}/decide"
    r = client.post(url, json=decision, headers=alo.bearer)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "decided" and r.json()["outcome"] == "suspend"
    assert r.json()["decided_by_name"] == alo.username
    assert client.post(url, json=decision, headers=alo.bearer).status_code == 409
    read = client.get(f"/api/v1/arms/licences/{licence['id']}", headers=alo.bearer).json()
    assert read["status"] == "suspended"
    history = client.get(
        f"/api/v1/arms/licences/{licence['id']}/history", headers=alo.bearer
    ).json()
    assert history[-1]["action"] == "suspended"
    assert history[-1]["order_reference"] == "CP/ARMS/2026/31"
    assert _queue(client, alo) == []
    assert [d["id"] for d in _queue(client, alo, status="decided")] == [review["id"]]


def test_no_action_leaves_the_licence_valid(
    client: TestClient, alo: Officer, si_c: Officer, world: World
) -> None:
    person = file_person(client, si_c, world.station_c)
    licence = issue(client, alo, world.station_a, person_id=person["id"])
    case_id = register_case(client, si_c, world.station_c, "PS-C")
    name_in_case(client, si_c, case_id, person["id"])
    [review] = _queue(client, alo)
    r = client.post(
        f"/api/v1/arms/reviews/{review['id']}/decide",
        headers=alo.bearer,
        json={"outcome": "no_action", "reason": "Named as a witness only"},
    )
    assert r.status_code == 200 and r.json()["outcome"] == "no_action"
    read = client.get(f"/api/v1/arms/licences/{licence['id']}", headers=alo.bearer).json()
    assert read["status"] == "valid" and read["version"] == 1
