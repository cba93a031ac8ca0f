"""A person's whole record on one page (issue 25 item 3): a placeholder where there is no
photograph, names in both scripts under human labels, aliases, marks, status, history sheets
with their reviews, cases with the person's part, licences held, versions; and, for a station
house officer, who opened the record, from the audit log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kotwal.arms.models import ArmsLicence
from kotwal.core.clock import station_today
from kotwal.core.policy import Jurisdiction, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.factories import World, api_officer, make_officer
from tests.helpers import console_login
from tests.officers.helpers import enter_officer
from tests.records_helpers import file_person, seed_records_reference


@pytest.fixture(autouse=True)
def reference(runtime: Runtime) -> None:
    seed_records_reference(runtime.db)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_person_page_shows_the_whole_record(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    person = file_person(
        client,
        si,
        world.station_a,
        name="Test Gundla Srinivas",
        name_te="గుండ్ల శ్రీనివాస్",
        father_name="Test Gundla Ramaiah",
        aliases=["Test Seenu"],
        marks="mole on left cheek",
        status="absconding",
    )
    pid = person["id"]
    today = station_today(runtime)
    sheet = client.post(
        "/api/v1/history-sheets",
        json={
            "person_id": pid,
            "category": "rowdy_sheet",
            "station_id": world.station_a,
            "legal_basis": "SP order No. 12/HS/2025",
        },
        headers=si.bearer,
    ).json()
    reviewed = client.post(
        f"/api/v1/history-sheets/{sheet['id']}/review",
        json={"next_review_on": str(today + timedelta(days=90)), "note": "seen at home"},
        headers=si.bearer,
    )
    assert reviewed.status_code == 200, reviewed.text
    case = client.post(
        "/api/v1/cases",
        json={
            "fir_number": "PS-A/2026/0007",
            "sections": ["BNS 309"],
            "registered_on": str(today),
            "station_id": world.station_a,
        },
        headers=si.bearer,
    ).json()
    party = client.post(
        f"/api/v1/cases/{case['id']}/parties",
        json={"person_id": pid, "role": "charge_sheeted", "role_on": str(today)},
        headers=si.bearer,
    )
    assert party.status_code == 201, party.text
    changed = client.patch(
        f"/api/v1/persons/{pid}",
        json={"expected_version": 1, "marks": "mole on left cheek, limps"},
        headers=si.bearer,
    )
    assert changed.status_code == 200, changed.text
    with UnitOfWork(runtime, write=True) as uow:
        path = uow.session.execute(
            select(Jurisdiction.path).where(Jurisdiction.id == world.station_a)
        ).scalar_one()
        uow.session.add(
            ArmsLicence(
                licence_number="TS/TEST/2026/77",
                uin="UIN-TEST-77",
                holder_name="Test Gundla Srinivas",
                person_id=pid,
                grounds="self_protection",
                area_of_validity="Telangana",
                issuing_authority="Commissioner of Police",
                issued_on=today - timedelta(days=300),
                valid_until=today + timedelta(days=400),
                status="valid",
                station_id=world.station_a,
                jurisdiction_path=path,
            )
        )
    constable = make_officer(
        runtime, Role.CONSTABLE, posting=world.station_a, username="test.constable"
    )
    console_login(client, constable)
    seen = client.get(f"/persons/{pid}")
    assert seen.status_code == 200
    assert 'id="openings"' not in seen.text  # a constable is not shown who opened it
    client.cookies.clear()

    sho = make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    console_login(client, sho)
    page = client.get(f"/persons/{pid}")
    assert page.status_code == 200
    html, text = page.text, _text(page.text)
    assert 'aria-label="No photograph on record"' in html
    assert "Name (English) Test Gundla Srinivas" in text
    assert '<dd lang="te">గుండ్ల శ్రీనివాస్</dd>' in html
    assert "name te" not in text and "father name" not in text
    assert "Father's name Test Gundla Ramaiah" in text.replace("&#39;", "'")
    assert "Test Seenu" in text
    assert "Identifying marks mole on left cheek, limps" in text
    assert "absconding" in text
    assert "reviewed" in text and "seen at home" in text
    assert "PS-A/2026/0007" in text and "charge sheeted" in text
    assert "Arms licences held" in text and "TS/TEST/2026/77" in text
    assert "1 → 2" in text and "marks" in text  # the version history
    openings = html.split('id="openings"')[1]
    assert "test.constable" in openings


def test_outside_the_jurisdiction_the_page_masks_and_keeps_the_history_inside(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    pid = file_person(client, si, world.station_a, aliases=["Test Other Name"])["id"]
    sho = make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_c)
    console_login(client, sho)
    text = _text(client.get(f"/persons/{pid}").text)
    assert "Test Other Name" not in text
    assert "visible inside its jurisdiction" in text
    assert "Who opened this record" not in text


def test_station_and_officer_pages_count_and_show_the_course(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    """A station's persons by status equal those its reader opens; an officer's postings are
    a timeline, the current one marked."""
    dcp = api_officer(runtime, Role.DISTRICT_CHIEF, world.district)
    si = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    for status in ("absconding", "absconding", "active"):
        file_person(client, si, world.station_a, status=status)
    file_person(client, dcp, world.station_b, status="absconding")
    officer = enter_officer(client, dcp, world.station_b, rank="inspector", posted_on="2023-01-01")
    moved = client.post(
        f"/api/v1/officers/{officer['id']}/transfers",
        json={"expected_version": 1, "unit_id": world.station_a, "from_date": "2025-06-01"},
        headers=dcp.bearer,
    )
    assert moved.status_code == 200, moved.text
    sho = make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    console_login(client, sho)
    station = client.get(f"/stations/{world.station_a}")
    assert station.status_code == 200, station.text
    text = _text(station.text)
    assert "Persons filed here: 3" in text and "Absconding 2" in text and "Active 1" in text
    assert "Officers posted here: 1" in text
    assert station.text.count('<svg class="chart"') == 2  # persons, licences
    other = _text(client.get(f"/stations/{world.station_b}").text)
    assert "Persons filed here" not in other  # outside: nothing counted
    page = client.get(f"/officers/{officer['id']}")
    timeline = page.text.split('<ol class="timeline"')[1].split("</ol>")[0]
    assert timeline.count("<li") == 2 and 'class="current"' in timeline
    assert "PS-A (synthetic)" in timeline.split("<li")[1]  # the latest first
