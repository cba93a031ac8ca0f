"""``kotwal demo-otp NUMBER`` prints a number's pending login code on a demo instance and
refuses anywhere else; ``kotwal citizen shred-trips`` destroys the trips that are due."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from kotwal.citizen import service
from kotwal.citizen.models import CitizenOtp, CitizenTrip
from kotwal.cli import app
from kotwal.core.clock import utcnow
from kotwal.core.config import Settings
from kotwal.core.keys import KeyRing
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.domains import open_runtime
from tests.citizen.helpers import API, log_in, sent_code

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
