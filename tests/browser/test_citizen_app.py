"""The citizens' web app in Chromium (issue 22 item 9 and its "Must show"), on a phone's
viewport with its position emulated: registering with a code by SMS, an SOS the control room
acknowledges (through the officers' API, as its console would), a trip started and ended, a
report with a photograph whose status the station changes, an SOS pressed without a connection
queued and sent when the connection returns, and the app in Telugu and in Urdu (right to left).
Each screen shown is judged by axe-core too (no serious or critical violation).

One citizens' surface for the module, served beside the officers' over the same runtime (as
``kotwal run`` serves both); each test its own browser context (its own cookie) and citizen.
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from kotwal.core.policy import Jurisdiction, Role
from kotwal.web.app import CITIZEN, create_app
from tests.alerts.helpers import register_demo_registry
from tests.browser.axe import assert_accessible
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    STEP_TIMEOUT_MS,
    LiveServer,
    PageWatch,
    screenshot,
)
from tests.citizen.helpers import sent_code
from tests.factories import Officer, issue_token
from tests.patrol.helpers import LAT0, LON0, station_a_map
from tests.serving import serve

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]

#: Inside station A's area on the map.
HERE = {"latitude": LAT0 + 0.004, "longitude": LON0 + 0.004, "accuracy": 15}
#: The SOS sends a position every 5 s; its acknowledgement shows at the next one.
SOS_TICK_MS = 5_000


@pytest.fixture(scope="module")
def citizens_url(live_server: LiveServer) -> Iterator[str]:
    """The citizens' surface for this module, on the live server's runtime, with the demo SMS
    registry (login codes go out through its OTP template) and station A on the map."""
    runtime = live_server.runtime
    with runtime.db.transaction(write=False) as session:
        state = session.get(Jurisdiction, live_server.world.state)
        assert state is not None
        path = state.path
    register_demo_registry(runtime, path)
    sho = _sho(live_server)
    if not _officers(live_server, sho, "GET", "/patrol/areas?kind=station_area"):
        _officers(live_server, sho, "POST", "/patrol/areas/import", json=station_a_map())
    # The lifespan stays off: the officers' server owns the runtime and closes it.
    app = create_app(runtime.settings, runtime, surface=CITIZEN)
    with serve(app, lifespan="off") as url:
        yield url


def _sho(server: LiveServer) -> Officer:
    return issue_token(
        server.runtime, server.officer(Role.STATION_HOUSE_OFFICER, posting=server.world.station_a)
    )


def _officers(server: LiveServer, officer: Officer, method: str, path: str, **kw: Any) -> Any:
    """The officers' API, as the control room's console calls it."""
    r = httpx.request(method, f"{server.url}/api/v1{path}", headers=officer.bearer, **kw)
    assert r.status_code < 300, r.text
    return r.json() if r.content else None


@pytest.fixture
def context(browser: Browser, citizens_url: str) -> Iterator[BrowserContext]:
    """A phone: 390 px wide, touch, its position where station A's area is."""
    ctx = browser.new_context(
        base_url=citizens_url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation=HERE,
        permissions=["geolocation"],
        locale="en-IN",
    )
    ctx.set_default_timeout(STEP_TIMEOUT_MS)
    yield ctx
    ctx.close()


def _look(page: Page, name: str) -> None:
    """A screenshot to look at, and axe-core's judgement of the screen: no serious or critical
    violation."""
    screenshot(page, name)
    assert_accessible(page)


def _mobile() -> str:
    return "98" + "".join(secrets.choice("0123456789") for _ in range(8))


def _log_in(page: Page, server: LiveServer, mobile: str | None = None) -> str:
    """Register (or log in) through the app: the number, the code from the SMS; the number."""
    mobile = mobile or _mobile()
    page.goto("/citizen/")
    page.locator("#langs button[data-lang=en]").click()
    page.fill("#mobile", mobile)
    page.get_by_role("button", name="Send code").click()
    expect(page.locator("#code")).to_be_visible()
    page.fill("#code", sent_code(server.runtime, mobile))
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#sos")).to_be_visible()
    return mobile


def _sos_id(page: Page) -> str:
    value = page.evaluate("localStorage.getItem('kotwal.sos')")
    assert value
    return str(value)


