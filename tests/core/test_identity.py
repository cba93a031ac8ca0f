"""Identity: password rules, TOTP, login, sessions and their timeouts, lockout and unlock."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from kotwal.core import identity
from kotwal.core.models import AuditEventRow, AuthSession
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import World, issue_token, make_officer, new_password


def _login(client: TestClient, username: str, password: str, totp: str | None) -> object:
    body = {"username": username, "password": password}
    if totp is not None:
        body["totp"] = totp
    return client.post("/api/v1/auth/token", json=body)


def test_password_rules_length_and_breached_list() -> None:
    assert identity.password_problems("short-one") != []
    assert identity.password_problems("x" * 129) != []
    assert any("breached" in p for p in identity.password_problems("password1234"))
    assert any(
        "username" in p for p in identity.password_problems("ravi.kumar-2024!", "ravi.kumar")
    )
    # No composition rules: a long lowercase phrase is fine.
    assert identity.password_problems("monsoon evening over hussain sagar") == []
    assert identity.password_problems("!!iloveyou2024") != []
    assert identity.password_problems("పాస్‌వర్డ్ తెలుగులో కూడా సరే") == []


def test_passwords_are_argon2id_above_owasp_minimum() -> None:
    digest = identity.hash_password(new_password())
    assert digest.startswith("$argon2id$")
    params = dict(kv.split("=") for kv in digest.split("$")[3].split(","))
    assert int(params["m"]) >= 19456 and int(params["t"]) >= 2


def test_totp_accepts_one_step_either_side_once() -> None:
    secret = pyotp.random_base32()
    now = identity.totp_step()
    totp = pyotp.TOTP(secret)
    for offset in (-1, 0, 1):
        code = totp.at((now + offset) * identity.TOTP_STEP)
        assert identity.totp_match(secret, code, 0) == now + offset
    stale = totp.at((now - 2) * identity.TOTP_STEP)
    assert identity.totp_match(secret, stale, 0) is None
    current = totp.at(now * identity.TOTP_STEP)
    assert identity.totp_match(secret, current, now) is None  # already used


def test_login_with_password_and_totp_gives_a_working_token(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    officer = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    r = _login(client, officer.username, officer.password, officer.totp())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["restricted"] is False and body["expires_in"] <= 3600
    me = client.get("/api/v1/me", headers={"authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == officer.username


def test_totp_code_cannot_be_replayed(client: TestClient, runtime: Runtime, world: World) -> None:
    officer = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    code = officer.totp()
    assert _login(client, officer.username, officer.password, code).status_code == 200
    assert _login(client, officer.username, officer.password, code).status_code == 401


def test_only_hashes_of_tokens_are_stored(runtime: Runtime, world: World) -> None:
    officer = issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))
    with runtime.db.transaction(write=False) as s:
        stored = s.execute(select(AuthSession.token_hash)).scalars().all()
    assert officer.token not in stored
    assert identity.token_digest(officer.token) in stored
    assert len(officer.token) >= 22  # at least 128 bits of randomness, url-safe base64


def test_session_limits_by_kind_of_account(runtime: Runtime, world: World) -> None:
    officer = issue_token(
        runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a), kind="console"
    )
    admin = issue_token(runtime, make_officer(runtime, Role.SYSTEM_ADMIN), kind="console")
    with runtime.db.transaction(write=False) as s:
        rows = {r.account_id: r for r in s.execute(select(AuthSession)).scalars()}
    o, a = rows[officer.account_id], rows[admin.account_id]
    assert o.idle_seconds <= 3600 and (o.expires_at - o.created_at) <= timedelta(hours=24)
    assert a.idle_seconds <= 900 and (a.expires_at - a.created_at) <= timedelta(hours=12)


def test_idle_session_is_rejected(client: TestClient, runtime: Runtime, world: World) -> None:
    officer = issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))
    assert client.get("/api/v1/me", headers=officer.bearer).status_code == 200
    with runtime.db.transaction() as s:
        row = s.execute(select(AuthSession)).scalar_one()
        s.execute(
            update(AuthSession)
            .where(AuthSession.id == row.id)
            .values(last_seen_at=row.last_seen_at - timedelta(seconds=row.idle_seconds + 5))
        )
    assert client.get("/api/v1/me", headers=officer.bearer).status_code == 401


def test_disabling_an_account_ends_its_sessions_at_once(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    officer = issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))
    admin = issue_token(runtime, make_officer(runtime, Role.SYSTEM_ADMIN))
    assert client.get("/api/v1/me", headers=officer.bearer).status_code == 200
    r = client.patch(
        f"/api/v1/accounts/{officer.account_id}", json={"disabled": True}, headers=admin.bearer
    )
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/me", headers=officer.bearer).status_code == 401


def test_role_change_ends_sessions(client: TestClient, runtime: Runtime, world: World) -> None:
    officer = issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))
    admin = issue_token(runtime, make_officer(runtime, Role.SYSTEM_ADMIN))
    r = client.patch(
        f"/api/v1/accounts/{officer.account_id}",
        json={"roles": ["sub_inspector"]},
        headers=admin.bearer,
    )
    # A role granted waits for a security officer (tests/attacks/test_power_two_officers.py).
    assert r.status_code == 202 and r.json()["roles"] == ["constable"]
    assert client.get("/api/v1/me", headers=officer.bearer).status_code == 200
    security = issue_token(runtime, make_officer(runtime, Role.SECURITY_OFFICER))
    request_id = r.json()["pending"][0]["id"]
    approved = client.post(
        f"/api/v1/power-requests/{request_id}/approve", json={}, headers=security.bearer
    )
    assert approved.status_code == 200
    assert client.get("/api/v1/me", headers=officer.bearer).status_code == 401


def test_first_login_is_restricted_until_password_and_totp_are_set(
    client: TestClient, runtime: Runtime
) -> None:
    admin = make_officer(runtime, Role.SYSTEM_ADMIN, enrolled=False, initial=True)
    r = _login(client, admin.username, admin.password, None)
    assert r.status_code == 200 and r.json()["restricted"] is True
    token = {"authorization": f"Bearer {r.json()['access_token']}"}
    blocked = client.get("/api/v1/accounts", headers=token)
    assert blocked.status_code == 403
    assert blocked.json()["type"].endswith("password-change-required")
    new = new_password()
    r = client.post(
        "/api/v1/me/password",
        json={"current_password": admin.password, "new_password": new},
        headers=token,
    )
    assert r.status_code == 204
    # The password change ended that session; log in again, still restricted (no TOTP yet).
    assert client.get("/api/v1/me", headers=token).status_code == 401
    r = _login(client, admin.username, new, None)
    token = {"authorization": f"Bearer {r.json()['access_token']}"}
    assert r.json()["restricted"] is True
    secret = client.post("/api/v1/me/totp", headers=token).json()["secret"]
    code = pyotp.TOTP(secret).now()
    assert (
        client.post("/api/v1/me/totp/confirm", json={"code": code}, headers=token).status_code
        == 204
    )
    # From now on, password alone is not enough, and a full login is unrestricted.
    assert _login(client, admin.username, new, None).status_code == 401
    later = pyotp.TOTP(secret).at((identity.totp_step() + 1) * identity.TOTP_STEP)
    r = _login(client, admin.username, new, later)
    assert r.status_code == 200 and r.json()["restricted"] is False
    token = {"authorization": f"Bearer {r.json()['access_token']}"}
    assert client.get("/api/v1/accounts", headers=token).status_code == 200


def test_weak_new_password_is_refused_and_changes_nothing(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    officer = issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))
    breached = next(p for p in FREQUENCY_LISTS["passwords"] if len(p) >= 12)
    r = client.post(
        "/api/v1/me/password",
        json={"current_password": officer.password, "new_password": breached},
        headers=officer.bearer,
    )
    assert r.status_code == 422 and r.json()["type"].endswith("weak-password")
    assert client.get("/api/v1/me", headers=officer.bearer).status_code == 200


def test_unlock_is_audited_with_its_reason(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    officer = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    for _ in range(runtime.settings.lock_after_failures):
        _login(client, officer.username, "wrong-" + new_password(), "000000")
    assert _login(client, officer.username, officer.password, officer.totp()).status_code == 401
    security = issue_token(runtime, make_officer(runtime, Role.SECURITY_OFFICER))
    r = client.post(
        f"/api/v1/accounts/{officer.account_id}/unlock",
        json={"reason": "officer called the control room, identity confirmed"},
        headers=security.bearer,
    )
    assert r.status_code == 204, r.text
    assert _login(client, officer.username, officer.password, officer.totp()).status_code == 200
    with runtime.db.transaction(write=False) as s:
        event = s.execute(
            select(AuditEventRow).where(AuditEventRow.action == "account.unlock")
        ).scalar_one()
    assert event.resource_id == officer.account_id
    assert "identity confirmed" in (event.purpose or "")


def test_logins_and_failures_are_audited_without_secrets(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    officer = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    wrong = "wrong-" + new_password()
    _login(client, officer.username, wrong, "000000")
    _login(client, officer.username, officer.password, officer.totp())
    with runtime.db.transaction(write=False) as s:
        rows = (
            s.execute(select(AuditEventRow).where(AuditEventRow.action == "auth.login"))
            .scalars()
            .all()
        )
    assert [r.outcome for r in rows] == ["failure", "success"]
    dump = " ".join(f"{r.detail} {r.purpose} {r.actor_name}" for r in rows)
    assert wrong not in dump and officer.password not in dump
