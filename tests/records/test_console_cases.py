"""The console's case and history sheet pages, as an officer's browser drives them: a person's
record lists their sheets and cases; a case is found by FIR number and opened; outside the
jurisdiction the page is masked until a purpose is declared."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import Officer, World, issue_token, make_officer
from tests.helpers import console_login
from tests.records_helpers import file_person, seed_records_reference

PURPOSE = "complaint: joint investigation with the cyber crime station"


@pytest.fixture(autouse=True)
def reference(runtime: Runtime) -> None:
    seed_records_reference(runtime.db)


def _filed(client: TestClient, si: Officer, station: str) -> dict[str, Any]:
    """A person at ``station`` with an open rowdy sheet and a role in one case."""
    person = file_person(client, si, station, name="Test Kommu Ravi Kumar")
    sheet = client.post(
        "/api/v1/history-sheets",
        json={
            "person_id": person["id"],
            "category": "rowdy_sheet",
            "station_id": station,
            "legal_basis": "SP order No. 12/HS/2025",
            "modus_operandi": "Night burglary",
        },
        headers=si.bearer,
    )
    assert sheet.status_code == 201, sheet.text
    case = client.post(
        "/api/v1/cases",
        json={
            "fir_number": "PS-A/2025/0042",
            "sections": ["BNS 309"],
            "registered_on": "2025-03-01",
            "station_id": station,
        },
        headers=si.bearer,
    )
    assert case.status_code == 201, case.text
    party = client.post(
        f"/api/v1/cases/{case.json()['id']}/parties",
        json={"person_id": person["id"], "role": "accused", "role_on": "2025-03-02"},
        headers=si.bearer,
    )
    assert party.status_code == 201, party.text
    return {"person": person, "sheet": sheet.json(), "case": case.json()}


def test_a_record_lists_its_sheets_and_cases_and_each_opens(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    filed = _filed(client, si, world.station_a)
    reader = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    console_login(client, reader)

    page = client.get(f"/persons/{filed['person']['id']}")
    assert page.status_code == 200
    assert "History sheets" in page.text and "rowdy sheet" in page.text
    assert "PS-A/2025/0042" in page.text and "accused (2 Mar 2025)" in page.text
    assert f"/cases/{filed['case']['id']}" in page.text

    case = client.get(f"/cases/{filed['case']['id']}")
    assert case.status_code == 200
    assert "BNS 309" in case.text and "Robbery" in case.text and "IPC 392" in case.text
    assert f"/persons/{filed['person']['id']}" in case.text

    sheet = client.get(f"/history-sheets/{filed['sheet']['id']}")
    assert sheet.status_code == 200
    assert "SP order No. 12/HS/2025" in sheet.text and "Night burglary" in sheet.text
    assert "Course" in sheet.text and si.username in sheet.text  # who opened it
    # When, in the stations' time zone (KOTWAL_TIMEZONE, IST here), named: not a bare UTC hour.
    assert re.search(r"<td>\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} IST</td>", sheet.text)


def test_a_case_is_found_by_fir_number_and_a_bad_number_reads_as_an_error(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    filed = _filed(client, si, world.station_a)
    console_login(client, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))

    found = client.get("/cases", params={"fir": "ps-a/2025/42"})
    assert found.status_code == 200
    assert f"/cases/{filed['case']['id']}" in found.text
    none = client.get("/cases", params={"fir": "PS-A/2025/0043"})
    assert "No case has that FIR number" in none.text
    bad = client.get("/cases", params={"fir": "'; DROP TABLE cases; --"})
    assert bad.status_code == 200 and "station code / year / number" in bad.text
    assert client.get(f"/cases/{filed['case']['id']}").status_code == 200  # still there


def test_outside_the_jurisdiction_case_and_sheet_are_masked_until_a_purpose(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    filed = _filed(client, si, world.station_a)
    console_login(client, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_b))

    case_url = f"/cases/{filed['case']['id']}"
    masked = client.get(case_url)
    assert masked.status_code == 200
    assert "PS-A/2025/0042" not in masked.text and "Open with purpose" in masked.text
    shown = client.get(case_url, params={"purpose": PURPOSE})
    assert "PS-A/2025/0042" in shown.text and "Open with purpose" not in shown.text

    sheet_url = f"/history-sheets/{filed['sheet']['id']}"
    masked_sheet = client.get(sheet_url)
    assert "SP order No. 12/HS/2025" not in masked_sheet.text
    assert "Course" not in masked_sheet.text  # the internal course stays inside
    shown_sheet = client.get(sheet_url, params={"purpose": PURPOSE})
    assert "SP order No. 12/HS/2025" in shown_sheet.text


def test_unknown_case_or_sheet_is_not_found(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    console_login(client, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    assert client.get("/cases/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/history-sheets/00000000-0000-4000-8000-000000000000").status_code == 404
