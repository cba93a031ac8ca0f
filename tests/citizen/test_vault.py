"""The identity vault (issue 22 item 3) and deleting an account (item 2): who a citizen is is
sealed in its own tables, everything else carries the pseudonymous citizen id; an officer
opens the vault only through the gate with a purpose, audited; a deleted account leaves no
readable trace."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kotwal.citizen.models import (
    CitizenAccount,
    CitizenEmergencyContact,
    CitizenIdentity,
    CitizenOtp,
    CitizenSession,
    CitizenTrip,
    CitizenTripPosition,
)
from kotwal.core.clock import utcnow
from kotwal.core.models import DataKey
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.citizen.helpers import API, LoggedIn, log_in
from tests.factories import World, api_officer
from tests.helpers import audit_events

MOBILE = "9876543210"
PROFILE = {
    "name": "Asha Reddy",
    "email": "asha@example.in",
    "address": "12-2-345, Mehdipatnam, Hyderabad",
    "emergency_contacts": [
        {"name": "Ravi Reddy", "mobile": "9876500011"},
        {"name": "Lata Rao", "mobile": "+91 98765 00012"},
    ],
}


def _with_profile(citizens: TestClient, runtime: Runtime) -> LoggedIn:
    me = log_in(citizens, runtime, MOBILE)
    r = citizens.put(f"{API}/profile", json=PROFILE, headers=me.bearer)
    assert r.status_code == 200, r.text
    return me


def test_a_citizen_keeps_their_identity_in_the_vault_sealed(
    citizens: TestClient, runtime: Runtime
) -> None:
    me = _with_profile(citizens, runtime)
    shown = citizens.get(f"{API}/profile", headers=me.bearer).json()
    assert shown["mobile"] == MOBILE and shown["name"] == "Asha Reddy"
    assert [c["mobile"] for c in shown["emergency_contacts"]] == ["9876500011", "9876500012"]
    with runtime.db.transaction(write=False) as s:
        raw = b" ".join(
            bytes(v)
            for row in [
                *s.execute(select(CitizenIdentity)).scalars(),
                *s.execute(select(CitizenEmergencyContact)).scalars(),
            ]
            for v in vars(row).values()
            if isinstance(v, bytes)
        )
    for secret in (b"Asha", b"Mehdipatnam", b"asha@", b"9876500011", MOBILE.encode()):
        assert secret not in raw


def test_at_most_five_emergency_contacts(citizens: TestClient, runtime: Runtime) -> None:
    me = log_in(citizens, runtime, MOBILE)
    six = [{"name": f"Contact {n}", "mobile": f"98765000{n:02d}"} for n in range(6)]
    r = citizens.put(f"{API}/profile", json={"emergency_contacts": six}, headers=me.bearer)
    assert r.status_code == 422


def test_an_officer_reads_a_citizens_identity_only_with_a_purpose_and_it_is_audited(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World
) -> None:
    me = _with_profile(citizens, runtime)
    si = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    url = f"/api/v1/citizen/citizens/{me.citizen_id}/identity"
    refused = client.get(url, headers=si.bearer)
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("purpose-required")
    r = client.get(url, params={"purpose": "complaint: FIR 112/2026 PS Abids"}, headers=si.bearer)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == "Asha Reddy" and body["mobile"] == MOBILE
    assert [c["name"] for c in body["emergency_contacts"]] == ["Ravi Reddy", "Lata Rao"]
    reads = audit_events(runtime, "record.disclose", resource_type="citizen_identity")
    assert [(e.outcome, e.purpose) for e in reads] == [
        ("denied", None),
        ("success", "complaint: FIR 112/2026 PS Abids"),
    ]
    assert reads[1].actor_name == si.username
    assert '"out_of_jurisdiction":true' in reads[1].detail


def test_a_constable_may_not_open_the_vault(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World
) -> None:
    me = _with_profile(citizens, runtime)
    pc = api_officer(runtime, Role.CONSTABLE, world.station_a)
    r = client.get(
        f"/api/v1/citizen/citizens/{me.citizen_id}/identity",
        params={"purpose": "complaint: FIR 112/2026 PS Abids"},
        headers=pc.bearer,
    )
    assert r.status_code == 403
    assert "Asha" not in r.text


def test_trips_and_sessions_carry_only_the_pseudonymous_id(
    citizens: TestClient, runtime: Runtime
) -> None:
    me = _with_profile(citizens, runtime)
    trip = citizens.post(f"{API}/trips", json=_trip(), headers=me.bearer).json()
    with runtime.db.transaction(write=False) as s:
        row = s.get(CitizenTrip, trip["id"])
        assert row is not None and row.citizen_id == me.citizen_id
        for table in (CitizenTrip, CitizenSession, CitizenAccount):
            for column in table.__table__.columns:
                assert column.key not in {"name", "mobile", "email", "address"}, column


def _trip() -> dict[str, str]:
    arrival = (utcnow() + timedelta(hours=1)).isoformat()
    return {
        "vehicle_number": "TS 09 UB 1234",
        "origin": "Secunderabad station",
        "destination": "Gachibowli",
        "expected_arrival": arrival,
    }


def test_deleting_an_account_leaves_nothing_readable(
    citizens: TestClient, runtime: Runtime
) -> None:
    me = _with_profile(citizens, runtime)
    trip = citizens.post(f"{API}/trips", json=_trip(), headers=me.bearer).json()
    fix = {"at": utcnow().isoformat(), "lat": 17.44, "lon": 78.5}
    citizens.post(f"{API}/trips/{trip['id']}/fixes", json={"fixes": [fix]}, headers=me.bearer)
    other = log_in(citizens, runtime, "9876500002")
    r = citizens.delete(f"{API}/account", headers=me.bearer)
    assert r.status_code == 200
    assert r.json() == {"deleted": True, "trips": 1, "sessions": 1}
    assert citizens.get(f"{API}/profile", headers=me.bearer).status_code == 401
    with runtime.db.transaction(write=False) as s:
        assert s.get(CitizenAccount, me.citizen_id) is None
        assert s.execute(select(func.count()).select_from(CitizenIdentity)).scalar() == 1
        assert s.execute(select(func.count()).select_from(CitizenEmergencyContact)).scalar() == 0
        assert s.execute(select(func.count()).select_from(CitizenTripPosition)).scalar() == 0
        sessions = s.execute(select(CitizenSession.citizen_id)).scalars().all()
        assert sessions == [other.citizen_id]
        assert s.execute(select(func.count()).select_from(CitizenOtp)).scalar() == 1
        keys = {
            t
            for (t,) in s.execute(
                select(DataKey.table_name).where(DataKey.table_name.like("citizen%"))
            )
        }
        assert keys == {"citizen_identities"}  # the other citizen's vault row only
        trip_row = s.get(CitizenTrip, trip["id"])
        assert trip_row is not None and trip_row.citizen_id is None
        assert trip_row.status == "shredded"
    [event] = audit_events(runtime, "citizen.account_deleted")
    assert event.resource_id == me.citizen_id
    assert citizens.get(f"{API}/profile", headers=other.bearer).status_code == 200


def test_who_accessed_my_data_lists_an_officers_read(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World
) -> None:
    me = _with_profile(citizens, runtime)
    assert citizens.get(f"{API}/access-log", headers=me.bearer).json() == []
    si = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    url = f"/api/v1/citizen/citizens/{me.citizen_id}/identity"
    client.get(url, headers=si.bearer)  # refused without a purpose: nothing was read
    client.get(url, params={"purpose": "complaint: FIR 112/2026 PS Abids"}, headers=si.bearer)
    r = citizens.get(f"{API}/access-log", headers=me.bearer)
    assert r.status_code == 200
    # One read of the identity, and of each emergency contact that came with it.
    [entry] = [e for e in r.json() if e["what"] == "identity"]
    contacts = [e for e in r.json() if e["what"] == "emergency contact"]
    assert contacts and {e["purpose"] for e in contacts} == {"complaint: FIR 112/2026 PS Abids"}
    assert entry["officer_rank"] == "Sub-Inspector"
    assert entry["purpose"] == "complaint: FIR 112/2026 PS Abids" and entry["what"] == "identity"
    assert si.username not in r.text  # the log keeps the name for an investigation
    [event] = audit_events(
        runtime, "record.disclose", outcome="success", resource_type="citizen_identity"
    )
    assert entry["reference"] == event.seq
    other = log_in(citizens, runtime, "9876500002")
    assert citizens.get(f"{API}/access-log", headers=other.bearer).json() == []
    assert len(audit_events(runtime, "citizen.access_log_read")) == 3