def test_register_with_a_code_and_an_sos_the_control_room_acknowledges(
    page: Page, live_server: LiveServer
) -> None:
    page.goto("/")  # the surface's address leads to the app
    expect(page).to_have_url(re.compile(r"/citizen/$"))
    page.locator("#langs button[data-lang=en]").click()
    expect(page.get_by_role("heading", name="Log in with your mobile number")).to_be_visible()
    _look(page, "citizen-login-390")
    mobile = _mobile()
    page.fill("#mobile", mobile)
    page.get_by_role("button", name="Send code").click()
    expect(page.locator("#code")).to_be_visible()
    page.fill("#code", sent_code(live_server.runtime, mobile))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Welcome! Your account is ready.")).to_be_visible()
    # No token is within a script's reach: the session is an HttpOnly cookie.
    assert page.evaluate("document.cookie") == ""
    assert "kc_" not in str(page.evaluate("JSON.stringify(localStorage)"))
    _look(page, "citizen-home-390")

    # One's name and an emergency contact, who is told by SMS when the SOS goes.
    page.get_by_role("link", name="My data").click()
    page.fill("#name", "Asha")
    page.get_by_role("button", name="Add a contact").click()
    page.locator("#contacts .c-name").fill("Amma")
    page.locator("#contacts .c-mobile").fill("9000011111")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    page.get_by_role("link", name="Police help").click()

    page.locator("#sos").click()
    status = page.locator("#sos-status")
    expect(status).to_have_attribute("data-state", "open")
    sos_id = _sos_id(page)
    sho = _sho(live_server)
    seen = _officers(live_server, sho, "GET", f"/citizen/sos/{sos_id}")
    assert seen["track"] and seen["track"][0]["lat"] == pytest.approx(HERE["latitude"])
    _look(page, "citizen-sos-sent-390")

    expect(page.locator("#sos-contacts")).to_have_text("1")
    _officers(live_server, sho, "POST", f"/citizen/sos/{sos_id}/acknowledge")
    expect(status).to_have_attribute("data-state", "acknowledged", timeout=3 * SOS_TICK_MS)
    expect(status).to_contain_text("Help is coming")
    # The app kept sending where the phone is: the first place, then at least one more.
    assert int(page.locator("#sos-positions").inner_text()) >= 2
    _look(page, "citizen-sos-acknowledged-390")

    page.locator("#safe").click()
    expect(status).to_have_attribute("data-state", "closed")
    assert _officers(live_server, sho, "GET", f"/citizen/sos/{sos_id}")["status"] == "closed"


def test_a_trip_started_and_ended_and_the_citizens_devices(
    page: Page, live_server: LiveServer
) -> None:
    _log_in(page, live_server)
    page.get_by_role("link", name="Safe trip").click()
    page.fill("#vehicle", "TS09 AB 1234")
    page.fill("#to", "Charminar bus stop")
    page.get_by_role("button", name="Start the trip").click()
    expect(page.locator("#trip-status")).to_have_attribute("data-state", "active")
    expect(page.locator("#trip-positions")).to_have_text("1")  # the start, sent at once
    trip_id = page.evaluate("localStorage.getItem('kotwal.trip')")
    sho = _sho(live_server)
    watched = _officers(live_server, sho, "GET", f"/citizen/trips/{trip_id}")
    assert watched["vehicle_number"] == "TS09 AB 1234" and watched["status"] == "active"
    _look(page, "citizen-trip-390")

    page.locator("#end-trip").click()
    expect(page.locator("#trip-ended")).to_be_visible()
    assert page.evaluate("localStorage.getItem('kotwal.trip')") is None
    _look(page, "citizen-trip-ended-390")

    # My devices: this browser, marked as the one asking; logging it out ends the session.
    page.goto("/citizen/#/devices")
    current = page.locator("#devices li[data-current=true]")
    expect(current).to_contain_text("this device")
    # Who has looked at my data: the station house officer who opened the trip above.
    page.goto("/citizen/#/data")
    expect(page.locator("#reads")).to_contain_text("Station House Officer · a trip")
    _look(page, "citizen-my-data-390")
    page.goto("/citizen/#/devices")
    current.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    expect(page.locator("#mobile")).to_be_visible()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 160)).save(out, "JPEG", quality=80)
    return out.getvalue()


