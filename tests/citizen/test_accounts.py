"""Citizens' accounts (issue 22 item 2): a login code by SMS through the alerts' locked OTP
template, kept only as a keyed hash, single use, good for minutes, a few guesses each and a cap
per number across codes; asking limited per number, device and address; device sessions the
citizen lists and revokes; no password anywhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from kotwal.citizen.models import CitizenAccount, CitizenIdentity, CitizenOtp, CitizenSession
from kotwal.core.clock import utcnow
from kotwal.core.crypto import open_field
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.citizen.helpers import API, ask, device, log_in, sent_code, spend
from tests.helpers import audit_events

MOBILE = "9876543210"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _otps(runtime: Runtime) -> list[CitizenOtp]:
    with runtime.db.transaction(write=False) as s:
        return list(s.execute(select(CitizenOtp)).scalars())


def test_a_code_goes_by_the_otp_template_and_is_kept_only_as_a_keyed_hash(
    citizens: TestClient, runtime: Runtime
) -> None:
    r = citizens.post(f"{API}/otp", json={"mobile": "+91 98765 43210", "device": device()})
    assert r.status_code == 202
    assert set(r.json()) == {"challenge", "expires_at"}
    code = sent_code(runtime, MOBILE)
    [otp] = _otps(runtime)
    stored = " ".join(str(v) for v in vars(otp).values())
    assert code not in stored and MOBILE not in stored
    assert otp.demo_code is None  # only a demo instance keeps it
    assert len(otp.code_hash) == 64
    assert (otp.expires_at - otp.created_at) <= timedelta(minutes=10)
    [event] = audit_events(runtime, "citizen_otp.requested")
    assert MOBILE not in event.detail and code not in event.detail


def test_the_first_login_makes_an_account_with_the_number_sealed_in_the_vault(
    citizens: TestClient, runtime: Runtime
) -> None:
    first = log_in(citizens, runtime, MOBILE)
    again = log_in(citizens, runtime, MOBILE, label="tablet")
    assert first.citizen_id == again.citizen_id and first.token != again.token
    assert first.token.startswith("kc_")
    with UnitOfWork(runtime, write=False) as uow:
        [account] = uow.session.execute(select(CitizenAccount)).scalars()
        assert MOBILE not in account.number_key
        [identity] = uow.session.execute(select(CitizenIdentity)).scalars()
        assert MOBILE.encode() not in bytes(identity.mobile)
        assert open_field(uow.session, identity, "mobile") == MOBILE
        sessions = list(uow.session.execute(select(CitizenSession)).scalars())
        assert {s.token_hash for s in sessions}.isdisjoint({first.token, again.token})
    assert [e.detail for e in audit_events(runtime, "citizen.login")] == [
        '{"new_account":true}',
        '{"new_account":false}',
    ]


def test_a_code_is_spent_once_and_a_replay_is_refused(
    citizens: TestClient, runtime: Runtime
) -> None:
    challenge = ask(citizens, MOBILE)
    code = sent_code(runtime, MOBILE)
    assert spend(citizens, MOBILE, challenge, code).status_code == 201
    replay = spend(citizens, MOBILE, challenge, code)
    assert replay.status_code == 401
    assert replay.headers["content-type"] == "application/problem+json"
    assert "token" not in replay.text
    [denied] = audit_events(runtime, "citizen.login", outcome="denied")
    assert denied.detail == '{"reason":"spent"}'


def test_an_expired_code_is_refused(citizens: TestClient, runtime: Runtime) -> None:
    challenge = ask(citizens, MOBILE)
    code = sent_code(runtime, MOBILE)
    with runtime.db.transaction(write=True) as s:
        s.execute(update(CitizenOtp).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert spend(citizens, MOBILE, challenge, code).status_code == 401
    [denied] = audit_events(runtime, "citizen.login", outcome="denied")
    assert denied.detail == '{"reason":"expired"}'


def test_a_code_sent_to_another_number_does_not_open_this_one(
    citizens: TestClient, runtime: Runtime
) -> None:
    challenge = ask(citizens, MOBILE)
    code = sent_code(runtime, MOBILE)
    assert spend(citizens, "9876500099", challenge, code).status_code == 401
    assert spend(citizens, MOBILE, challenge, code).status_code == 201


def test_a_new_code_supersedes_the_numbers_earlier_one(
    citizens: TestClient, runtime: Runtime
) -> None:
    old = ask(citizens, MOBILE)
    old_code = sent_code(runtime, MOBILE)
    new = ask(citizens, MOBILE)
    assert spend(citizens, MOBILE, old, old_code).status_code == 401
    assert spend(citizens, MOBILE, new, sent_code(runtime, MOBILE)).status_code == 201


def test_brute_force_burns_the_code_after_its_guesses_even_for_the_right_code(
    citizens: TestClient, runtime: Runtime
) -> None:
    challenge = ask(citizens, MOBILE)
    code = sent_code(runtime, MOBILE)
    for _ in range(5):  # KOTWAL_CITIZEN_OTP_ATTEMPTS
        assert spend(citizens, MOBILE, challenge, _wrong(code)).status_code == 401
    assert spend(citizens, MOBILE, challenge, code).status_code == 401
    [otp] = _otps(runtime)
    assert otp.attempts == 5
    reasons = [e.detail for e in audit_events(runtime, "citizen.login", outcome="denied")]
    assert reasons == ['{"reason":"wrong-code"}'] * 5 + ['{"reason":"attempts"}']


def test_brute_force_across_new_codes_is_capped_per_number(
    citizens: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOTWAL_CITIZEN_OTP_ATTEMPTS", "2")
    monkeypatch.setenv("KOTWAL_CITIZEN_OTP_FAILURES_PER_NUMBER", "3")
    first = ask(citizens, MOBILE)
    code = sent_code(runtime, MOBILE)
    for _ in range(2):
        assert spend(citizens, MOBILE, first, _wrong(code)).status_code == 401
    second = ask(citizens, MOBILE)  # a fresh code buys one more guess, not two
    code = sent_code(runtime, MOBILE)
    assert spend(citizens, MOBILE, second, _wrong(code)).status_code == 401
    refused = spend(citizens, MOBILE, second, code)
    assert refused.status_code == 429
    assert refused.json()["type"].endswith("too-many-attempts")
    assert log_in(citizens, runtime, "9876500002").token  # another number is not held back


def test_asking_for_codes_is_limited_per_number(citizens: TestClient, runtime: Runtime) -> None:
    for _ in range(3):  # KOTWAL_ALERT_OTP_PER_WINDOW, checked by alerts' send_otp
        ask(citizens, MOBILE)
    r = citizens.post(f"{API}/otp", json={"mobile": MOBILE, "device": device()})
    assert r.status_code == 429


def test_asking_for_codes_is_limited_per_device(
    citizens: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOTWAL_CITIZEN_OTP_PER_DEVICE", "2")
    phone = device()
    ask(citizens, "9876500001", phone)
    ask(citizens, "9876500002", phone)
    r = citizens.post(f"{API}/otp", json={"mobile": "9876500003", "device": phone})
    assert r.status_code == 429
    ask(citizens, "9876500003")  # another device may
    [denied] = audit_events(runtime, "citizen_otp.requested", outcome="denied")
    assert denied.detail == '{"reason":"per-device"}'


def test_asking_for_codes_is_limited_per_address(
    citizens: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOTWAL_CITIZEN_OTP_PER_ADDRESS", "2")
    ask(citizens, "9876500001")
    ask(citizens, "9876500002")
    r = citizens.post(f"{API}/otp", json={"mobile": "9876500003", "device": device()})
    assert r.status_code == 429
    assert len(_otps(runtime)) == 2


def test_bad_input_is_refused_and_changes_nothing(citizens: TestClient, runtime: Runtime) -> None:
    for body in (
        {"mobile": "12345", "device": device()},
        {"mobile": "5876543210", "device": device()},  # not a mobile number
        {"mobile": MOBILE, "device": "short"},
        {"mobile": MOBILE, "device": device(), "password": "x"},
    ):
        r = citizens.post(f"{API}/otp", json=body)
        assert r.status_code == 422, body
        assert r.headers["content-type"] == "application/problem+json"
    assert _otps(runtime) == []


def test_a_citizen_lists_their_devices_and_revokes_one(
    citizens: TestClient, runtime: Runtime
) -> None:
    phone = log_in(citizens, runtime, MOBILE, label="phone")
    tablet = log_in(citizens, runtime, MOBILE, label="tablet")
    listed = citizens.get(f"{API}/devices", headers=phone.bearer).json()
    assert [(d["device_label"], d["current"]) for d in listed] == [
        ("tablet", False),
        ("phone", True),
    ]
    r = citizens.post(f"{API}/devices/{tablet.session_id}/revoke", headers=phone.bearer)
    assert r.status_code == 204
    assert citizens.get(f"{API}/devices", headers=tablet.bearer).status_code == 401
    assert [
        d["device_label"] for d in citizens.get(f"{API}/devices", headers=phone.bearer).json()
    ] == ["phone"]
    assert len(audit_events(runtime, "citizen.session_revoked")) == 1


def test_a_citizen_cannot_see_or_revoke_another_citizens_devices(
    citizens: TestClient, runtime: Runtime
) -> None:
    mine = log_in(citizens, runtime, MOBILE)
    theirs = log_in(citizens, runtime, "9876500002")
    r = citizens.post(f"{API}/devices/{theirs.session_id}/revoke", headers=mine.bearer)
    assert r.status_code == 404
    assert citizens.get(f"{API}/devices", headers=theirs.bearer).status_code == 200
    listed = citizens.get(f"{API}/devices", headers=mine.bearer).json()
    assert [d["id"] for d in listed] == [mine.session_id]


def test_an_expired_or_idle_session_ends(citizens: TestClient, runtime: Runtime) -> None:
    me = log_in(citizens, runtime, MOBILE)
    with runtime.db.transaction(write=True) as s:
        s.execute(update(CitizenSession).values(last_seen_at=utcnow() - timedelta(days=31)))
    assert citizens.get(f"{API}/devices", headers=me.bearer).status_code == 401
    with runtime.db.transaction(write=False) as s:
        [row] = s.execute(select(CitizenSession)).scalars()
        assert row.ended_reason == "idle"
