"""Each role's start page as Chromium draws it (issue 25 item 2), and a person's whole record
(item 3): the dashboards load with their SVG charts and the tables of their numbers, the
person's page shows each of its sections, the station page its counts; axe-core finds no
serious or critical violation on any of them (tests/browser/axe.py). Screenshots at 1280 and
390 px go to test-artifacts/browser/ (docs/development.md)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kotwal.core.policy import Role
from tests.browser.axe import assert_accessible
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, screenshot
from tests.browser.test_console_flow import log_in_fully

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]

#: role, where posted (a World attribute), the panels its start page must carry.
ROLES = (
    (Role.STATION_HOUSE_OFFICER, "station_a", ["records.command"]),
    (Role.CIRCLE_OFFICER, "circle", ["records.command"]),
    (Role.DISTRICT_CHIEF, "district", ["records.command"]),
    (Role.STATE_HQ, "state", ["records.command"]),
    (Role.ARMS_LICENSING_OFFICER, "district", ["arms.licensing"]),
    (Role.SECURITY_OFFICER, "state", ["watch.hourly", "watch.alerts", "watch.budgets"]),
    (Role.AUDITOR, "state", ["audit.chain"]),
)


def _look(page: Page, name: str) -> None:
    for size, label in ((DESKTOP, "1280"), (PHONE, "390")):
        page.set_viewport_size(size)
        screenshot(page, f"{name}-{label}")
    page.set_viewport_size(DESKTOP)


@pytest.mark.parametrize(("role", "where", "keys"), ROLES, ids=[r[0].value for r in ROLES])
def test_each_roles_dashboard_draws_its_charts_and_tables(
    page: Page, live_server: LiveServer, role: Role, where: str, keys: list[str]
) -> None:
    world = live_server.world
    writer = live_server.writer(world.station_a)
    for status in ("absconding", "active"):
        live_server.file_person(writer, world.station_a, "Test Dashboard Person", status=status)
    officer = live_server.officer(role, posting=getattr(world, where))
    page.set_viewport_size(DESKTOP)
    log_in_fully(page, officer)
    for key in keys:
        panel = page.locator(f'[id="panel-{key}"]')
        expect(panel).to_be_visible()
        expect(panel.get_by_role("heading", level=2)).to_be_visible()
        if panel.locator("svg.chart").count() == 0:
            # A panel with nothing to count says so instead of drawing an empty chart.
            expect(panel.locator("p").last).not_to_be_empty()
            continue
        expect(panel.locator("svg.chart rect").first).to_be_attached()
        table = panel.locator("table.figures")
        expect(table).to_be_attached()
        assert table.locator("tbody tr").count() >= 1
        # A long table (24 hours) is folded under "The numbers"; the link is there all the same.
        expect(panel.locator(f'a[href="/dashboard/{key}.csv"]')).to_be_attached()
    if role == Role.STATION_HOUSE_OFFICER:
        expect(page.locator("#panel-records\\.command table.figures")).to_contain_text(
            "Absconding persons"
        )
    assert_accessible(page)
    _look(page, f"dashboard-{role.value}")


def test_the_person_page_shows_each_section(page: Page, live_server: LiveServer) -> None:
    world = live_server.world
    writer = live_server.writer(world.station_a)
    person = live_server.file_person(
        writer,
        world.station_a,
        "Test Gundla Srinivas",
        name_te="గుండ్ల శ్రీనివాస్",
        father_name="Test Gundla Ramaiah",
        aliases=["Test Seenu"],
        marks="mole on left cheek",
        status="absconding",
    )
    sho = live_server.officer(Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    page.set_viewport_size(DESKTOP)
    log_in_fully(page, sho)
    page.goto(f"/persons/{person}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Test Gundla Srinivas")
    expect(page.get_by_role("img", name="No photograph on record")).to_be_visible()
    expect(page.locator(".second-script")).to_have_text("గుండ్ల శ్రీనివాస్")
    for heading in (
        "Particulars",
        "Also known as",
        "History sheets",
        "Cases",
        "Arms licences held",
        "Version history",
        "Who opened this record",
    ):
        expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()
    expect(page.locator("#details")).to_contain_text("Name (Telugu)")
    expect(page.locator("#details")).not_to_contain_text("name te")
    expect(page.locator("#aliases")).to_contain_text("Test Seenu")
    assert_accessible(page)
    _look(page, "person-whole-record")

    page.goto(f"/stations/{world.station_a}")
    expect(page.locator("#panel-records\\.station svg.chart")).to_be_visible()
    expect(page.locator("#panel-records\\.station table.figures")).to_contain_text("Absconding")
    assert_accessible(page)
    _look(page, "station-counts")
