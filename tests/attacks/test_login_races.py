"""Concurrent attacks on login: every guess counts, a code opens one session, a locked
account cannot be pushed into the hard lock in a second, non-ASCII digits are refused."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kotwal.core import identity
from kotwal.core.errors import Problem
from kotwal.core.login import attempt_login
from kotwal.core.models import Account, AuthSession
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.factories import Officer, World, issue_token, make_officer, new_password


def _try(runtime: Runtime, officer: Officer, password: str, code: str | None) -> str:
    try:
        with UnitOfWork(runtime, write=True) as uow:
            attempt_login(
                uow,
                runtime.settings,
                username=officer.username,
                password=password,
                totp_code=code,
                client_addr=None,
                kind="api",
            )
        return "ok"
    except Problem as exc:
        return exc.slug


def _account(runtime: Runtime, officer: Officer) -> Account:
    with runtime.db.transaction(write=False) as s:
        account = s.get(Account, officer.account_id)
        assert account is not None
        return account


def test_concurrent_wrong_guesses_all_count(runtime: Runtime, world: World) -> None:
    victim = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    n = runtime.settings.lock_after_failures
    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(lambda i: _try(runtime, victim, f"guess-{i:04d}-x", "1"), range(n)))
    assert results == ["login-failed"] * n
    account = _account(runtime, victim)
    assert account.failed_logins == n and identity.is_locked(account)


def test_one_totp_code_opens_one_session_even_when_raced(runtime: Runtime, world: World) -> None:
    victim = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    code = victim.totp()
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: _try(runtime, victim, victim.password, code), range(6)))
    assert results.count("ok") == 1
    with runtime.db.transaction(write=False) as s:
        assert s.execute(select(func.count()).select_from(AuthSession)).scalar_one() == 1


def test_attempts_while_locked_do_not_count_towards_the_hard_lock(
    runtime: Runtime, world: World
) -> None:
    victim = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    for i in range(runtime.settings.hard_lock_after_failures + 5):
        _try(runtime, victim, f"guess-{i:04d}-x", "123456")
    account = _account(runtime, victim)
    assert not account.hard_locked
    assert account.failed_logins == runtime.settings.lock_after_failures


def test_non_ascii_digits_are_a_wrong_code_not_a_crash(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    victim = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in victim.totp())
    r = client.post(
        "/api/v1/auth/token",
        json={"username": victim.username, "password": victim.password, "totp": arabic_indic},
    )
    assert r.status_code == 401
    assert _account(runtime, victim).failed_logins == 1


def test_stolen_session_cannot_replace_the_authenticator(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    victim = issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))
    assert client.post("/api/v1/me/totp", headers=victim.bearer).status_code == 422
    wrong = client.post(
        "/api/v1/me/totp",
        json={"current_password": new_password(), "code": "123456"},
        headers=victim.bearer,
    )
    assert wrong.status_code == 422
    assert _account(runtime, victim).failed_logins == 2  # both attempts counted
    right = client.post(
        "/api/v1/me/totp",
        json={"current_password": victim.password, "code": victim.totp()},
        headers=victim.bearer,
    )
    assert right.status_code == 200
    assert pyotp.TOTP(right.json()["secret"]).now().isdigit()


def test_password_guessing_through_a_session_locks_the_account(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    victim = issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))
    for _ in range(runtime.settings.lock_after_failures):
        r = client.post(
            "/api/v1/me/password",
            json={"current_password": new_password(), "new_password": new_password()},
            headers=victim.bearer,
        )
        assert r.status_code == 422
    assert identity.is_locked(_account(runtime, victim))
    # Locking also ended the session the thief was using.
    assert client.get("/api/v1/me", headers=victim.bearer).status_code == 401


def test_control_characters_in_input_are_refused(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    admin = issue_token(runtime, make_officer(runtime, Role.SYSTEM_ADMIN))
    r = client.post(
        "/api/v1/accounts",
        json={"username": "nul.user", "display_name": "Bad\x00Name", "roles": ["auditor"]},
        headers=admin.bearer,
    )
    assert r.status_code == 422


def test_look_alike_usernames_are_refused(client: TestClient, runtime: Runtime) -> None:
    admin = issue_token(runtime, make_officer(runtime, Role.SYSTEM_ADMIN))
    r = client.post(
        "/api/v1/accounts",
        json={"username": chr(0x430) + "dmin", "display_name": "Cyrillic a", "roles": ["auditor"]},
        headers=admin.bearer,
    )
    assert r.status_code == 422
