"""Cases: registered only at one's own stations under a well-formed, unique FIR number, with
sections of law from the reference table; persons named with their role, step by step; read
through the gate; FIR lookup exact and audited."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import Officer, World, api_officer, issue_token, make_officer
from tests.helpers import audit_events
from tests.records_helpers import file_person, seed_records_reference

PURPOSE = "complaint: inter-district theft gang (FIR PS-C/2025/0031)"


@pytest.fixture(autouse=True)
def sections(runtime: Runtime) -> None:
    """The reference rows a new database holds (the test database is emptied after each test)."""
    seed_records_reference(runtime.db)


@pytest.fixture
def si(runtime: Runtime, world: World) -> Officer:
    return issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))


def _register(client: TestClient, officer: Officer, station_id: str, **extra: Any) -> Any:
    body = {
        "fir_number": "PS-A/2025/0001",
        "sections": ["BNS 309", "BNS 3(5)"],
        "registered_on": "2025-03-01",
        "station_id": station_id,
        **extra,
    }
    return client.post("/api/v1/cases", json=body, headers=officer.bearer)


def _case(client: TestClient, officer: Officer, station_id: str, **extra: Any) -> dict[str, Any]:
    r = _register(client, officer, station_id, **extra)
    assert r.status_code == 201, r.text
    case: dict[str, Any] = r.json()
    return case


def _party(
    client: TestClient, officer: Officer, case_id: str, person_id: str, role: str, on: str
) -> Any:
    body = {"person_id": person_id, "role": role, "role_on": on}
    return client.post(f"/api/v1/cases/{case_id}/parties", json=body, headers=officer.bearer)


def test_registered_case_names_its_sections_with_titles_and_legacy_codes(
    client: TestClient, runtime: Runtime, si: Officer, world: World
) -> None:
    case = _case(client, si, world.station_a, fir_number="PS-A/2025/7")
    assert case["fir_number"] == "PS-A/2025/0007"
    assert case["sections"][0] == {
        "code": "BNS 309",
        "act": "BNS",
        "title": "Robbery",
        "equivalent": "IPC 392",
    }
    assert case["parties"] == []
    r = client.get(f"/api/v1/cases/{case['id']}", headers=si.bearer)
    assert r.status_code == 200 and r.json()["registered_on"] == "2025-03-01"
    [event] = audit_events(runtime, "case.create")
    assert event.outcome == "success" and event.resource_id == case["id"]


def test_legacy_ipc_sections_can_be_cited(client: TestClient, si: Officer, world: World) -> None:
    case = _case(client, si, world.station_a, sections=["IPC 379", "IPC 34"])
    assert [s["equivalent"] for s in case["sections"]] == ["BNS 303", "BNS 3(5)"]


def test_outside_the_jurisdiction_a_case_is_masked_until_a_purpose_is_declared(
    client: TestClient, runtime: Runtime, si: Officer, world: World
) -> None:
    case = _case(client, si, world.station_a)
    person = file_person(client, si, world.station_a)
    _party(client, si, case["id"], person["id"], "accused", "2025-03-02")
    other = api_officer(runtime, Role.SUB_INSPECTOR, world.station_c)
    masked = client.get(f"/api/v1/cases/{case['id']}", headers=other.bearer).json()
    assert masked["fir_number"] == {"masked": True} and masked["sections"] == {"masked": True}
    assert masked["station_id"] == world.station_a
    assert masked["parties"][0]["person_id"] == {"masked": True}
    opened = client.get(
        f"/api/v1/cases/{case['id']}", params={"purpose": PURPOSE}, headers=other.bearer
    ).json()
    assert opened["fir_number"] == "PS-A/2025/0001"
    assert opened["parties"][0]["person_id"] == person["id"]


@pytest.mark.parametrize(
    "fir",
    [
        "PS-A-2025-0001",
        "ps-a/2025/0001",
        "PS-A/25/0001",
        "PS-A/2025/",
        "PS-A/2025/1234567",
        "PS-A/2025/0001/2",
        "PS A/2025/0001",
    ],
)
def test_malformed_fir_numbers_are_rejected(
    client: TestClient, si: Officer, world: World, fir: str
) -> None:
    assert _register(client, si, world.station_a, fir_number=fir).status_code == 422


def test_fir_number_must_carry_the_stations_code_and_the_year_of_registration(
    client: TestClient, si: Officer, world: World
) -> None:
    r = _register(client, si, world.station_a, fir_number="PS-B/2025/0001")
    assert r.status_code == 422 and "PS-A" in r.json()["detail"]
    r = _register(client, si, world.station_a, fir_number="PS-A/2024/0001")
    assert r.status_code == 422


def test_unknown_sections_are_rejected(client: TestClient, si: Officer, world: World) -> None:
    r = _register(client, si, world.station_a, sections=["BNS 999"])
    assert r.status_code == 422 and "BNS 999" in r.json()["detail"]
    assert _register(client, si, world.station_a, sections=["Section 420"]).status_code == 422


def test_the_same_fir_number_cannot_be_registered_twice(
    client: TestClient, si: Officer, world: World
) -> None:
    _case(client, si, world.station_a, fir_number="PS-A/2025/0042")
    r = _register(client, si, world.station_a, fir_number="PS-A/2025/42")
    assert r.status_code == 409


def test_another_station_cannot_register_or_alter_a_case_here(
    client: TestClient, runtime: Runtime, si: Officer, world: World
) -> None:
    other = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_b)
    assert _register(client, other, world.station_a).status_code == 403
    case = _case(client, si, world.station_a)
    person = file_person(client, other, world.station_b)
    r = client.post(
        f"/api/v1/cases/{case['id']}/parties",
        params={"purpose": PURPOSE},
        json={"person_id": person["id"], "role": "accused", "role_on": "2025-03-02"},
        headers=other.bearer,
    )
    assert r.status_code == 403
    assert client.get(f"/api/v1/cases/{case['id']}", headers=si.bearer).json()["parties"] == []
    denied = audit_events(runtime, "case.create") + audit_events(runtime, "case.party_add")
    assert sorted(e.outcome for e in denied) == ["denied", "denied", "success"]


def test_a_persons_course_through_a_case_is_kept_step_by_step(
    client: TestClient, runtime: Runtime, si: Officer, world: World
) -> None:
    case = _case(client, si, world.station_a)
    person = file_person(client, si, world.station_a)
    for role, on in (
        ("accused", "2025-03-02"),
        ("arrested", "2025-03-05"),
        ("charge_sheeted", "2025-05-30"),
    ):
        r = client.post(
            f"/api/v1/cases/{case['id']}/parties",
            headers=si.bearer,
            json={"person_id": person["id"], "role": role, "role_on": on},
        )
        assert r.status_code == 201, r.text
    r = client.get(f"/api/v1/persons/{person['id']}/cases", headers=si.bearer)
    [found] = r.json()["items"]
    assert found["id"] == case["id"]
    assert [p["role"] for p in found["parties"]] == ["accused", "arrested", "charge_sheeted"]
    assert len(audit_events(runtime, "case.party_add")) == 3


def test_a_role_dated_before_registration_is_rejected(
    client: TestClient, si: Officer, world: World
) -> None:
    case = _case(client, si, world.station_a)
    person = file_person(client, si, world.station_a)
    r = _party(client, si, case["id"], person["id"], "arrested", "2025-01-01")
    assert r.status_code == 422


def test_fir_lookup_is_exact_and_audited_without_the_number(
    client: TestClient, runtime: Runtime, si: Officer, world: World
) -> None:
    case = _case(client, si, world.station_a, fir_number="PS-A/2025/0077")
    r = client.get("/api/v1/cases", params={"fir": "PS-A/2025/77"}, headers=si.bearer)
    assert [c["id"] for c in r.json()["items"]] == [case["id"]]
    r = client.get("/api/v1/cases", params={"fir": "PS-A/2025/0007"}, headers=si.bearer)
    assert r.json()["items"] == []
    assert (
        client.get("/api/v1/cases", params={"fir": "PS-A 2025 77"}, headers=si.bearer).status_code
        == 422
    )
    searches = audit_events(runtime, "records.search")
    assert ['"kind":"fir"' in e.detail for e in searches] == [True, True]
    assert ['"results":1' in e.detail for e in searches] == [True, False]
    assert all("0077" not in e.detail and e.resource_type == "case" for e in searches)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/cases", {"jurisdiction_path": "/"}),
        ("/api/v1/cases", {"id": "x" * 36}),
        ("parties", {"added_by": "someone"}),
        ("parties", {"role": "witness"}),
    ],
)
def test_unknown_protected_or_invalid_fields_are_rejected(
    client: TestClient, si: Officer, world: World, path: str, body: dict[str, Any]
) -> None:
    if path == "parties":
        case = _case(client, si, world.station_a)
        person = file_person(client, si, world.station_a)
        payload = {"person_id": person["id"], "role": "accused", "role_on": "2025-03-02", **body}
        r = client.post(f"/api/v1/cases/{case['id']}/parties", json=payload, headers=si.bearer)
    else:
        r = _register(client, si, world.station_a, **body)
    assert r.status_code == 422


def test_constables_read_cases_but_do_not_register_them(
    client: TestClient, runtime: Runtime, si: Officer, world: World
) -> None:
    case = _case(client, si, world.station_a)
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    assert client.get(f"/api/v1/cases/{case['id']}", headers=constable.bearer).status_code == 200
    r = _register(client, constable, world.station_a, fir_number="PS-A/2025/0002")
    assert r.status_code == 403


def test_the_sections_reference_is_listed_by_act(client: TestClient, si: Officer) -> None:
    r = client.get("/api/v1/law-sections", params={"act": "BNS"}, headers=si.bearer)
    assert r.status_code == 200
    by_code = {s["code"]: s for s in r.json()}
    assert by_code["BNS 103"]["title"] == "Murder" and by_code["BNS 103"]["equivalent"] == "IPC 302"
    assert by_code["BNS 304"]["equivalent"] is None  # snatching: new in BNS
    assert all(s["act"] == "BNS" for s in r.json())
    r = client.get("/api/v1/law-sections", params={"act": "CrPC"}, headers=si.bearer)
    assert r.status_code == 422
