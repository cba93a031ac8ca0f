"""User journeys through the console in a real browser (Chromium), against a live server.

What the HTTP-level console tests cannot see: that the pages work with the Content-Security-
Policy enforced (no inline script, nothing blocked, no console error), that the ``__Host-``
cookies are accepted and sent by a browser, that the QR code renders, and that the back button
after logout does not bring a page back.
"""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from kotwal.core import identity
from kotwal.core.policy import Role
from tests.browser.conftest import LiveServer, PageWatch
from tests.factories import Officer, new_password

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


def log_in(page: Page, officer: Officer, code: str = "") -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(officer.username)
    page.get_by_label("Password").fill(officer.password)
    page.get_by_label("Authenticator code").fill(code)
    page.get_by_role("button", name="Log in").click()


def fresh_code(officer: Officer) -> str:
    """A code of the current step (or a later one, never one already spent): login accepts one
    step either side, so it stays good while the browser types it, even across a step change."""
    assert officer.totp_secret is not None
    step = max(identity.totp_step(), officer._last_step + 1)
    officer._last_step = step
    return pyotp.TOTP(officer.totp_secret).at(step * identity.TOTP_STEP)


def log_in_fully(page: Page, officer: Officer) -> None:
    log_in(page, officer, fresh_code(officer))
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {officer.username}")


def test_initial_administrator_sets_up_the_account_and_opens_accounts(
    page: Page, live_server: LiveServer
) -> None:
    admin = live_server.officer(Role.SYSTEM_ADMIN, enrolled=False, initial=True)

    log_in(page, admin)  # the one-time password, no code yet
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator(".notice")).to_contain_text("change the password you were given")
    # Until set-up is done the navigation offers nothing else.
    expect(page.get_by_role("link", name="Accounts")).to_have_count(0)

    new = new_password()
    page.get_by_label("Current password").fill(admin.password)
    page.get_by_label("New password").fill(new)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".flash")).to_have_text("Password changed")

    page.get_by_role("button", name="Enrol an authenticator").click()
    qr = page.get_by_role("img", name="QR code for the authenticator app")
    expect(qr).to_be_visible()
    # The data: URI image is allowed by the CSP and actually decodes.
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    secret = page.locator("code.secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {admin.username}")
    expect(page.get_by_role("link", name="Manage accounts")).to_be_visible()

    page.get_by_role("navigation").get_by_role("link", name="Accounts").click()
    expect(page).to_have_url(re.compile(r"/admin/accounts$"))
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=admin.username))
    expect(row).to_contain_text("active")


