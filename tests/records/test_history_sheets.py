"""History sheets: opened, reviewed and closed only inside one's jurisdiction, read through
the gate, every step kept as an event and audited; the station house officer sees the
overdue reviews of their own jurisdiction and no one else's."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.records.models import HistorySheetEvent
from tests.factories import Officer, World, api_officer, issue_token, make_officer
from tests.helpers import audit_events
from tests.records_helpers import file_person, seed_records_reference

PURPOSE = "complaint: burglary enquiry with station C (FIR PS-C/2026/0011)"


@pytest.fixture(autouse=True)
def categories(runtime: Runtime) -> None:
    """The reference rows a new database holds (the test database is emptied after each test)."""
    seed_records_reference(runtime.db)


@pytest.fixture
def si(runtime: Runtime, world: World) -> Officer:
    return issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))


def _open(
    client: TestClient, officer: Officer, person_id: str, station_id: str, **extra: Any
) -> Any:
    body = {
        "person_id": person_id,
        "category": "rowdy_sheet",
        "station_id": station_id,
        "legal_basis": "SP order No. 12/HS/2025 under PSO 742",
        "modus_operandi": "Threatens shopkeepers at night with a knife",
        **extra,
    }
    return client.post("/api/v1/history-sheets", json=body, headers=officer.bearer)


def _sheet(client: TestClient, officer: Officer, station_id: str, **extra: Any) -> dict[str, Any]:
    person = file_person(client, officer, station_id)
    r = _open(client, officer, person["id"], station_id, **extra)
    assert r.status_code == 201, r.text
    sheet: dict[str, Any] = r.json()
    return sheet


def test_opened_sheet_is_read_in_full_inside_the_jurisdiction(
    client: TestClient, si: Officer, world: World
) -> None:
    sheet = _sheet(client, si, world.station_a, opened_on="2025-01-15")
    assert sheet["category"] == "rowdy_sheet" and sheet["version"] == 1
    assert sheet["next_review_on"] == "2025-07-15"  # the category's six-month interval
    r = client.get(f"/api/v1/history-sheets/{sheet['id']}", headers=si.bearer)
    assert r.status_code == 200
    assert r.json()["modus_operandi"] == "Threatens shopkeepers at night with a knife"


def test_outside_the_jurisdiction_the_sheet_is_masked_until_a_purpose_is_declared(
    client: TestClient, runtime: Runtime, si: Officer, world: World
) -> None:
    sheet = _sheet(client, si, world.station_a)
    other = api_officer(runtime, Role.SUB_INSPECTOR, world.station_c)
    masked = client.get(f"/api/v1/history-sheets/{sheet['id']}", headers=other.bearer).json()
    assert masked["legal_basis"] == {"masked": True}
    assert masked["modus_operandi"] == {"masked": True}
    assert masked["person_id"] == {"masked": True}
    assert masked["station_id"] == world.station_a
    opened = client.get(
        f"/api/v1/history-sheets/{sheet['id']}", params={"purpose": PURPOSE}, headers=other.bearer
    ).json()
    assert opened["legal_basis"] == "SP order No. 12/HS/2025 under PSO 742"
    [event] = [e for e in audit_events(runtime, "record.disclose") if e.purpose == PURPOSE]
    assert event.resource_type == "history_sheet" and event.resource_id == sheet["id"]


def test_another_station_cannot_open_review_or_close_a_sheet_here(
    client: TestClient, runtime: Runtime, si: Officer, world: World
) -> None:
    sheet = _sheet(client, si, world.station_a)
    other = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_b)
    r = _open(client, other, sheet["person_id"], world.station_a, category="suspect_sheet")
    assert r.status_code == 403
    r = client.post(
        f"/api/v1/history-sheets/{sheet['id']}/review",
        params={"purpose": PURPOSE},
        json={"next_review_on": "2099-01-01"},
        headers=other.bearer,
    )
    assert r.status_code == 403
    r = client.post(
        f"/api/v1/history-sheets/{sheet['id']}/close",
        json={"reason": "reformed, order of SP"},
        headers=other.bearer,
    )
    assert r.status_code == 403
    now = client.get(f"/api/v1/history-sheets/{sheet['id']}", headers=si.bearer).json()
    assert now["version"] == 1 and now["closed_on"] is None
    denied = audit_events(runtime, "history_sheet.review") + audit_events(
        runtime, "history_sheet.close"
    )
    assert len(denied) == 2 and all(e.outcome == "denied" for e in denied)


def test_review_sets_the_next_date_keeps_the_step_and_is_audited(
    client: TestClient, runtime: Runtime, si: Officer, world: World
) -> None:
    sheet = _sheet(client, si, world.station_a, opened_on="2025-01-15")
    r = client.post(
        f"/api/v1/history-sheets/{sheet['id']}/review",
        json={"next_review_on": "2099-03-01", "note": "still active in the area"},
        headers=si.bearer,
    )
    assert r.status_code == 200, r.text
    assert r.json()["next_review_on"] == "2099-03-01" and r.json()["version"] == 2
    with runtime.db.transaction(write=False) as s:
        steps = s.execute(select(HistorySheetEvent).order_by(HistorySheetEvent.version))
        steps_seen = [
            (e.action, str(e.previous_review_on), str(e.next_review_on)) for e in steps.scalars()
        ]
    assert steps_seen == [
        ("opened", "None", "2025-07-15"),
        ("reviewed", "2025-07-15", "2099-03-01"),
    ]
    [event] = audit_events(runtime, "history_sheet.review")
    assert event.outcome == "success" and event.resource_id == sheet["id"]
    assert "still active" not in event.detail


def test_a_review_date_in_the_past_is_refused(
    client: TestClient, si: Officer, world: World
) -> None:
    sheet = _sheet(client, si, world.station_a)
    r = client.post(
        f"/api/v1/history-sheets/{sheet['id']}/review",
        json={"next_review_on": "2020-01-01"},
        headers=si.bearer,
    )
    assert r.status_code == 422


def test_closing_keeps_the_reason_and_a_closed_sheet_is_not_reviewed(
    client: TestClient, runtime: Runtime, si: Officer, world: World
) -> None:
    sheet = _sheet(client, si, world.station_a, opened_on="2025-01-15")
    r = client.post(
        f"/api/v1/history-sheets/{sheet['id']}/close",
        json={"reason": "died on 2025-05-02", "closed_on": "2025-05-10"},
        headers=si.bearer,
    )
    assert r.status_code == 200, r.text
    assert r.json()["closed_on"] == "2025-05-10"
    assert r.json()["close_reason"] == "died on 2025-05-02"
    r = client.post(
        f"/api/v1/history-sheets/{sheet['id']}/review",
        json={"next_review_on": "2099-03-01"},
        headers=si.bearer,
    )
    assert r.status_code == 409
    assert [e.outcome for e in audit_events(runtime, "history_sheet.close")] == ["success"]


def test_a_second_open_sheet_of_the_same_category_is_a_conflict(
    client: TestClient, si: Officer, world: World
) -> None:
    sheet = _sheet(client, si, world.station_a)
    assert _open(client, si, sheet["person_id"], world.station_a).status_code == 409
    other = _open(client, si, sheet["person_id"], world.station_a, category="kd")
    assert other.status_code == 201


def test_a_persons_sheets_are_listed(client: TestClient, si: Officer, world: World) -> None:
    sheet = _sheet(client, si, world.station_a)
    _open(client, si, sheet["person_id"], world.station_a, category="habitual_offender")
    r = client.get(f"/api/v1/persons/{sheet['person_id']}/history-sheets", headers=si.bearer)
    assert r.status_code == 200
    assert sorted(s["category"] for s in r.json()["items"]) == ["habitual_offender", "rowdy_sheet"]


def test_overdue_reviews_are_listed_only_for_the_officers_jurisdiction(
    client: TestClient, runtime: Runtime, si: Officer, world: World
) -> None:
    overdue_here = _sheet(
        client, si, world.station_a, opened_on="2025-01-01", next_review_on="2025-02-01"
    )
    _sheet(client, si, world.station_a, opened_on="2025-01-01", next_review_on="2099-01-01")
    closed = _sheet(
        client, si, world.station_a, opened_on="2025-01-01", next_review_on="2025-02-01"
    )
    client.post(
        f"/api/v1/history-sheets/{closed['id']}/close",
        json={"reason": "transferred to another state"},
        headers=si.bearer,
    )
    si_b = api_officer(runtime, Role.SUB_INSPECTOR, world.station_b)
    overdue_there = _sheet(
        client, si_b, world.station_b, opened_on="2025-01-01", next_review_on="2025-01-20"
    )
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    r = client.get("/api/v1/history-sheets/overdue", headers=sho.bearer)
    assert r.status_code == 200
    assert [s["id"] for s in r.json()["items"]] == [overdue_here["id"]]
    circle = api_officer(runtime, Role.CIRCLE_OFFICER, world.circle)
    r = client.get("/api/v1/history-sheets/overdue", headers=circle.bearer)
    assert [s["id"] for s in r.json()["items"]] == [overdue_there["id"], overdue_here["id"]]


def test_the_overdue_list_is_for_station_house_officers_and_above(
    client: TestClient, si: Officer
) -> None:
    assert client.get("/api/v1/history-sheets/overdue", headers=si.bearer).status_code == 403
    r = client.get("/api/v1/history-sheets/overdue", params={"limit": 1000}, headers=si.bearer)
    assert r.status_code in (403, 422)


def test_the_overdue_page_in_the_console(
    client: TestClient, runtime: Runtime, si: Officer, world: World
) -> None:
    _sheet(
        client,
        si,
        world.station_a,
        opened_on="2025-01-01",
        next_review_on="2025-02-01",
        legal_basis="SP order No. 99/HS/2025",
    )
    sho = issue_token(
        runtime,
        make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a),
        kind="console",
    )
    client.cookies.set("__Host-kotwal-session", sho.token)
    page = client.get("/history-sheets/overdue")
    assert page.status_code == 200 and "SP order No. 99/HS/2025" in page.text
    constable = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    issue_token(runtime, constable, kind="console")
    client.cookies.set("__Host-kotwal-session", constable.token)
    assert client.get("/history-sheets/overdue").status_code == 403


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("jurisdiction_path", "/"),
        ("version", 7),
        ("closed_on", "2025-01-01"),
        ("category", "no_such_kind"),
    ],
)
def test_unknown_protected_or_invalid_fields_are_rejected(
    client: TestClient, si: Officer, world: World, field: str, value: object
) -> None:
    person = file_person(client, si, world.station_a)
    assert _open(client, si, person["id"], world.station_a, **{field: value}).status_code == 422


def test_the_course_of_a_sheet_is_read_back_inside_its_jurisdiction_only(
    client: TestClient, runtime: Runtime, si: Officer, world: World
) -> None:
    sheet = _sheet(client, si, world.station_a, opened_on="2025-01-15")
    client.post(
        f"/api/v1/history-sheets/{sheet['id']}/review",
        json={"next_review_on": "2099-03-01"},
        headers=si.bearer,
    )
    client.post(
        f"/api/v1/history-sheets/{sheet['id']}/close",
        json={"reason": "reformed, order of SP"},
        headers=si.bearer,
    )
    r = client.get(f"/api/v1/history-sheets/{sheet['id']}/history", headers=si.bearer)
    assert r.status_code == 200
    assert [(e["action"], e["version"]) for e in r.json()] == [
        ("opened", 1),
        ("reviewed", 2),
        ("closed", 3),
    ]
    assert r.json()[2]["note"] == "reformed, order of SP"
    other = api_officer(runtime, Role.SUB_INSPECTOR, world.station_c)
    r = client.get(f"/api/v1/history-sheets/{sheet['id']}/history", headers=other.bearer)
    assert r.status_code == 403


def test_overdue_means_past_due_in_the_stations_time_zone_not_utc(
    client: TestClient, runtime: Runtime, si: Officer, world: World
) -> None:
    """A review due on the stations' today is not overdue yet, wherever UTC stands."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from kotwal.records.models import HistorySheet

    behind, ahead = "Pacific/Pago_Pago", "Pacific/Kiritimati"  # UTC-11 and UTC+14
    sheet = _sheet(client, si, world.station_a, opened_on="2025-01-01")
    due = datetime.now(UTC).astimezone(ZoneInfo(behind)).date()
    with UnitOfWork(runtime, write=True) as uow:
        row = uow.session.get(HistorySheet, sheet["id"])
        assert row is not None
        row.next_review_on = due
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    listed = {}
    for zone in (behind, ahead):
        runtime.settings.timezone = zone
        r = client.get("/api/v1/history-sheets/overdue", headers=sho.bearer)
        listed[zone] = [s["id"] for s in r.json()["items"]]
    assert listed[behind] == []  # due today there: not overdue
    assert listed[ahead] == [sheet["id"]]  # already tomorrow or later there
