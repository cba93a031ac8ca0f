"""The console's arms licence pages, as a browser drives them: the licensing officer lists,
finds and opens licences, suspends one with a reason, and works the suspension review queue;
outside the jurisdiction a licence page is masked until a purpose is declared, and offers no
actions."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.arms.helpers import PURPOSE, issue, name_in_case, register_case
from tests.factories import Officer, World, api_officer
from tests.helpers import console_login, csrf_token
from tests.records_helpers import file_person, seed_records_reference


@pytest.fixture
def alo(runtime: Runtime, world: World) -> Officer:
    return api_officer(runtime, Role.ARMS_LICENSING_OFFICER, world.district)


def test_the_licensing_officer_finds_opens_and_suspends_a_licence(
    client: TestClient, alo: Officer, world: World
) -> None:
    licence = issue(client, alo, world.station_a)
    mark = licence["weapons"][0]["serial"]
    console_login(client, alo)
    listed = client.get("/arms/licences")
    assert listed.status_code == 200 and licence["licence_number"] in listed.text
    found = client.get("/arms/licences", params={"by": "serial", "q": mark.lower()})
    assert f"/arms/licences/{licence['id']}" in found.text
    page = client.get(f"/arms/licences/{licence['id']}")
    assert mark in page.text and "Course of the licence" in page.text
    r = client.post(
        f"/arms/licences/{licence['id']}/suspend",
        data={
            "reason": "Weapon not produced for verification",
            "csrf_token": csrf_token(page.text),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    after = client.get(f"/arms/licences/{licence['id']}").text
    assert "suspended: Weapon not produced for verification" in after
    assert "Reinstate" in after and ">Suspend<" not in after


def test_a_console_action_without_the_forms_token_is_refused(
    client: TestClient, alo: Officer, world: World
) -> None:
    licence = issue(client, alo, world.station_a)
    console_login(client, alo)
    r = client.post(
        f"/arms/licences/{licence['id']}/cancel", data={"reason": "Forged request from elsewhere"}
    )
    assert r.status_code == 403
    api = client.get(f"/api/v1/arms/licences/{licence['id']}", headers=alo.bearer).json()
    assert api["status"] == "valid"


def test_outside_the_jurisdiction_the_page_is_masked_until_a_purpose_is_declared(
    client: TestClient, runtime: Runtime, alo: Officer, world: World
) -> None:
    licence = issue(client, alo, world.station_a)
    other = api_officer(runtime, Role.SUB_INSPECTOR, world.station_c)
    console_login(client, other)
    masked = client.get(f"/arms/licences/{licence['id']}").text
    assert "Kommu Srinivas" not in masked and "Open with purpose" in masked
    opened = client.get(f"/arms/licences/{licence['id']}", params={"purpose": PURPOSE}).text
    assert "Kommu Srinivas" in opened and licence["weapons"][0]["serial"] in opened
    assert "Act on this licence" not in opened and "Course of the licence" not in opened


def test_the_review_queue_is_worked_from_the_console(
    client: TestClient, runtime: Runtime, alo: Officer, world: World
) -> None:
    seed_records_reference(runtime.db)
    si = api_officer(runtime, Role.SUB_INSPECTOR, world.station_c)
    person = file_person(client, si, world.station_c)
    licence = issue(client, alo, world.station_a, person_id=person["id"])
    name_in_case(client, si, register_case(client, si, world.station_c, "PS-C"), person["id"])
    console_login(client, alo)
    queue = client.get("/arms/reviews")
    assert f"/arms/licences/{licence['id']}" in queue.text and "linked to the licence" in queue.text
    action = re.search(r'action="(/arms/reviews/[^"]+/decide)"', queue.text)
    assert action
    r = client.post(
        action.group(1),
        data={
            "outcome": "suspend",
            "reason": "Accused in a robbery case at PS-C",
            "csrf_token": csrf_token(queue.text),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "No review is waiting." in client.get("/arms/reviews").text
    assert "Accused in a robbery case" in client.get("/arms/reviews?status=decided").text
    api = client.get(f"/api/v1/arms/licences/{licence['id']}", headers=alo.bearer).json()
    assert api["status"] == "suspended"


def test_a_constable_reads_licences_but_has_no_review_queue(
    client: TestClient, runtime: Runtime, alo: Officer, world: World
) -> None:
    issue(client, alo, world.station_a)
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    console_login(client, constable)
    assert client.get("/arms/licences").status_code == 200
    assert client.get("/arms/reviews").status_code == 403


def test_the_menu_leads_to_the_licences_and_only_reviewers_to_the_review_queue(
    client: TestClient, runtime: Runtime, alo: Officer, world: World
) -> None:
    console_login(client, alo)
    menu = client.get("/").text
    assert 'href="/arms/licences"' in menu and 'href="/arms/reviews"' in menu
    client.cookies.clear()
    console_login(client, api_officer(runtime, Role.CONSTABLE, world.station_a))
    menu = client.get("/").text
    assert 'href="/arms/licences"' in menu and 'href="/arms/reviews"' not in menu
