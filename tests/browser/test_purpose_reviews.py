"""Purposes and their review in the console (issue 18, finding 3): an officer opens a record at
another station under a reason, and their station house officer finds the read on *Purpose
reviews* and judges it. Screenshots at a desktop and a phone size go to test-artifacts/browser/."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from kotwal.core.policy import Role
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, screenshot
from tests.browser.test_console_flow import log_in_fully


def test_a_read_under_a_reason_waits_for_the_readers_station_house_officer(
    page: Page, live_server: LiveServer
) -> None:
    world = live_server.world
    writer = live_server.writer(world.station_c)
    person = live_server.file_person(writer, world.station_c, "Purpose Review Person")
    reader = live_server.officer(Role.SUB_INSPECTOR, posting=world.station_a)
    sho = live_server.officer(Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    page.set_viewport_size(DESKTOP)
    log_in_fully(page, reader)
    page.goto(f"/persons/{person}?purpose=complaint:+petition+about+a+land+dispute")
    expect(page.locator("main")).to_contain_text("Purpose Review Person")
    page.context.clear_cookies()

    log_in_fully(page, sho)
    page.get_by_role("navigation").get_by_role("link", name="Purpose reviews").click()
    row = page.locator("tr", has_text=reader.username)
    expect(row).to_contain_text("Reason: complaint")
    screenshot(page, "purpose-reviews-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "purpose-reviews-phone")
    page.set_viewport_size(DESKTOP)
    row.get_by_label("Note").fill("no such petition at this station")
    row.get_by_role("button", name="Unjustified").click()
    expect(page.locator("main")).to_contain_text("Nothing pending to review")
