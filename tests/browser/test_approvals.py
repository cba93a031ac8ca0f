"""Two officers for power over accounts, in the console (issue 18, finding 4): an administrator
asks for an account and is told it waits; a security officer approves it on the Approvals page
and is the one shown its one-time password. Screenshots at a desktop and a phone size go to
test-artifacts/browser/."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from kotwal.core.policy import Role
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, screenshot
from tests.browser.test_console_flow import log_in_fully


def test_an_account_waits_for_a_security_officer_who_sees_its_password(
    page: Page, live_server: LiveServer
) -> None:
    admin = live_server.officer(Role.SYSTEM_ADMIN)
    security = live_server.officer(Role.SECURITY_OFFICER)
    page.set_viewport_size(DESKTOP)
    log_in_fully(page, admin)
    page.goto("/admin/accounts/new")
    page.get_by_label("Username").fill("si.approved")
    page.get_by_label("Full name and designation").fill("SI Approved, PS-A")
    page.get_by_label("Sub-Inspector").check()
    page.get_by_label("Posting").select_option(value=live_server.world.station_a)
    page.get_by_label("Why the account is needed").fill("posted to PS-A by order 12/2026")
    page.get_by_role("button", name="Ask for the account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sent for approval")
    expect(page.locator("main")).to_contain_text("new account si.approved")
    expect(page.locator("code.secret")).to_have_count(0)
    screenshot(page, "approvals-asked-desktop")
    page.context.clear_cookies()

    log_in_fully(page, security)
    page.get_by_role("navigation").get_by_role("link", name="Approvals").click()
    card = page.locator("section.card", has_text="New account si.approved")
    expect(card).to_contain_text("posted to PS-A by order 12/2026")
    screenshot(page, "approvals-queue-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "approvals-queue-phone")
    page.set_viewport_size(DESKTOP)
    card.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("One-time password for si.approved")
    expect(page.locator("code.secret")).to_have_text(re.compile(r"[\w-]{20,}"))
    page.goto("/admin/power-requests")
    expect(page.locator("main")).to_contain_text("Nothing is waiting")