def test_officer_finds_a_person_by_a_spelling_variant_and_sees_it_in_my_activity(
    page: Page, live_server: LiveServer
) -> None:
    station = live_server.world.station_a
    writer = live_server.writer(station)
    wanted = live_server.file_person(
        writer, station, "Kommu Srinivas Reddy", father_name="Kommu Venkat Reddy"
    )
    live_server.file_person(writer, station, "Mohammed Abdul Khader")
    live_server.file_person(writer, station, "Bandi Lakshmi Devi", sex="female")
    officer = live_server.officer(Role.SUB_INSPECTOR, posting=station)

    log_in_fully(page, officer)
    page.get_by_role("link", name="Find a person").click()
    page.get_by_label("Name, alias (Latin or Telugu)").fill("Sreenivas Reddy")
    page.get_by_role("button", name="Search names").click()
    expect(page).to_have_url(re.compile(r"/persons\?name=Sreenivas\+Reddy&purpose=$"))

    hit = page.get_by_role("link", name="Kommu Srinivas Reddy")
    expect(hit).to_have_attribute("href", f"/persons/{wanted}")
    expect(page.get_by_role("link", name="Mohammed Abdul Khader")).to_have_count(0)
    hit.click()

    expect(page).to_have_url(re.compile(rf"/persons/{wanted}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Kommu Srinivas Reddy")
    expect(page.locator("dd", has_text="Kommu Venkat Reddy")).to_be_visible()

    page.get_by_role("link", name="My activity").click()
    expect(page).to_have_url(re.compile(r"/account/activity$"))
    opened = page.get_by_role("row").filter(has=page.locator(f'a[href="/persons/{wanted}"]'))
    expect(opened.first).to_contain_text("Opened the record of Kommu Srinivas Reddy")
    expect(page.locator("table.activity")).not_to_contain_text(writer.username)


def test_every_page_holds_under_the_content_security_policy(
    page: Page, live_server: LiveServer, watch: PageWatch
) -> None:
    station = live_server.world.station_a
    writer = live_server.writer(station)
    person = live_server.file_person(writer, station, "Gundu Ramesh Yadav")
    officer = live_server.officer(Role.SUB_INSPECTOR, posting=station)
    admin = live_server.officer(Role.SYSTEM_ADMIN)
    auditor = live_server.officer(Role.AUDITOR)

    def visit(path: str, title: str) -> None:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        csp = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        expect(page).to_have_title(f"{title} · kotwal")
        # htmx (from /static) loaded and ran: scripts from 'self' are allowed.
        page.wait_for_function("() => window.htmx !== undefined")
        problems = watch.take()
        assert not problems, f"{path}:\n" + "\n".join(problems)

    visit("/login", "Log in")
    log_in_fully(page, officer)
    for path, title in [
        ("/", "Start"),
        ("/persons", "Persons"),
        ("/persons?name=Ramesh+Yadav", "Persons"),
        (f"/persons/{person}", "Person"),
        ("/account", "My account"),
        ("/account/activity", "My activity"),
    ]:
        visit(path, title)

    page.context.clear_cookies()
    log_in_fully(page, admin)
    for path, title in [
        ("/admin/accounts", "Accounts"),
        ("/admin/accounts/new", "New account"),
        (f"/admin/accounts/{officer.account_id}", officer.username),
    ]:
        visit(path, title)

    page.context.clear_cookies()
    log_in_fully(page, auditor)
    visit("/audit", "Audit log")
    # The audit filter swaps its rows in with htmx: no eval, no inline script needed.
    page.get_by_label("Actor").fill(officer.username)
    with page.expect_response(re.compile(r"/audit/rows\?")) as rows:
        page.get_by_role("button", name="Search").click()
    assert rows.value.status == 200
    expect(page.locator("#rows table.audit")).to_contain_text("record.disclose")
    assert not watch.take()

    # The watch does see a violation: an inline script injected into the page is blocked.
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.__inlineRan = true'; document.body.append(s); }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__inlineRan === undefined")
    caught = watch.take()
    assert any("CSP violation" in p and "script-src" in p for p in caught), caught


def test_logout_ends_the_session_back_button_and_old_cookie_included(
    page: Page, context: BrowserContext, live_server: LiveServer
) -> None:
    station = live_server.world.station_b
    writer = live_server.writer(station)
    person = live_server.file_person(writer, station, "Erra Mallesh Goud")
    officer = live_server.officer(Role.CONSTABLE, posting=station)

    log_in_fully(page, officer)
    page.goto(f"/persons/{person}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Erra Mallesh Goud")
    session = [c for c in context.cookies() if c["name"] == "__Host-kotwal-session"]
    assert len(session) == 1 and session[0]["secure"] and session[0]["httpOnly"]

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    assert not [c for c in context.cookies() if c["name"] == "__Host-kotwal-session"]

    # Back: the record page is not shown from any cache; the server sends the login page.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_text("Erra Mallesh Goud")).to_have_count(0)

    # Revisiting any page lands on the login page too.
    for path in (f"/persons/{person}", "/account/activity", "/"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/login$"))

    # The session is over on the server, not just forgotten by the browser: putting the old
    # cookie back does not bring it back.
    context.add_cookies([session[0]])
    page.goto(f"/persons/{person}")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("Erra Mallesh Goud")).to_have_count(0)
