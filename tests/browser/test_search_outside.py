"""A name search in the console without a purpose counts the matches at other stations and
shows none of them (issue 18, finding 2); with a purpose they are listed. Screenshots at a
desktop and a phone size go to test-artifacts/browser/."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from kotwal.core.policy import Role
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, screenshot
from tests.browser.test_console_flow import log_in_fully


def test_matches_elsewhere_are_a_number_until_a_purpose_is_given(
    page: Page, live_server: LiveServer
) -> None:
    world = live_server.world
    writer = live_server.writer(world.station_a)
    live_server.file_person(writer, world.station_a, "Gundeti Yadagiri Goud")
    officer = live_server.officer(Role.SUB_INSPECTOR, posting=world.station_b)
    page.set_viewport_size(DESKTOP)
    log_in_fully(page, officer)
    page.get_by_role("link", name="Find a person").click()
    page.get_by_label("Name, alias (Latin or Telugu)").fill("Yadagiri Goud")
    page.get_by_role("button", name="Search names").click()
    expect(page.locator("p.notice")).to_contain_text("1 more match outside your jurisdiction")
    expect(page.get_by_role("link", name="Gundeti Yadagiri Goud")).to_have_count(0)
    screenshot(page, "search-outside-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "search-outside-phone")
    page.set_viewport_size(DESKTOP)
    page.get_by_label("Purpose, to include other jurisdictions").fill(
        "complaint: house-breaking, suspect named by a witness"
    )
    page.get_by_role("button", name="Search names").click()
    expect(page.get_by_role("link", name="Gundeti Yadagiri Goud")).to_be_visible()
    expect(page.locator("p.notice")).to_have_count(0)
