"""The console in the officer's language, and what My activity shows, as Chromium draws them.

An officer switches the console to Telugu on My account: the labels are Telugu, drawn with
the served Noto Sans Telugu (not the missing-glyph box), on the layout, My account, the person
search and My activity. My activity names the record opened, in words. axe-core finds no
serious or critical accessibility violation on these pages (tests/browser/axe.py).
Screenshots go to test-artifacts/browser/ (docs/development.md).
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from kotwal.core.policy import Role
from tests.browser.axe import assert_accessible
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, screenshot
from tests.browser.test_console_flow import log_in_fully
from tests.browser.test_scripts import _WIDTH, platform_fonts
from tests.factories import Officer

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]

MY_ACTIVITY_TE = "నా కార్యకలాపాలు"


def test_an_officer_reads_the_console_in_telugu(page: Page, live_server: LiveServer) -> None:
    station = live_server.world.station_a
    officer = live_server.officer(Role.SUB_INSPECTOR, posting=station)
    page.set_viewport_size(DESKTOP)
    log_in_fully(page, officer)
    page.get_by_role("navigation").get_by_role("link", name="My account").click()
    assert_accessible(page)
    page.get_by_label("The console's language").select_option("te")
    page.get_by_role("button", name="Save language").click()

    expect(page).to_have_url(re.compile(r"/account\?done=language$"))
    expect(page.locator("html")).to_have_attribute("lang", "te")
    expect(page.get_by_role("heading", level=1)).to_have_text("నా ఖాతా")
    expect(page.locator(".flash")).to_have_text("భాష భద్రపరచబడింది")
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name=MY_ACTIVITY_TE)).to_be_visible()
    expect(page.get_by_role("button", name="లాగ్ అవుట్")).to_be_visible()
    # Telugu labels drawn with the served Telugu face: every glyph of the link from it.
    page.evaluate("() => document.fonts.ready.then(() => true)")
    assert page.evaluate(
        "(text) => document.fonts.check('16px \"Noto Sans Telugu\"', text)", MY_ACTIVITY_TE
    )
    nav.get_by_role("link", name=MY_ACTIVITY_TE).evaluate("a => { a.id = 'te-label'; }")
    used = platform_fonts(page, "#te-label")
    assert used.get("Noto Sans Telugu", 0) > 0 and set(used) <= {"Noto Sans Telugu", "Noto Sans"}
    page_font = '"Noto Sans", "Noto Sans Telugu", sans-serif'
    drawn = page.evaluate(_WIDTH, [MY_ACTIVITY_TE, page_font])
    boxes = page.evaluate(_WIDTH, ["\ue000" * len(MY_ACTIVITY_TE), page_font])
    assert drawn > 0 and abs(drawn - boxes) > 1, (drawn, boxes)
    assert_accessible(page)
    screenshot(page, "account-telugu-desktop")

    page.get_by_role("link", name="వ్యక్తులు").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("వ్యక్తిని వెతకండి")
    page.get_by_label("పేరు, మారుపేరు (లాటిన్ లేదా తెలుగు)").fill("Nobody Such")
    page.get_by_role("button", name="పేర్లను వెతకండి").click()
    expect(page.get_by_role("cell", name="ఏ వ్యక్తీ సరిపోలలేదు.")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "persons-telugu-desktop")

    nav.get_by_role("link", name=MY_ACTIVITY_TE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(MY_ACTIVITY_TE)
    what = page.locator("td.what")
    expect(what.filter(has_text="పేరుతో వ్యక్తుల శోధన — 0 ఫలితాలు")).to_have_count(1)
    expect(what.filter(has_text="కన్సోల్ భాషను ఎంచుకున్నారు")).to_have_count(1)
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "activity-telugu-phone")


def test_my_activity_names_the_record_opened_in_words(page: Page, live_server: LiveServer) -> None:
    station = live_server.world.station_a
    writer = live_server.writer(station)
    person = live_server.file_person(
        writer, station, "Srinivas Gundla", name_te="శ్రీనివాస్ గుండ్ల", father_name="Gundla Ramesh"
    )
    live_server.file_person(writer, station, "Gundla Mallesh")
    officer = live_server.officer(Role.SUB_INSPECTOR, posting=station)
    page.goto("/login")
    assert_accessible(page)
    page.set_viewport_size(DESKTOP)
    log_in_fully(page, officer)
    page.get_by_role("link", name="Find a person").click()
    page.get_by_label("Name, alias (Latin or Telugu)").fill("Sreenivas Gundla")
    page.get_by_role("button", name="Search names").click()
    page.get_by_role("link", name="Srinivas Gundla").click()
    expect(page).to_have_url(re.compile(rf"/persons/{person}$"))

    page.get_by_role("link", name="My activity").click()
    lines = page.locator("td.what")
    opened = lines.filter(has_text="Opened the record of Srinivas Gundla (PS-A (synthetic))")
    expect(opened).to_have_count(1)
    expect(opened.get_by_role("link", name="open again")).to_have_attribute(
        "href", f"/persons/{person}"
    )
    expect(
        lines.filter(has_text=re.compile(r"Searched persons by name — \d+ results?"))
    ).to_have_count(1)
    expect(lines.filter(has_text="Logged in")).to_have_count(1)
    # One line per page: the person page's several disclosures are one line, and no raw
    # action name or other officer shows.
    expect(page.locator("table.activity")).not_to_contain_text("record.disclose")
    expect(page.locator("table.activity")).not_to_contain_text(writer.username)
    expect(page.locator("td.when").first).to_contain_text(re.compile(r"\d{2}:\d{2}:\d{2} IST"))
    assert_accessible(page)
    screenshot(page, "activity-desktop")

    page.get_by_label("Kind").select_option("opened")
    page.get_by_role("button", name="Show").click()
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("Opened the record of Srinivas Gundla")
    page.get_by_role("link", name="Show the events themselves").click()
    expect(page.locator("table.audit")).to_contain_text("record.disclose")
    assert_accessible(page)


def _post(live_server: LiveServer, writer: Officer, path: str, body: dict[str, Any]) -> Any:
    r = httpx.post(f"{live_server.url}{path}", json=body, headers=writer.bearer)
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_record_pages_in_telugu_are_readable_and_accessible(
    page: Page, live_server: LiveServer
) -> None:
    station = live_server.world.station_a
    writer = live_server.writer(station)
    person = live_server.file_person(
        writer, station, "Gundla Telugu Reader", name_te="గుండ్ల రీడర్", father_name="Gundla Ramaiah"
    )
    today = date.today()
    sheet = _post(
        live_server,
        writer,
        "/api/v1/history-sheets",
        {
            "person_id": person,
            "category": "rowdy_sheet",
            "station_id": station,
            "legal_basis": "SP order No. 12/HS/2025",
        },
    )
    fir = f"PS-A/{today.year}/{secrets.randbelow(9000) + 1000}"
    case = _post(
        live_server,
        writer,
        "/api/v1/cases",
        {
            "fir_number": fir,
            "sections": ["BNS 309"],
            "registered_on": str(today),
            "station_id": station,
        },
    )
    _post(
        live_server,
        writer,
        f"/api/v1/cases/{case['id']}/parties",
        {"person_id": person, "role": "accused", "role_on": str(today)},
    )
    officer = live_server.officer(Role.STATION_HOUSE_OFFICER, posting=station)
    page.set_viewport_size(DESKTOP)
    log_in_fully(page, officer)
    page.goto("/account")
    page.get_by_label("The console's language").select_option("te")
    page.get_by_role("button", name="Save language").click()
    expect(page.locator("html")).to_have_attribute("lang", "te")

    for path, heading in (
        (f"/persons/{person}", "Gundla Telugu Reader"),
        (f"/cases?fir={fir}", "కేసును వెతకండి"),
        (f"/cases/{case['id']}", f"కేసు {fir}"),
        (f"/history-sheets/{sheet['id']}", "హిస్టరీ షీట్: రౌడీ షీట్"),
        ("/history-sheets/overdue", "గడువు మీరిన హిస్టరీ షీట్ సమీక్షలు"),
    ):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_accessible(page)
        if path.startswith("/persons/"):
            for h2 in ("వివరాలు", "హిస్టరీ షీట్లు", "కేసులు", "ఈ రికార్డును ఎవరు తెరిచారు"):
                expect(page.get_by_role("heading", level=2, name=h2)).to_be_visible()
            screenshot(page, "person-telugu-desktop-labels")
