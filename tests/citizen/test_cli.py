"""``kotwal demo-otp NUMBER`` prints a number's pending login code on a demo instance and
refuses anywhere else; ``kotwal citizen shred-trips`` destroys the trips that are due;
``kotwal citizen sos-sweep`` escalates an SOS left unanswered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from kotwal.citizen import service
from kotwal.citizen.models import CitizenOtp, CitizenSos, CitizenTrip
from kotwal.cli import app
from kotwal.core.clock import utcnow
from kotwal.core.config import Settings
from kotwal.core.keys import KeyRing
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.domains import open_runtime
from tests.citizen.helpers import API, log_in, sent_code
from tests.factories import World, api_officer
from tests.patrol.helpers import LAT0, LON0, import_map, station_a_map

runner = CliRunner()
MOBILE = "9876543210"


def test_demo_otp_refuses_outside_a_demo(env: Settings, templates: dict[str, str]) -> None:
    result = runner.invoke(app, ["demo-otp", MOBILE])
    assert result.exit_code == 2
    assert "demo instance only" in result.output


def test_demo_otp_prints_the_pending_code_on_a_demo(
    env: Settings,
    keyring: KeyRing,
    templates: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KOTWAL_DEMO", "true")
    demo = open_runtime(env.model_copy(update={"demo": True}), keyring=keyring)
    try:
        with UnitOfWork(demo, write=True) as uow:
            service.request_code(uow, MOBILE, "demo-device-1", "127.0.0.1")
        code = sent_code(demo, MOBILE)
    finally:
        demo.close()
    result = runner.invoke(app, ["demo-otp", "+91 98765 43210"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == code
    other = runner.invoke(app, ["demo-otp", "9876500002"])
    assert other.exit_code == 2 and "no pending code" in other.output


def test_shred_trips_destroys_what_is_due_and_says_how_many(
    env: Settings, runtime: Runtime, citizens: TestClient
) -> None:
    me = log_in(citizens, runtime)
    arrival = (utcnow() + timedelta(minutes=30)).isoformat()
    body = {
        "vehicle_number": "TS09UB1",
        "origin": "A",
        "destination": "B",
        "expected_arrival": arrival,
    }
    trip = citizens.post(f"{API}/trips", json=body, headers=me.bearer).json()
    with runtime.db.transaction(write=True) as s:
        s.execute(update(CitizenTrip).values(shred_after=utcnow() - timedelta(seconds=1)))
    result = runner.invoke(app, ["citizen", "shred-trips"])
    assert result.exit_code == 0, result.output
    assert "shredded 1 trip(s) past their grace period; 0 again" in result.output
    with runtime.db.transaction(write=False) as s:
        row = s.get(CitizenTrip, trip["id"])
        assert row is not None and row.status == "shredded"
    again = runner.invoke(app, ["citizen", "shred-trips"])
    assert "shredded 0 trip(s)" in again.output


def test_shred_trips_deletes_login_codes_after_a_day(
    env: Settings, runtime: Runtime, citizens: TestClient
) -> None:
    log_in(citizens, runtime)
    log_in(citizens, runtime, "9876500002")
    with runtime.db.transaction(write=True) as s:
        first = s.execute(select(CitizenOtp.id).limit(1)).scalar_one()
        s.execute(
            update(CitizenOtp)
            .where(CitizenOtp.id == first)
            .values(created_at=utcnow() - timedelta(days=1, minutes=1))
        )
    result = runner.invoke(app, ["citizen", "shred-trips"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 old login code(s) and 0 ended session(s)" in result.output
    with runtime.db.transaction(write=False) as s:
        left = s.execute(select(CitizenOtp.id)).scalars().all()
    assert len(left) == 1 and first not in left


def test_sos_sweep_escalates_an_unanswered_sos_and_says_so(
    env: Settings, runtime: Runtime, citizens: TestClient, client: TestClient, world: World
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    assert import_map(client, sho, station_a_map()).status_code == 201
    me = log_in(citizens, runtime)
    here = {"at": utcnow().isoformat(), "lat": LAT0 + 0.004, "lon": LON0 + 0.004}
    raised = citizens.post(f"{API}/sos", json=here, headers=me.bearer).json()
    result = runner.invoke(app, ["citizen", "sos-sweep"])
    assert result.exit_code == 0, result.output
    assert "escalated 0 SOS" in result.output
    with runtime.db.transaction(write=True) as s:
        s.execute(update(CitizenSos).values(raised_at=utcnow() - timedelta(minutes=2)))
    result = runner.invoke(app, ["citizen", "sos-sweep"])
    assert result.exit_code == 0, result.output
    assert "escalated 1 SOS, closed 0" in result.output
    with runtime.db.transaction(write=False) as s:
        row = s.get(CitizenSos, raised["id"])
        assert row is not None and (row.escalation_level, row.escalated_to) == (1, world.district)
