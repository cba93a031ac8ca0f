"""OWASP API2:2023 Broken Authentication, from the attacker's side: brute force, stolen
passwords, fixation, CSRF, stolen, expired or forged tokens. Each test attacks the live app
over HTTP (the races are in test_login_races.py)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from kotwal.core.models import Account, AuthSession, LoginThrottle
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import World, issue_token, make_officer, new_password
from tests.helpers import console_login


def _token(client: TestClient, username: str, password: str, totp: str | None) -> object:
    body = {"username": username, "password": password}
    if totp is not None:
        body["totp"] = totp
    return client.post("/api/v1/auth/token", json=body)


def test_brute_force_locks_the_account_even_for_the_right_password(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    victim = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    for guess in range(runtime.settings.lock_after_failures):
        r = _token(client, victim.username, f"guess-number-{guess:04d}", "123456")
        assert r.status_code == 401
    assert _token(client, victim.username, victim.password, victim.totp()).status_code == 401


def test_brute_force_ends_in_a_hard_lock_that_needs_an_unlock(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    victim = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    for guess in range(runtime.settings.hard_lock_after_failures):
        _token(client, victim.username, f"guess-number-{guess:04d}", "123456")
        # Wait out each temporary lock and the address's throttle, as a patient attacker would.
        with runtime.db.transaction() as s:
            s.execute(update(Account).values(locked_until=None))
            s.execute(delete(LoginThrottle))
    with runtime.db.transaction(write=False) as s:
        account = s.get(Account, victim.account_id)
        assert account is not None and account.hard_locked
    assert _token(client, victim.username, victim.password, victim.totp()).status_code == 401


def test_password_spraying_from_one_address_gets_429(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    limit = runtime.settings.address_failures_per_window
    for n in range(limit):
        assert _token(client, f"sprayed{n:03d}", "Summer2026!Summer", None).status_code == 401
    r = _token(client, "sprayed-next", "Summer2026!Summer", None)
    assert r.status_code == 429
    assert r.json()["type"].endswith("too-many-attempts")
    assert int(r.headers["retry-after"]) > 0


def test_a_guesser_behind_the_stations_address_does_not_lock_the_station_out(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    # Issue 18, finding 7: one address's failures locked out everyone at that address (a
    # station's network shares one) for 15 minutes.
    victim = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    colleague = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    limit = runtime.settings.address_account_failures_per_window
    for n in range(limit):
        assert _token(client, victim.username, f"guess-{n}-summer-rain", None).status_code == 401
    guessed = _token(client, victim.username, "guess-next-summer-rain", None)
    assert guessed.status_code == 429 and int(guessed.headers["retry-after"]) > 0
    # The colleague at the same address logs in; the guesser's typed username is throttled.
    r = _token(client, colleague.username, colleague.password, colleague.totp())
    assert r.status_code == 200, r.text


def test_a_long_but_trivial_password_is_refused(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    # Issue 18, finding 7: aaaaaaaaaaaa was accepted (long enough, on no list).
    officer = issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))
    for weak in ("aaaaaaaaaaaa", "qwertyuiopas", "Hyderabad@2024", "abcdefghijkl"):
        body = {"current_password": officer.password, "new_password": weak}
        r = client.post("/api/v1/me/password", json=body, headers=officer.bearer)
        assert r.status_code == 422 and r.json()["type"].endswith("weak-password"), weak
        assert "too easy to guess" in r.json()["detail"]
    strong = {"current_password": officer.password, "new_password": new_password()}
    assert (
        client.post("/api/v1/me/password", json=strong, headers=officer.bearer).status_code == 204
    )


def test_stolen_password_without_totp_gets_nothing(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    victim = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    for code in (None, "000000", "12345678"):
        r = _token(client, victim.username, victim.password, code)
        assert r.status_code == 401
        assert "access_token" not in r.text
    with runtime.db.transaction(write=False) as s:
        assert s.execute(select(AuthSession)).first() is None


def test_login_failure_does_not_reveal_whether_the_user_exists(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    real = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    a = _token(client, real.username, "not-the-password-at-all", "000000")
    b = _token(client, "no-such-officer", "not-the-password-at-all", "000000")
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()


def _login_page_csrf(client: TestClient) -> str:
    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def test_session_fixation_is_impossible(client: TestClient, runtime: Runtime, world: World) -> None:
    victim = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    planted = "attacker-chosen-session-value-0123456789"
    client.cookies.set("__Host-kotwal-session", planted)
    csrf = _login_page_csrf(client)
    r = client.post(
        "/login",
        data={
            "username": victim.username,
            "password": victim.password,
            "totp": victim.totp(),
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    issued = r.cookies.get("__Host-kotwal-session")
    assert issued and issued != planted
    # The planted value is worth nothing, and the cookie is locked down.
    client.cookies.clear()
    client.cookies.set("__Host-kotwal-session", planted)
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    header = r.headers["set-cookie"].lower()
    for flag in ("httponly", "secure", "samesite=strict", "path=/"):
        assert flag in header
    assert "domain=" not in header


def _console_login(client: TestClient, runtime: Runtime, world: World) -> str:
    officer = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    console_login(client, officer)
    return officer.account_id


def test_csrf_missing_or_wrong_token_is_rejected_and_changes_nothing(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    account_id = _console_login(client, runtime, world)
    for data in ({}, {"csrf_token": "forged"}):
        r = client.post("/logout", data=data, follow_redirects=False)
        assert r.status_code == 403
    with runtime.db.transaction(write=False) as s:
        live = (
            s.execute(
                select(AuthSession).where(
                    AuthSession.account_id == account_id, AuthSession.ended_at.is_(None)
                )
            )
            .scalars()
            .all()
        )
    assert len(live) == 1  # still logged in: the forged logout did nothing
    page = client.get("/account")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = client.post("/logout", data={"csrf_token": token.group(1)}, follow_redirects=False)
    assert r.status_code == 303


def test_login_form_needs_its_double_submit_token(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    officer = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    r = client.post(
        "/login",
        data={
            "username": officer.username,
            "password": officer.password,
            "totp": officer.totp(),
            "csrf_token": "forged",
        },
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "__Host-kotwal-session" not in r.cookies


def test_revoked_token_is_rejected(client: TestClient, runtime: Runtime, world: World) -> None:
    officer = issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))
    assert client.delete("/api/v1/auth/token", headers=officer.bearer).status_code == 204
    assert client.get("/api/v1/me", headers=officer.bearer).status_code == 401


def test_expired_token_is_rejected(client: TestClient, runtime: Runtime, world: World) -> None:
    officer = issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))
    with runtime.db.transaction() as s:
        row = s.execute(select(AuthSession)).scalar_one()
        s.execute(
            update(AuthSession)
            .where(AuthSession.id == row.id)
            .values(expires_at=row.created_at, last_seen_at=row.created_at)
        )
    r = client.get("/api/v1/me", headers=officer.bearer)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_tampered_tokens_are_rejected(client: TestClient, runtime: Runtime, world: World) -> None:
    officer = issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))
    t = officer.token
    flipped = t[:-1] + ("A" if t[-1] != "A" else "B")
    for forged in (flipped, t[:-2], t + "x", t.upper(), "null", "", "Bearer " + t):
        r = client.get("/api/v1/me", headers={"authorization": f"Bearer {forged}"})
        assert r.status_code == 401, forged


def test_a_console_cookie_is_not_an_api_token(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    officer = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    console = issue_token(runtime, officer, kind="console")
    assert client.get("/api/v1/me", headers=console.bearer).status_code == 401