def test_a_report_with_a_photo_and_its_status_changed_by_the_station(
    page: Page, live_server: LiveServer
) -> None:
    _log_in(page, live_server)
    page.get_by_role("link", name="Report to police").click()
    page.select_option("#kind", "traffic_violation")
    page.fill("#description", "A lorry parked across the school gate every morning.")
    page.fill("#report-vehicle", "TS10 UA 5678")
    page.set_input_files(
        "#photo", files=[{"name": "lorry.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )
    _look(page, "citizen-report-form-390")
    page.get_by_role("button", name="Send").click()
    status = page.locator("#report-status")
    expect(status).to_have_attribute("data-state", "new")
    expect(page.locator("#report-photos")).to_have_text("1")
    report_id = page.url.rsplit("/", 1)[1]

    sho = _sho(live_server)
    seen = _officers(live_server, sho, "GET", f"/citizen/reports/{report_id}")
    assert seen["kind"] == "traffic_violation" and len(seen["photos"]) == 1
    body = {"status": "action_taken", "note": "Challan issued.", "version": seen["version"]}
    _officers(live_server, sho, "POST", f"/citizen/reports/{report_id}/status", json=body)

    page.locator("#refresh").click()
    expect(status).to_have_attribute("data-state", "action_taken")
    expect(page.locator("ol.course")).to_contain_text("Challan issued.")
    _look(page, "citizen-report-status-390")
    page.get_by_role("link", name="My reports").click()
    expect(page.locator("#reports")).to_contain_text("Action taken")


def test_an_sos_pressed_offline_is_queued_and_sent_when_the_connection_returns(
    page: Page, context: BrowserContext, live_server: LiveServer, watch: PageWatch
) -> None:
    _log_in(page, live_server)
    # The service worker keeps the shell, so that the app opens without a connection.
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    # Installable, as Chromium judges it: its manifest read without error and nothing missing
    # but a profile that is not incognito (Playwright's contexts are).
    cdp = context.new_cdp_session(page)
    assert cdp.send("Page.getAppManifest")["errors"] == []
    refused = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [e["errorId"] for e in refused] in ([], ["in-incognito"])
    cdp.detach()
    context.set_offline(True)
    page.reload()
    expect(page.locator("#sos")).to_be_visible()
    expect(page.locator("#offline")).to_be_visible()
    page.locator("#sos").click()
    status = page.locator("#sos-status")
    expect(status).to_have_attribute("data-state", "queued")
    kept = page.evaluate("JSON.parse(localStorage.getItem('kotwal.sosPending'))")
    assert set(kept) == {"at", "lat", "lon", "accuracy"}  # the time and place, nothing else
    _look(page, "citizen-sos-queued-390")

    context.set_offline(False)
    # A phone's browser says "online" when the connection returns; Playwright's emulation
    # only flips navigator.onLine, so the test says it (the app also retries on its own).
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status).to_have_attribute("data-state", "open")
    assert page.evaluate("localStorage.getItem('kotwal.sosPending')") is None
    seen = _officers(live_server, _sho(live_server), "GET", f"/citizen/sos/{_sos_id(page)}")
    assert seen["status"] == "open"
    assert seen["track"][0]["at"].startswith(kept["at"][:19])  # the moment it was pressed
    page.locator("#safe").click()
    expect(status).to_have_attribute("data-state", "closed")
    # The requests that failed while there was no connection are expected here, nothing else.
    offline = ("net::ERR_INTERNET_DISCONNECTED", "net::ERR_FAILED")
    watch.problems = [p for p in watch.problems if not p.endswith(offline)]


def test_the_app_in_telugu_and_in_urdu_right_to_left(page: Page, live_server: LiveServer) -> None:
    _log_in(page, live_server)
    page.locator("#langs button[data-lang=te]").click()
    expect(page.locator("html")).to_have_attribute("lang", "te")
    expect(page.get_by_role("heading", name="సహాయం కావాలా?")).to_be_visible()
    _look(page, "citizen-home-te-390")
    page.locator("#langs button[data-lang=ur]").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", name="مدد چاہیے؟")).to_be_visible()
    # Right to left: the first tile sits at the right.
    tiles = page.locator(".tiles li")
    first, second = tiles.nth(0).bounding_box(), tiles.nth(1).bounding_box()
    assert first and second and first["x"] > second["x"]
    _look(page, "citizen-home-ur-390")
    page.get_by_role("link", name="پولیس کو شکایت").click()
    _look(page, "citizen-report-form-ur-390")
    # The chosen language stays with the browser.
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "ur")
    page.set_viewport_size(DESKTOP)
    page.locator("#langs button[data-lang=te]").click()
    page.goto("/citizen/#/")
    expect(page.locator("#sos")).to_be_visible()
    _look(page, "citizen-home-te-1280")
