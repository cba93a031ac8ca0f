"""Check-ins and coverage: a point's code is signed for one day and refused on any other (a
replayed code), forged or altered codes are refused, a check-in counts only where the unit's own
tracker places it within the point's radius; a shift's coverage is the share of its beat's points
visited and of its area passed through; a beat nobody covered for KOTWAL_PATROL_UNCOVERED_HOURS
raises one alert to its station, which closes once a unit is back."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from kotwal.core.clock import station_today
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.patrol import coverage
from kotwal.patrol.models import PatrolArea, PatrolBeatAlert, PatrolCheckin
from tests.factories import FACTORY, Officer, World, api_officer, make_officer
from tests.helpers import audit_events, console_login
from tests.officers.helpers import enter_officer
from tests.patrol.helpers import KM, LAT0, LON0, import_map, new_unit, station_a_map, tracker

#: The bank of station A's first beat (see station_a_map), radius 40 m.
BANK = {"lat": LAT0 + 0.005, "lon": LON0 + 0.005}


@pytest.fixture
def sho(client: TestClient, runtime: Runtime, world: World) -> Officer:
    officer = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    assert import_map(client, officer, station_a_map()).status_code == 201
    return officer


def _beats(client: TestClient, officer: Officer) -> dict[str, str]:
    areas = client.get("/api/v1/patrol/areas?kind=beat", headers=officer.bearer).json()
    return {a["code"]: a["id"] for a in areas}


def _bank(client: TestClient, officer: Officer) -> dict[str, Any]:
    points = client.get("/api/v1/patrol/points", headers=officer.bearer).json()
    return dict(points[0])


class Patrol:
    """A unit of station A on a shift in beat B01 that began ten minutes ago, with a tracker."""

    def __init__(self, client: TestClient, sho: Officer, world: World) -> None:
        self.client = client
        self.unit = new_unit(client, sho, world.station_a, "BC-CHK")
        crew = enter_officer(client, sho, world.station_a, rank="constable")["id"]
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
        r = client.post(
            f"/api/v1/patrol/units/{self.unit['id']}/shifts",
            json={
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=8)).isoformat(),
                "beat_id": _beats(client, sho)["PS-A-B01"],
                "crew": [{"officer_id": crew, "duty": "crew"}],
            },
            headers=sho.bearer,
        )
        assert r.status_code == 201, r.text
        self.shift = r.json()
        self.token = tracker(client, sho, self.unit["id"])["token"]

    def ping(self, lat: float, lon: float, ago_s: float | None = None) -> None:
        params: dict[str, Any] = {"id": self.token, "lat": lat, "lon": lon}
        if ago_s is not None:
            params["timestamp"] = int((time.time() - ago_s) * 1000)
        assert self.client.get("/api/v1/patrol/osmand", params=params).status_code == 200

    def check_in(self, officer: Officer, code: str) -> Any:
        return self.client.post(
            "/api/v1/patrol/checkins",
            json={"code": code, "unit_id": self.unit["id"]},
            headers=officer.bearer,
        )


@pytest.fixture
def patrol(client: TestClient, sho: Officer, world: World) -> Patrol:
    return Patrol(client, sho, world)


def _checkins(runtime: Runtime) -> int:
    with runtime.db.transaction(write=False) as session:
        return int(session.execute(select(func.count()).select_from(PatrolCheckin)).scalar_one())


def test_todays_code_checks_a_unit_in_where_its_tracker_places_it(
    client: TestClient, runtime: Runtime, world: World, sho: Officer, patrol: Patrol
) -> None:
    bank = _bank(client, sho)
    r = client.get(f"/api/v1/patrol/points/{bank['id']}/code", headers=sho.bearer)
    assert r.status_code == 200, r.text
    code = r.json()["code"]
    assert r.json()["day"] == station_today(runtime).isoformat()
    assert audit_events(runtime, "patrol.checkin.code", resource_id=bank["id"])
    patrol.ping(BANK["lat"] + 0.0002, BANK["lon"])  # ~22 m north of the bank
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    r = patrol.check_in(constable, code)
    assert r.status_code == 201, r.text
    done = r.json()
    assert done["point_id"] == bank["id"] and done["shift_id"] == patrol.shift["id"]
    assert 15 < done["distance_m"] < 30
    assert audit_events(runtime, "patrol.checkin", outcome="success")
    # Constables check in; they do not issue codes.
    r = client.get(f"/api/v1/patrol/points/{bank['id']}/code", headers=constable.bearer)
    assert r.status_code == 403


def test_a_replayed_qr_code_is_refused(
    client: TestClient, runtime: Runtime, world: World, sho: Officer, patrol: Patrol
) -> None:
    bank = _bank(client, sho)
    patrol.ping(BANK["lat"], BANK["lon"])
    yesterday = station_today(runtime) - timedelta(days=1)
    # Yesterday's code, as it was printed (or photographed) at the point yesterday.
    old = coverage.make_code(runtime, bank["id"], yesterday)
    r = patrol.check_in(sho, old)
    assert r.status_code == 422
    assert r.json()["type"].endswith("checkin-refused") and r.json()["reason"] == "other-day"
    # Tomorrow's code, issued today for printing, does not work today either.
    tomorrow = (station_today(runtime) + timedelta(days=1)).isoformat()
    r = client.get(f"/api/v1/patrol/points/{bank['id']}/code?day={tomorrow}", headers=sho.bearer)
    assert patrol.check_in(sho, r.json()["code"]).json()["reason"] == "other-day"
    # A past day's code is not issued at all.
    r = client.get(
        f"/api/v1/patrol/points/{bank['id']}/code?day={yesterday.isoformat()}", headers=sho.bearer
    )
    assert r.status_code == 422
    assert _checkins(runtime) == 0
    denied = audit_events(runtime, "patrol.checkin", outcome="denied")
    assert [json.loads(e.detail)["reason"] for e in denied] == ["other-day", "other-day"]


def test_an_altered_or_made_up_code_is_refused(
    client: TestClient, runtime: Runtime, sho: Officer, patrol: Patrol
) -> None:
    bank = _bank(client, sho)
    patrol.ping(BANK["lat"], BANK["lon"])
    code = client.get(f"/api/v1/patrol/points/{bank['id']}/code", headers=sho.bearer).json()["code"]
    prefix, point_id, day, mac = code.split(".")
    flipped = mac[:-1] + ("0" if mac[-1] != "0" else "1")
    yesterday = (station_today(runtime) - timedelta(days=1)).isoformat()
    for forged in (
        f"{prefix}.{point_id}.{day}.{flipped}",  # one digit of the signature changed
        f"{prefix}.{point_id}.{yesterday}.{mac}",  # today's signature on another day
        f"{prefix}.{'0' * 8}-0000-0000-0000-{'0' * 12}.{day}.{mac}",  # on another point
    ):
        r = patrol.check_in(sho, forged)
        assert r.status_code == 422 and r.json()["reason"] == "forged", forged
    for junk in ("hello", code + "x", "KPC1...", ""):
        r = patrol.check_in(sho, junk)
        assert r.status_code == 422, junk
    assert _checkins(runtime) == 0


def test_a_check_in_counts_only_where_the_units_own_tracker_is(
    client: TestClient, runtime: Runtime, world: World, sho: Officer, patrol: Patrol
) -> None:
    bank = _bank(client, sho)
    code = client.get(f"/api/v1/patrol/points/{bank['id']}/code", headers=sho.bearer).json()["code"]
    r = patrol.check_in(sho, code)  # no position yet
    assert r.json()["reason"] == "no-fix"
    patrol.ping(BANK["lat"], BANK["lon"], ago_s=600)  # at the bank, ten minutes ago
    assert patrol.check_in(sho, code).json()["reason"] == "no-fix"
    patrol.ping(BANK["lat"] + 0.002, BANK["lon"])  # ~220 m away, now
    r = patrol.check_in(sho, code)
    assert r.json()["reason"] == "outside-radius" and "40 m" in r.json()["detail"]
    assert _checkins(runtime) == 0
    # An officer of another station cannot check station A's unit in.
    other = api_officer(runtime, Role.SUB_INSPECTOR, world.station_b)
    assert patrol.check_in(other, code).status_code == 403


def test_a_shifts_coverage_is_points_visited_and_area_passed_through(
    client: TestClient, runtime: Runtime, world: World, sho: Officer, patrol: Patrol
) -> None:
    bank = _bank(client, sho)
    # Across the beat from west to east, along its middle, 50 m apart... then out of it.
    for i, step in enumerate(range(1, 20)):
        patrol.ping(LAT0 + 0.0052, LON0 + step * 0.0005, ago_s=300 - i * 10)
    patrol.ping(LAT0 + 0.0052, LON0 + 3 * KM, ago_s=90)  # far outside: not joined, not counted
    url = f"/api/v1/patrol/shifts/{patrol.shift['id']}/coverage"
    cover = client.get(url, headers=sho.bearer).json()
    assert cover["beat_id"] == _beats(client, sho)["PS-A-B01"]
    assert cover["points"] == 1 and cover["points_visited"] == 0 and cover["points_share"] == 0
    assert cover["fixes"] == 20
    # The beat is ~1.06 x 1.11 km: 11 x 11 cells of 100 m; the line crosses one row of them.
    assert 100 <= cover["cells"] <= 130
    assert 9 <= cover["cells_passed"] <= 12
    assert cover["area_share"] == round(cover["cells_passed"] / cover["cells"], 3)
    patrol.ping(BANK["lat"], BANK["lon"])
    code = client.get(f"/api/v1/patrol/points/{bank['id']}/code", headers=sho.bearer).json()["code"]
    assert patrol.check_in(sho, code).status_code == 201
    cover = client.get(url, headers=sho.bearer).json()
    assert cover["points_visited"] == 1 and cover["points_share"] == 1.0
    # Coverage is for those who run the shifts: not a constable.
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    assert client.get(url, headers=constable.bearer).status_code == 403
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    r = client.get(
        "/api/v1/patrol/coverage", params={"since": since, "until": until}, headers=sho.bearer
    )
    assert [c["shift_id"] for c in r.json()] == [patrol.shift["id"]]
    outsider = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_b)
    assert client.get(url, headers=outsider.bearer).status_code == 404


def _drawn_hours_ago(runtime: Runtime, hours: float) -> None:
    """The map was imported that long ago (its beats are old enough to be judged)."""
    with runtime.db.transaction(write=True) as session:
        session.execute(
            update(PatrolArea).values(created_at=datetime.now(UTC) - timedelta(hours=hours))
        )


def _alerts(runtime: Runtime) -> list[PatrolBeatAlert]:
    with runtime.db.transaction(write=False) as session:
        return list(session.execute(select(PatrolBeatAlert)).scalars())


def test_a_beat_left_uncovered_raises_one_alert_to_its_station(
    client: TestClient, runtime: Runtime, world: World, sho: Officer, patrol: Patrol
) -> None:
    operator = FACTORY
    # Beats drawn a moment ago are not judged yet.
    assert coverage.check_uncovered(runtime, operator).raised == 0
    _drawn_hours_ago(runtime, 5)
    run = coverage.check_uncovered(runtime, operator)
    assert run.beats == 2 and run.raised == 2
    assert coverage.check_uncovered(runtime, operator).raised == 0  # one open alert per beat
    beats = _beats(client, sho)
    listed = client.get("/api/v1/patrol/coverage/alerts", headers=sho.bearer).json()
    assert sorted(a["beat_code"] for a in listed) == ["PS-A-B01", "PS-A-B02"]
    assert all(a["hours"] == 4 and a["last_covered_at"] is None for a in listed)
    # The unit drives through the first beat: its alert closes at the next run.
    patrol.ping(LAT0 + 0.003, LON0 + 0.003)
    run = coverage.check_uncovered(runtime, operator)
    assert run.positions == 1 and run.closed == 1 and run.raised == 0
    listed = client.get("/api/v1/patrol/coverage/alerts", headers=sho.bearer).json()
    assert [a["beat_id"] for a in listed] == [beats["PS-A-B02"]]
    assert audit_events(runtime, "patrol.coverage.check", outcome="success")
    # Station command closes one by hand; a constable does not see them, another station
    # sees none of them.
    r = client.post(f"/api/v1/patrol/coverage/alerts/{listed[0]['id']}/close", headers=sho.bearer)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert r.json()["closed_by"] == sho.username
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    assert client.get("/api/v1/patrol/coverage/alerts", headers=constable.bearer).status_code == 403
    other = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_b)
    everything = "/api/v1/patrol/coverage/alerts?open_only=false"
    assert client.get(everything, headers=other.bearer).json() == []
    assert len(client.get(everything, headers=sho.bearer).json()) == 2
    assert {a.status for a in _alerts(runtime)} == {"closed"}


def test_the_days_codes_print_as_a_sheet_of_qr_codes(
    client: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    bank = _bank(client, sho)
    code = client.get(f"/api/v1/patrol/points/{bank['id']}/code", headers=sho.bearer).json()["code"]
    officer = make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    console_login(client, officer)
    page = client.get("/patrol/codes")
    assert page.status_code == 200
    assert code in page.text and 'src="data:image/svg+xml' in page.text
    assert audit_events(runtime, "patrol.checkin.code", actor_id=officer.account_id)
    constable = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    client.cookies.clear()
    console_login(client, constable)
    assert client.get("/patrol/codes").status_code == 403
