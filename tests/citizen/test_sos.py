"""SOS (issue 22 item 5): one call from the citizen's app becomes a top-priority incident in
patrol's queue at the station whose area holds the place, with the nearest available units
proposed; the app's positions while it is open are sealed and shown to the control room only
then; an SOS not answered in time is passed up to the district's control room; the emergency
contacts get an SMS that names no place finer than the station's area; the citizen sees it
acknowledged."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kotwal.alerts.models import AlertOutboxMessage
from kotwal.citizen import sos as sos_service
from kotwal.citizen.models import CitizenSos, CitizenSosPosition
from kotwal.core.clock import utcnow
from kotwal.core.crypto import open_field
from kotwal.core.models import DataKey
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.citizen.helpers import API, LoggedIn, log_in
from tests.factories import Officer, World, api_officer
from tests.helpers import audit_events
from tests.patrol.helpers import LAT0, LON0, import_map, new_unit, station_a_map, tracker

#: Inside station A's area on the map.
HERE = {"lat": LAT0 + 0.004, "lon": LON0 + 0.004}
CONTACTS = [
    {"name": "Amma", "mobile": "9000011111"},
    {"name": "Ravi", "mobile": "9000022222"},
]
OFFICERS = "/api/v1/citizen/sos"


def _fix(**extra: Any) -> dict[str, Any]:
    return {"at": utcnow().isoformat(), **HERE, "accuracy": 12, **extra}


@pytest.fixture
def sho(client: TestClient, runtime: Runtime, world: World) -> Officer:
    """Station A's SHO (the control room's dispatcher here), with the station's map and one
    available unit 220 m from HERE."""
    officer = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    assert import_map(client, officer, station_a_map()).status_code == 201
    unit = new_unit(client, officer, world.station_a, "BC-A1")
    r = client.post(
        f"/api/v1/patrol/units/{unit['id']}/status",
        json={"status": "available"},
        headers=officer.bearer,
    )
    assert r.status_code == 200, r.text
    token = tracker(client, officer, unit["id"])["token"]
    where = {"id": token, "lat": HERE["lat"] + 0.002, "lon": HERE["lon"]}
    assert client.get("/api/v1/patrol/osmand", params=where).status_code == 200
    return officer


def _citizen(citizens: TestClient, runtime: Runtime, mobile: str = "9876500001") -> LoggedIn:
    me = log_in(citizens, runtime, mobile)
    body = {"name": "Asha", "emergency_contacts": CONTACTS}
    assert citizens.put(f"{API}/profile", json=body, headers=me.bearer).status_code == 200
    return me


def _raise(citizens: TestClient, me: LoggedIn) -> dict[str, Any]:
    r = citizens.post(f"{API}/sos", json=_fix(), headers=me.bearer)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_an_sos_becomes_a_top_priority_incident_with_the_nearest_unit_proposed(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = _citizen(citizens, runtime)
    raised = _raise(citizens, me)
    assert raised["status"] == "open" and raised["acknowledged"] is False
    assert raised["station"] and raised["contacts_told"] == 2

    queue = client.get("/api/v1/patrol/incidents", headers=sho.bearer).json()
    [incident] = queue
    assert (incident["source"], incident["priority"]) == ("sos", 1)
    assert incident["station_id"] == world.station_a and incident["beat_id"] is not None

    r = client.get(OFFICERS, headers=sho.bearer)
    assert r.status_code == 200, r.text
    [listed] = r.json()
    assert listed["id"] == raised["id"] and listed["incident_id"] == incident["id"]
    r = client.get(f"{OFFICERS}/{raised['id']}", headers=sho.bearer)
    assert r.status_code == 200, r.text
    seen = r.json()
    assert len(seen["proposed_units"]) == 1
    assert [c["call_sign"] for c in seen["candidates"]] == ["BC-A1"]
    [point] = seen["track"]
    assert point["lat"] == pytest.approx(HERE["lat"]) and point["accuracy"] == 12
    assert audit_events(runtime, "record.disclose", resource_type="citizen_sos")

    # Acknowledged by the control room: the citizen's app shows it.
    r = client.post(f"{OFFICERS}/{raised['id']}/acknowledge", headers=sho.bearer)
    assert r.status_code == 200 and r.json()["acknowledged_at"] is not None
    mine = citizens.get(f"{API}/sos/{raised['id']}", headers=me.bearer).json()
    assert mine["acknowledged"] is True and mine["unit_sent"] is False

    # A second tap while it is open adds the place to it; no second incident.
    again = citizens.post(f"{API}/sos", json=_fix(), headers=me.bearer)
    assert again.status_code == 200 and again.json()["id"] == raised["id"]
    assert len(client.get("/api/v1/patrol/incidents", headers=sho.bearer).json()) == 1
    assert audit_events(runtime, "citizen_sos.raised", outcome="success")


def test_the_contacts_sms_names_the_station_area_and_no_place(
    citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = _citizen(citizens, runtime)
    _raise(citizens, me)
    with UnitOfWork(runtime, write=False) as uow:
        sent = list(
            uow.session.execute(
                select(AlertOutboxMessage).where(AlertOutboxMessage.kind == "sos")
            ).scalars()
        )
        numbers = sorted(open_field(uow.session, m, "number") for m in sent)
        bodies = [open_field(uow.session, m, "body") for m in sent]
    assert numbers == ["9000011111", "9000022222"]
    for body in bodies:
        assert body.startswith("SOS: Asha has asked the police for help")
        assert f"{HERE['lat']:.3f}"[:5] not in body and "http" not in body
        assert "17.3" not in body and "78.4" not in body


def test_positions_are_shown_only_while_the_sos_is_open_and_destroyed_later(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = _citizen(citizens, runtime)
    raised = _raise(citizens, me)
    url = f"{API}/sos/{raised['id']}"
    for i in range(3):
        fix = _fix(lat=HERE["lat"] + i / 10_000)
        r = citizens.post(f"{url}/fixes", json={"fixes": [fix]}, headers=me.bearer)
        assert r.status_code == 200, r.text
    assert r.json()["positions"] == 4
    seen = client.get(f"{OFFICERS}/{raised['id']}", headers=sho.bearer).json()
    assert len(seen["track"]) == 4
    with runtime.db.transaction(write=False) as s:
        [stored] = s.execute(select(CitizenSosPosition.fix).limit(1)).scalars()
        assert b"17.36" not in bytes(stored)

    r = citizens.post(f"{url}/close", headers=me.bearer)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    seen = client.get(f"{OFFICERS}/{raised['id']}", headers=sho.bearer).json()
    assert seen["track"] is None and seen["closed_by"] == "citizen"
    r = citizens.post(f"{url}/fixes", json={"fixes": [_fix()]}, headers=me.bearer)
    assert r.status_code == 409

    with UnitOfWork(runtime, write=True) as uow:
        assert sos_service.sweep(uow, utcnow() + timedelta(hours=1))["shredded"] == 0
    with UnitOfWork(runtime, write=True) as uow:
        done = sos_service.sweep(uow, utcnow() + timedelta(hours=25))
    assert done["shredded"] == 1
    with runtime.db.transaction(write=False) as s:
        assert s.execute(select(func.count()).select_from(CitizenSosPosition)).scalar_one() == 0
        keys = s.execute(select(DataKey.id).where(DataKey.table_name == "citizen_sos")).all()
        assert keys == []
    assert audit_events(runtime, "citizen_sos.shredded")


def test_an_unanswered_sos_is_passed_up_to_the_district_control_room(
    client: TestClient,
    citizens: TestClient,
    runtime: Runtime,
    world: World,
    sho: Officer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KOTWAL_CITIZEN_SOS_ACK_SECONDS", "30")
    me = _citizen(citizens, runtime)
    raised = _raise(citizens, me)
    with UnitOfWork(runtime, write=True) as uow:
        assert sos_service.sweep(uow, utcnow())["escalated"] == 0
    with UnitOfWork(runtime, write=True) as uow:
        assert sos_service.sweep(uow, utcnow() + timedelta(seconds=31))["escalated"] == 1
    [event] = audit_events(runtime, "citizen_sos.escalated")
    detail = json.loads(event.detail)
    assert detail["to"] == world.district and detail["level"] == 1

    district = api_officer(runtime, Role.DISTRICT_CHIEF, world.district)
    [first] = client.get(OFFICERS, headers=district.bearer).json()
    assert first["id"] == raised["id"] and first["escalation_level"] == 1
    assert first["escalated_to"] == world.district and first["answered"] is False

    # Again after as long: the zone's; once acknowledged, no further.
    with UnitOfWork(runtime, write=True) as uow:
        assert sos_service.sweep(uow, utcnow() + timedelta(seconds=62))["escalated"] == 1
    r = client.post(f"{OFFICERS}/{raised['id']}/acknowledge", headers=district.bearer)
    assert r.status_code == 200
    with UnitOfWork(runtime, write=True) as uow:
        assert sos_service.sweep(uow, utcnow() + timedelta(hours=1))["escalated"] == 0
    with runtime.db.transaction(write=False) as s:
        row = s.get(CitizenSos, raised["id"])
        assert row is not None and row.escalated_to == world.zone


def test_an_sos_answered_by_sending_a_unit_shows_as_acknowledged_and_ends_with_it(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = _citizen(citizens, runtime)
    raised = _raise(citizens, me)
    seen = client.get(f"{OFFICERS}/{raised['id']}", headers=sho.bearer).json()
    incident = f"/api/v1/patrol/incidents/{seen['incident_id']}"
    unit = seen["candidates"][0]["unit_id"]
    r = client.post(f"{incident}/assign", json={"unit_id": unit}, headers=sho.bearer)
    assert r.status_code == 200, r.text
    mine = citizens.get(f"{API}/sos/{raised['id']}", headers=me.bearer).json()
    assert mine["acknowledged"] is True and mine["unit_sent"] is True
    r = client.post(f"{incident}/status", json={"status": "closed"}, headers=sho.bearer)
    assert r.status_code == 200
    r = citizens.post(
        f"{API}/sos/{raised['id']}/fixes", json={"fixes": [_fix()]}, headers=me.bearer
    )
    assert r.status_code == 409
    assert citizens.get(f"{API}/sos/{raised['id']}", headers=me.bearer).json()["status"] == (
        "closed"
    )


def test_who_may_see_and_handle_an_sos(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    raised = _raise(citizens, _citizen(citizens, runtime))
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    assert client.get(OFFICERS, headers=constable.bearer).status_code == 403
    other = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_b)
    assert client.get(OFFICERS, headers=other.bearer).json() == []
    assert client.get(f"{OFFICERS}/{raised['id']}", headers=other.bearer).status_code == 404
    r = client.post(f"{OFFICERS}/{raised['id']}/acknowledge", headers=other.bearer)
    assert r.status_code == 403
    assert audit_events(runtime, "citizen_sos.acknowledge", outcome="denied")


def test_another_citizens_token_gets_404_for_someones_sos(
    citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    victim = _citizen(citizens, runtime)
    raised = _raise(citizens, victim)
    scraper = log_in(citizens, runtime, "9876500002")
    url = f"{API}/sos/{raised['id']}"
    assert citizens.get(url, headers=scraper.bearer).status_code == 404
    r = citizens.post(f"{url}/fixes", json={"fixes": [_fix()]}, headers=scraper.bearer)
    assert r.status_code == 404
    assert citizens.post(f"{url}/close", headers=scraper.bearer).status_code == 404
    mine = citizens.get(url, headers=victim.bearer).json()
    assert mine["status"] == "open" and mine["positions"] == 1


def test_a_place_no_station_is_near_is_refused_with_112(
    citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = _citizen(citizens, runtime)
    r = citizens.post(f"{API}/sos", json=_fix(lat=LAT0 + 2, lon=LON0 + 2), headers=me.bearer)
    assert r.status_code == 422 and "112" in r.json()["detail"]
    with runtime.db.transaction(write=False) as s:
        assert s.execute(select(func.count()).select_from(CitizenSos)).scalar_one() == 0


def test_deleting_the_account_destroys_the_sos_positions_and_the_pseudonym(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = _citizen(citizens, runtime)
    raised = _raise(citizens, me)
    assert citizens.delete(f"{API}/account", headers=me.bearer).status_code == 200
    with runtime.db.transaction(write=False) as s:
        row = s.get(CitizenSos, raised["id"])
        assert row is not None and row.citizen_id is None and row.status == "closed"
        assert s.execute(select(func.count()).select_from(CitizenSosPosition)).scalar_one() == 0
    assert len(client.get("/api/v1/patrol/incidents", headers=sho.bearer).json()) == 1


def test_a_call_taker_cannot_enter_an_sos(
    client: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    body = {"source": "sos", "category": "other", "priority": 1, **HERE}
    r = client.post("/api/v1/patrol/incidents", json=body, headers=sho.bearer)
    assert r.status_code == 422 and "citizen's app" in r.text
    assert client.get("/api/v1/patrol/incidents", headers=sho.bearer).json() == []


def test_the_control_rooms_reads_of_an_sos_are_in_who_accessed_my_data(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = _citizen(citizens, runtime)
    raised = _raise(citizens, me)
    assert client.get(f"{OFFICERS}/{raised['id']}", headers=sho.bearer).status_code == 200
    entries = citizens.get(f"{API}/access-log", headers=me.bearer).json()
    assert [e["what"] for e in entries] == ["SOS"]
    assert entries[0]["officer_rank"] == "Station House Officer"
