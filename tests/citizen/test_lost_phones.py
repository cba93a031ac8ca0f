"""Lost mobile phones by IMEI (issue 22 item 7): Luhn-checked, kept sealed and found by a keyed
blind index; an officer with a phone in hand asks whether it is reported lost, through the gate
(a purpose outside the jurisdiction); the owner closes the report when it is found."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kotwal.citizen.models import CitizenLostPhone
from kotwal.core.clock import utcnow
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.citizen.helpers import API, LoggedIn, log_in
from tests.factories import Officer, World, api_officer
from tests.helpers import audit_events
from tests.patrol.helpers import LAT0, LON0, import_map, station_a_map

IMEI = "490154203237518"
OTHER_IMEI = "356938035643809"
LOOKUP = "/api/v1/citizen/lost-phones/lookup"


@pytest.fixture
def sho(client: TestClient, runtime: Runtime, world: World) -> Officer:
    officer = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    assert import_map(client, officer, station_a_map()).status_code == 201
    return officer


def _report(citizens: TestClient, me: LoggedIn, imei: str = IMEI, **extra: Any) -> Any:
    body = {"imei": imei, "make_model": "Redmi Note 12", "lost_at": utcnow().isoformat(), **extra}
    return citizens.post(f"{API}/lost-phones", json=body, headers=me.bearer)


def test_a_lost_phone_is_found_by_its_imei_by_an_officer_of_its_station(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    r = _report(citizens, me, "4901 5420 3237 518", lat=LAT0 + 0.004, lon=LON0 + 0.004)
    assert r.status_code == 201, r.text
    assert r.json()["imei"] == IMEI and r.json()["station"] and r.json()["status"] == "lost"
    assert _report(citizens, me).status_code == 409  # the same phone twice
    with runtime.db.transaction(write=False) as s:
        [row] = s.execute(select(CitizenLostPhone)).scalars()
        assert IMEI.encode() not in bytes(row.imei) and IMEI not in row.imei_key

    hc = api_officer(runtime, Role.HEAD_CONSTABLE, world.station_a)
    found = client.get(LOOKUP, params={"imei": IMEI}, headers=hc.bearer)
    assert found.status_code == 200, found.text
    assert found.json()["reported_lost"] is True
    [shown] = found.json()["reports"]
    assert shown["imei"] == IMEI and shown["make_model"] == "Redmi Note 12"
    miss = client.get(LOOKUP, params={"imei": OTHER_IMEI}, headers=hc.bearer).json()
    assert miss == {"reported_lost": False, "reports": []}
    assert len(audit_events(runtime, "citizen_lost_phone.lookup")) == 2

    # Found again by its owner: no longer reported lost.
    r = citizens.post(
        f"{API}/lost-phones/{shown['id']}/close", json={"status": "found"}, headers=me.bearer
    )
    assert r.status_code == 200 and r.json()["status"] == "found"
    again = client.get(LOOKUP, params={"imei": IMEI}, headers=hc.bearer).json()
    assert again["reported_lost"] is False and len(again["reports"]) == 1


def test_outside_the_jurisdiction_the_report_is_masked_without_a_purpose(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    assert _report(citizens, me, lat=LAT0 + 0.004, lon=LON0 + 0.004).status_code == 201
    other = api_officer(runtime, Role.SUB_INSPECTOR, world.station_b)
    masked = client.get(LOOKUP, params={"imei": IMEI}, headers=other.bearer).json()
    assert masked["reported_lost"] is True
    assert masked["reports"][0]["imei"] == {"masked": True}
    released = client.get(
        LOOKUP,
        params={"imei": IMEI, "purpose": "complaint: seized phone, GD 45/2026"},
        headers=other.bearer,
    ).json()
    assert released["reports"][0]["imei"] == IMEI
    flagged = audit_events(runtime, "record.disclose", resource_type="citizen_lost_phone")
    assert any(json.loads(e.detail)["out_of_jurisdiction"] and e.purpose for e in flagged)


def test_a_wrong_check_digit_is_refused_and_constables_cannot_look_up(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    r = _report(citizens, me, "490154203237517")
    assert r.status_code == 422 and "check digit" in r.json()["detail"]
    assert citizens.get(f"{API}/lost-phones", headers=me.bearer).json() == []
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    assert client.get(LOOKUP, params={"imei": IMEI}, headers=constable.bearer).status_code == 403


def test_another_citizens_token_gets_404_and_deletion_takes_the_reports(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    phone = _report(citizens, me).json()
    scraper = log_in(citizens, runtime, "9876500002")
    r = citizens.post(
        f"{API}/lost-phones/{phone['id']}/close", json={"status": "found"}, headers=scraper.bearer
    )
    assert r.status_code == 404
    assert citizens.get(f"{API}/lost-phones", headers=scraper.bearer).json() == []
    assert citizens.delete(f"{API}/account", headers=me.bearer).status_code == 200
    with runtime.db.transaction(write=False) as s:
        assert s.execute(select(CitizenLostPhone)).scalars().all() == []
