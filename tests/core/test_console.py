"""The console as a browser drives it: forms, cookies and CSRF tokens, over HTTP."""

from __future__ import annotations

import re

import pyotp
from fastapi.testclient import TestClient

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import Officer, World, make_officer, new_password


def _field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} in page"
    return match.group(1)


def _login(client: TestClient, officer: Officer, totp: str = "") -> object:
    csrf = _field(client.get("/login").text, "csrf_token")
    return client.post(
        "/login",
        data={
            "username": officer.username,
            "password": officer.password,
            "totp": totp,
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )


def test_first_login_walks_through_password_and_authenticator(
    client: TestClient, runtime: Runtime
) -> None:
    admin = make_officer(runtime, Role.SYSTEM_ADMIN, enrolled=False, initial=True)
    r = _login(client, admin)
    assert r.status_code == 303 and r.headers["location"] == "/account"
    # Until set-up is done, administration is refused.
    assert client.get("/admin/accounts").status_code == 403
    page = client.get("/account")
    assert "change the password you were given" in page.text
    new = new_password()
    r = client.post(
        "/account/password",
        data={
            "current_password": admin.password,
            "new_password": new,
            "csrf_token": _field(page.text, "csrf_token"),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get("/account")
    r = client.post(
        "/account/totp/begin",
        data={"csrf_token": _field(page.text, "csrf_token")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get("/account")
    assert 'src="data:image/svg+xml' in page.text  # the QR code, inline, no script
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.text)
    assert secret
    code = pyotp.TOTP(secret.group(1)).now()
    r = client.post(
        "/account/totp/confirm",
        data={"code": code, "csrf_token": _field(page.text, "csrf_token")},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "Manage accounts" in home.text
    assert client.get("/admin/accounts").status_code == 200


def test_an_account_asked_by_an_administrator_is_approved_by_a_security_officer(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    admin = make_officer(runtime, Role.SYSTEM_ADMIN)
    assert _login(client, admin, admin.totp()).status_code == 303
    form = client.get("/admin/accounts/new")
    assert "PS-A" in form.text
    r = client.post(
        "/admin/accounts/new",
        data={
            "username": "si.lakshmi",
            "display_name": "SI Lakshmi",
            "roles": ["sub_inspector"],
            "jurisdiction_id": world.station_a,
            "csrf_token": _field(form.text, "csrf_token"),
        },
    )
    # The administrator only asks (issue 18, finding 4): no account, no password yet.
    assert r.status_code == 200 and "Sent for approval" in r.text
    assert "secret" not in r.text and "si.lakshmi" not in client.get("/admin/accounts").text
    client.post("/logout", data={"csrf_token": _field(client.get("/").text, "csrf_token")})
    security = make_officer(runtime, Role.SECURITY_OFFICER)
    assert _login(client, security, security.totp()).status_code == 303
    queue = client.get("/admin/power-requests")
    assert "New account si.lakshmi" in queue.text
    action = re.search(r'action="(/admin/power-requests/[\w-]+/approve)"', queue.text)
    assert action is not None
    r = client.post(action.group(1), data={"csrf_token": _field(queue.text, "csrf_token")})
    assert r.status_code == 200
    assert "One-time password for si.lakshmi" in r.text
    assert re.search(r'<code class="secret">[\w-]{20,}</code>', r.text)
    assert "Nothing is waiting" in client.get("/admin/power-requests").text


def test_bad_account_form_shows_the_reason_and_creates_nothing(
    client: TestClient, runtime: Runtime
) -> None:
    admin = make_officer(runtime, Role.SYSTEM_ADMIN)
    assert _login(client, admin, admin.totp()).status_code == 303
    form = client.get("/admin/accounts/new")
    r = client.post(
        "/admin/accounts/new",
        data={
            "username": "x y",
            "display_name": "Bad",
            "roles": ["constable"],
            "csrf_token": _field(form.text, "csrf_token"),
        },
    )
    assert r.status_code == 422
    assert "username" in r.text
    assert "x y" not in client.get("/admin/accounts").text


def test_officer_console_shows_persons_not_administration(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    officer = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    assert _login(client, officer, officer.totp()).status_code == 303
    home = client.get("/")
    assert "Find a person" in home.text and "Manage accounts" not in home.text
    assert client.get("/admin/accounts").status_code == 403
    assert client.get("/persons", params={"phone": "9000011111"}).status_code == 200


def test_wrong_code_shows_a_readable_error(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    officer = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    r = _login(client, officer, "000000")
    assert r.status_code == 401
    assert "Check the username, password and authenticator code" in r.text


def test_officer_sees_their_own_access_in_my_activity(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    from tests.factories import issue_token
    from tests.records_helpers import file_person

    writer = issue_token(
        runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    )
    person = file_person(client, writer, world.station_a)
    reader = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    assert _login(client, reader, reader.totp()).status_code == 303
    assert client.get(f"/persons/{person['id']}").status_code == 200
    page = client.get("/account/activity")
    assert page.status_code == 200
    assert f"/persons/{person['id']}" in page.text
    assert f"Opened the record of {person['name']}" in page.text
    assert writer.username not in page.text  # only one's own events
    raw = client.get("/account/activity", params={"raw": "1"})
    assert f"/persons/{person['id']}" in raw.text and "record.disclose" in raw.text
