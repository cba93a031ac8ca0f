"""The citizens' surface from the attacker's side (issue 22): a citizen's own token used to
scrape others (object-level authorization, API1), a forged or altered token (API2), mass
assignment of someone else's id (API3), and an officer's token turned on the citizens' routes.
Whatever a scraping citizen tries, they get nothing of anyone else's."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from kotwal.core.clock import utcnow
from kotwal.core.config import Settings
from kotwal.core.policy import Jurisdiction, Role
from kotwal.core.runtime import Runtime
from kotwal.web.app import CITIZEN, create_app
from tests.alerts.helpers import register_demo_registry
from tests.citizen.helpers import API, LoggedIn, log_in
from tests.factories import World, api_officer
from tests.patrol.helpers import LAT0, LON0, import_map, station_a_map

VICTIM, SCRAPER = "9876500001", "9876500002"


@pytest.fixture
def citizens(settings: Settings, runtime: Runtime, world: World) -> Iterator[TestClient]:
    """The citizens' surface, with the OTP template that sends their codes registered."""
    with runtime.db.transaction(write=False) as s:
        state = s.get(Jurisdiction, world.state)
        assert state is not None
        path = state.path
    register_demo_registry(runtime, path)
    app = create_app(settings, runtime, surface=CITIZEN)
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def _trip(citizens: TestClient, who: LoggedIn) -> str:
    body = {
        "vehicle_number": "TS09UB1234",
        "origin": "Ameerpet",
        "destination": "Kukatpally",
        "expected_arrival": (utcnow() + timedelta(hours=1)).isoformat(),
    }
    r = citizens.post(f"{API}/trips", json=body, headers=who.bearer)
    assert r.status_code == 201
    trip_id = str(r.json()["id"])
    fix = {"at": utcnow().isoformat(), "lat": 17.4375, "lon": 78.4482}
    citizens.post(f"{API}/trips/{trip_id}/fixes", json={"fixes": [fix]}, headers=who.bearer)
    return trip_id


def test_a_scraping_citizen_gets_nothing_of_anyone_elses(
    citizens: TestClient, runtime: Runtime
) -> None:
    victim = log_in(citizens, runtime, VICTIM)
    citizens.put(f"{API}/profile", json={"name": "Victim Name"}, headers=victim.bearer)
    trip_id = _trip(citizens, victim)
    scraper = log_in(citizens, runtime, SCRAPER)
    guesses = [trip_id, victim.citizen_id, victim.session_id, str(uuid.uuid4())]
    for guess in guesses:
        answers = [
            citizens.get(f"{API}/trips/{guess}", headers=scraper.bearer),
            citizens.post(f"{API}/trips/{guess}/end", headers=scraper.bearer),
            citizens.post(
                f"{API}/trips/{guess}/fixes",
                json={"fixes": [{"at": utcnow().isoformat(), "lat": 0, "lon": 0}]},
                headers=scraper.bearer,
            ),
            citizens.post(f"{API}/devices/{guess}/revoke", headers=scraper.bearer),
        ]
        for r in answers:
            assert r.status_code == 404, (guess, r.request.url, r.status_code)
            assert "Victim" not in r.text and "Ameerpet" not in r.text and VICTIM not in r.text
    mine = citizens.get(f"{API}/profile", headers=scraper.bearer).json()
    assert mine["mobile"] == SCRAPER and mine["name"] is None
    assert [d["id"] for d in citizens.get(f"{API}/devices", headers=scraper.bearer).json()] == [
        scraper.session_id
    ]
    # The victim's trip is untouched: still active, its one position still there.
    shown = citizens.get(f"{API}/trips/{trip_id}", headers=victim.bearer).json()
    assert (shown["status"], shown["positions"]) == ("active", 1)


def test_someone_elses_id_cannot_be_slipped_into_a_body(
    citizens: TestClient, runtime: Runtime
) -> None:
    victim = log_in(citizens, runtime, VICTIM)
    scraper = log_in(citizens, runtime, SCRAPER)
    sneaky_profile = {"name": "x", "citizen_id": victim.citizen_id}
    assert (
        citizens.put(f"{API}/profile", json=sneaky_profile, headers=scraper.bearer).status_code
        == 422
    )
    sneaky_trip = {
        "vehicle_number": "TS09UB1234",
        "origin": "a",
        "destination": "b",
        "expected_arrival": (utcnow() + timedelta(hours=1)).isoformat(),
        "citizen_id": victim.citizen_id,
    }
    assert (
        citizens.post(f"{API}/trips", json=sneaky_trip, headers=scraper.bearer).status_code == 422
    )


def test_an_altered_or_forged_token_opens_nothing(citizens: TestClient, runtime: Runtime) -> None:
    me = log_in(citizens, runtime, VICTIM)
    flipped = me.token[:-1] + ("A" if me.token[-1] != "A" else "B")
    for token in (flipped, "kc_" + "A" * 43, me.token[3:], me.token + "x", "kc_"):
        r = citizens.get(f"{API}/profile", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, token
        assert VICTIM not in r.text


def test_an_officers_token_dressed_as_a_citizens_opens_nothing(
    citizens: TestClient, runtime: Runtime, world: World
) -> None:
    log_in(citizens, runtime, VICTIM)
    officer = api_officer(runtime, Role.STATE_HQ, world.state)
    token = str(officer.token)
    for dressed in (token, "kc_" + token):
        r = citizens.get(f"{API}/devices", headers={"Authorization": f"Bearer {dressed}"})
        assert r.status_code == 401


def test_a_scraping_citizen_gets_nothing_of_anyones_sos(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    assert import_map(client, sho, station_a_map()).status_code == 201
    victim = log_in(citizens, runtime, VICTIM)
    here = {"at": utcnow().isoformat(), "lat": LAT0 + 0.004, "lon": LON0 + 0.004}
    r = citizens.post(f"{API}/sos", json=here, headers=victim.bearer)
    assert r.status_code == 201, r.text
    sos_id = r.json()["id"]
    scraper = log_in(citizens, runtime, SCRAPER)
    for guess in (sos_id, victim.citizen_id, str(uuid.uuid4())):
        answers = [
            citizens.get(f"{API}/sos/{guess}", headers=scraper.bearer),
            citizens.post(
                f"{API}/sos/{guess}/fixes", json={"fixes": [here]}, headers=scraper.bearer
            ),
            citizens.post(f"{API}/sos/{guess}/close", headers=scraper.bearer),
        ]
        for answer in answers:
            assert answer.status_code == 404, (guess, answer.request.url, answer.status_code)
            assert f"{LAT0 + 0.004:.4f}" not in answer.text
    # The scraper's own SOS is theirs: raising one does not join the victim's.
    r = citizens.post(f"{API}/sos", json=here, headers=scraper.bearer)
    assert r.status_code == 201 and r.json()["id"] != sos_id
    shown = citizens.get(f"{API}/sos/{sos_id}", headers=victim.bearer).json()
    assert (shown["status"], shown["positions"]) == ("open", 1)
