"""What the console looks like, not only what it sends: Telugu drawn in the served font, and
the layout at a desktop's and a phone's width.

Debian's chromium on a machine without a Telugu font draws a Telugu name as empty boxes unless
the page brings its own font; these tests look at the glyphs Chromium actually used (through
the DevTools protocol), compare widths with the missing-glyph box, and save screenshots under
``test-artifacts/browser/`` (docs/development.md) for a person to look at.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, Request, expect

from kotwal.core.policy import Role
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, screenshot
from tests.browser.test_console_flow import log_in_fully

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]

TELUGU = "తెలుగు"
TELUGU_NAME = "కొమ్ము శ్రీనివాస్ రెడ్డి"
TELUGU_FONT_FILE = re.compile(r"/static/vendor/fonts/noto-sans-telugu-telugu-\d+-normal\.woff2$")

# Widths of one string set in a given font stack, measured in the page (after its fonts load).
_WIDTH = """([text, family]) => {
  const span = document.createElement('span');
  span.style.cssText = `font: 16px ${family}; white-space: pre; position: absolute;`;
  span.textContent = text;
  document.body.append(span);
  const width = span.getBoundingClientRect().width;
  span.remove();
  return width;
}"""


def platform_fonts(page: Page, selector: str) -> dict[str, int]:
    """The fonts Chromium drew the element's text with, and how many glyphs from each."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"no element {selector!r}"
        fonts: list[dict[str, Any]] = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})[
            "fonts"
        ]
    finally:
        cdp.detach()
    return {f["familyName"]: int(f["glyphCount"]) for f in fonts}


def test_a_telugu_name_is_drawn_in_the_served_font_at_desktop_and_phone_width(
    page: Page, live_server: LiveServer
) -> None:
    station = live_server.world.station_a
    writer = live_server.writer(station)
    person = live_server.file_person(
        writer, station, "Kommu Srinivas Reddy", name_te=TELUGU_NAME, father_name="Kommu Ramesh"
    )
    officer = live_server.officer(Role.SUB_INSPECTOR, posting=station)
    fonts: list[str] = []

    def on_request(request: Request) -> None:
        if "/fonts/" in request.url or request.resource_type == "font":
            fonts.append(request.url)

    page.on("request", on_request)
    page.set_viewport_size(DESKTOP)
    log_in_fully(page, officer)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    # A page in Latin script only does not fetch the Telugu file (unicode-range), and every
    # font comes from the server itself.
    assert fonts and all(url.startswith(live_server.url) for url in fonts), fonts
    assert not [url for url in fonts if TELUGU_FONT_FILE.search(url)], fonts

    page.goto(f"/persons/{person}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kommu Srinivas Reddy")
    name_te = page.locator("dd", has_text=TELUGU_NAME)
    expect(name_te).to_be_visible()
    page.evaluate("() => document.fonts.ready.then(() => true)")
    assert [url for url in fonts if TELUGU_FONT_FILE.search(url)], fonts

    assert page.evaluate(
        "(text) => document.fonts.check('16px \"Noto Sans Telugu\"', text)", TELUGU
    )
    # Glyphs, not boxes: the word in the page's font is not as wide as as many missing-glyph
    # boxes (private-use characters, which no font has), nor as the same word in a stack
    # without the served Telugu face (boxes on a machine with no Telugu font of its own).
    page_font = '"Noto Sans", "Noto Sans Telugu", sans-serif'
    drawn = page.evaluate(_WIDTH, [TELUGU, page_font])
    boxes = page.evaluate(_WIDTH, ["\ue000" * len(TELUGU), page_font])
    without = page.evaluate(_WIDTH, [TELUGU, '"Noto Sans", sans-serif'])
    assert drawn > 0 and abs(drawn - boxes) > 1 and abs(drawn - without) > 1, (
        drawn,
        boxes,
        without,
    )
    # And the name on the page itself: every one of its Telugu glyphs came from the served face.
    name_te.evaluate("dd => { dd.id = 'telugu-name'; }")
    used = platform_fonts(page, "#telugu-name")
    assert used.get("Noto Sans Telugu", 0) > 0, used
    assert set(used) <= {"Noto Sans Telugu", "Noto Sans"}, used
    screenshot(page, "person-telugu-desktop")

    page.set_viewport_size(PHONE)
    expect(name_te).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "person-telugu-phone")


def test_the_navigation_fits_a_phone_screen(page: Page, live_server: LiveServer) -> None:
    station = live_server.world.station_a
    # The station house officer sees the most links of the officers at a station.
    officer = live_server.officer(Role.STATION_HOUSE_OFFICER, posting=station)
    page.set_viewport_size(PHONE)
    log_in_fully(page, officer)

    # Nothing pushes the page sideways, and every link of the bar can be reached: it lies
    # within the screen, or inside the bar's own scrolling strip.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    nav = page.get_by_role("navigation")
    links = nav.get_by_role("link")
    assert links.count() >= 3
    for i in range(links.count()):
        link = links.nth(i)
        link.scroll_into_view_if_needed()
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (
            link.inner_text(),
            box,
        )
    page.evaluate("() => window.scrollTo(0, 0)")
    page.locator("header.top nav").evaluate("nav => { nav.scrollLeft = 0; }")
    screenshot(page, "start-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "start-desktop")
