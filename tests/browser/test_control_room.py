"""The control room's live map in Chromium: it loads with the station's area, beats and units
drawn from the package's own Leaflet (no request leaves the server's origin), a unit's marker
moves as its tracker's pings arrive, a dispatched incident turns the unit's status on screen,
and a constable's map has the units but not where they are. Screenshots at desktop and phone
width go to test-artifacts/browser/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import Page, Request, expect
from sqlalchemy import update

from kotwal.core.policy import Role
from kotwal.patrol import coverage
from kotwal.patrol.models import PatrolArea
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, screenshot
from tests.browser.test_console_flow import log_in_fully
from tests.factories import FACTORY, Officer, issue_token
from tests.patrol.helpers import LAT0, LON0, station_a_map

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


def _api(server: LiveServer, officer: Officer, method: str, path: str, **kw: Any) -> Any:
    r = httpx.request(method, f"{server.url}/api/v1/patrol{path}", headers=officer.bearer, **kw)
    assert r.status_code < 300, r.text
    return r.json() if r.content else None


@pytest.fixture
def sho(live_server: LiveServer) -> Officer:
    """Station A's SHO, with the station's area and beats on the map (imported once)."""
    officer = issue_token(
        live_server.runtime,
        live_server.officer(Role.STATION_HOUSE_OFFICER, posting=live_server.world.station_a),
    )
    if not _api(live_server, officer, "GET", "/areas?kind=station_area"):
        _api(live_server, officer, "POST", "/areas/import", json=station_a_map())
    return officer


def _unit_on_the_road(server: LiveServer, sho: Officer, call_sign: str) -> tuple[str, str]:
    """An available unit of station A with a tracker; its id and token."""
    number = f"TS09PC{abs(hash(call_sign)) % 9000 + 1000}"
    unit = _api(
        server,
        sho,
        "POST",
        "/units",
        json={
            "call_sign": call_sign,
            "vehicle_number": number,
            "kind": "patrol_car",
            "station_id": server.world.station_a,
        },
    )
    _api(server, sho, "POST", f"/units/{unit['id']}/status", json={"status": "available"})
    token = _api(server, sho, "POST", f"/units/{unit['id']}/devices", json={"label": "phone"})
    return unit["id"], token["token"]


def _ping(server: LiveServer, token: str, lat: float, lon: float) -> None:
    r = httpx.get(
        f"{server.url}/api/v1/patrol/osmand", params={"id": token, "lat": lat, "lon": lon}
    )
    assert r.status_code == 200


def _centre(page: Page, selector: str) -> tuple[float, float]:
    """Where an element's centre is on the map, from the station area's corner (so that the
    page around the map may shift without moving the answer)."""
    box = page.locator(selector).bounding_box()
    area = page.locator("path.station-area").bounding_box()
    assert box is not None and area is not None, selector
    return box["x"] + box["width"] / 2 - area["x"], box["y"] + box["height"] / 2 - area["y"]


def test_the_map_follows_pings_and_dispatch(
    page: Page, live_server: LiveServer, sho: Officer
) -> None:
    origins: set[str] = set()

    def on_request(request: Request) -> None:
        origins.add(urlparse(request.url).netloc)

    page.on("request", on_request)
    unit_id, token = _unit_on_the_road(live_server, sho, "CR-MOVE-1")
    _ping(live_server, token, LAT0 + 0.005, LON0 + 0.004)
    page.set_viewport_size(DESKTOP)
    log_in_fully(page, sho)
    page.goto("/patrol/control")
    expect(page).to_have_title("Control room · kotwal")
    row = page.locator(f"#unit-list tr[data-unit-id='{unit_id}']")
    expect(row).to_have_attribute("data-status", "available")
    marker = f"path.unit-{unit_id}"
    expect(page.locator(marker)).to_be_visible()
    expect(page.locator("path.station-area")).to_have_count(1)
    expect(page.locator("path.beat-area")).to_have_count(2)
    expect(page.locator("#control-state")).to_contain_text("Live")
    before = _centre(page, marker)

    # The unit drives ~500 m east: the marker follows within a tick or two.
    _ping(live_server, token, LAT0 + 0.005, LON0 + 0.009)
    expect(row).to_have_attribute("data-lon", "78.479", timeout=5000)
    page.wait_for_function(
        "([sel, x]) => { const b = document.querySelector(sel).getBoundingClientRect();"
        " const a = document.querySelector('path.station-area').getBoundingClientRect();"
        " return Math.abs(b.x + b.width / 2 - a.x - x) > 20; }",
        arg=[marker, before[0]],
    )
    after = _centre(page, marker)
    assert after[0] > before[0] + 20 and abs(after[1] - before[1]) < 5

    # A call comes in nearby and the dispatcher sends the unit: its status turns on screen.
    incident = _api(
        live_server,
        sho,
        "POST",
        "/incidents",
        json={
            "source": "dial_112",
            "category": "accident",
            "priority": 1,
            "lat": LAT0 + 0.006,
            "lon": LON0 + 0.008,
        },
    )
    item = page.locator(f"#incident-queue li[data-incident-id='{incident['id']}']")
    expect(item).to_have_attribute("data-status", "open")
    expect(page.locator(f"path.incident-{incident['id']}")).to_be_visible()
    _api(live_server, sho, "POST", f"/incidents/{incident['id']}/assign", json={"unit_id": unit_id})
    expect(row).to_have_attribute("data-status", "dispatched")
    expect(row).to_contain_text("dispatched")
    expect(item).to_have_attribute("data-status", "assigned")
    expect(item).to_contain_text("CR-MOVE-1")
    screenshot(page, "control-room-desktop")
    page.set_viewport_size(PHONE)
    expect(page.locator(marker)).to_be_visible()
    screenshot(page, "control-room-phone")
    # Nothing was asked of any origin but the server's own: Leaflet and its CSS are ours.
    assert origins == {urlparse(live_server.url).netloc}


def test_a_constable_sees_units_but_not_where_they_are(
    page: Page, live_server: LiveServer, sho: Officer
) -> None:
    unit_id, token = _unit_on_the_road(live_server, sho, "CR-HIDDEN-1")
    _ping(live_server, token, LAT0 + 0.003, LON0 + 0.003)
    constable = live_server.officer(Role.CONSTABLE, posting=live_server.world.station_a)
    page.set_viewport_size(DESKTOP)
    log_in_fully(page, constable)
    page.goto("/patrol/control")
    row = page.locator(f"#unit-list tr[data-unit-id='{unit_id}']")
    expect(row).to_have_attribute("data-status", "available")
    expect(page.locator("#control-state")).to_contain_text("Live")
    page.wait_for_timeout(1500)  # a tick or two more: still no position arrives
    _ping(live_server, token, LAT0 + 0.004, LON0 + 0.004)
    page.wait_for_timeout(1500)
    assert page.locator("path.unit-marker").count() == 0
    assert row.get_attribute("data-lat") is None
    expect(page.locator(".control-side")).to_contain_text("where they are is for those")


def test_the_response_times_chart_holds_under_the_csp(
    page: Page, live_server: LiveServer, sho: Officer
) -> None:
    incident = _api(
        live_server,
        sho,
        "POST",
        "/incidents",
        json={
            "source": "dial_100",
            "category": "theft",
            "priority": 3,
            "lat": LAT0 + 0.004,
            "lon": LON0 + 0.004,
        },
    )
    unit_id, _token = _unit_on_the_road(live_server, sho, "CR-RESP-1")
    _api(live_server, sho, "POST", f"/incidents/{incident['id']}/assign", json={"unit_id": unit_id})
    _api(
        live_server, sho, "POST", f"/incidents/{incident['id']}/status", json={"status": "on_scene"}
    )
    page.set_viewport_size(DESKTOP)
    log_in_fully(page, sho)
    page.goto("/patrol/response?days=7")
    expect(page).to_have_title("Response times · kotwal")
    expect(page.locator("#response-chart rect").first).to_be_visible()
    screenshot(page, "response-times-desktop")


def test_an_uncovered_beat_is_shown_to_the_station_house_officer(
    page: Page, live_server: LiveServer, sho: Officer
) -> None:
    runtime = live_server.runtime
    with runtime.db.transaction(write=True) as session:  # the map was drawn five hours ago
        session.execute(
            update(PatrolArea).values(created_at=datetime.now(UTC) - timedelta(hours=5))
        )
    coverage.check_uncovered(runtime, FACTORY)
    beats = {a["code"]: a["id"] for a in _api(live_server, sho, "GET", "/areas?kind=beat")}
    page.set_viewport_size(DESKTOP)
    log_in_fully(page, sho)
    page.goto("/patrol/control")
    item = page.locator(f"#uncovered-list li[data-beat-id='{beats['PS-A-B02']}']")
    expect(item).to_contain_text("PS-A-B02")
    expect(page.locator("#uncovered")).to_be_visible()
    screenshot(page, "control-room-uncovered-desktop")


def test_the_check_in_sheet_draws_its_qr_codes(
    page: Page, live_server: LiveServer, sho: Officer
) -> None:
    page.set_viewport_size(DESKTOP)
    log_in_fully(page, sho)
    page.goto("/patrol")
    page.get_by_role("link", name="Today's check-in codes").click()
    expect(page).to_have_title("Check-in codes · kotwal")
    card = page.locator(".code-card").first
    expect(card).to_contain_text("KPC1.")
    assert page.evaluate("() => document.querySelector('.code-card img').naturalWidth") > 0
    screenshot(page, "checkin-codes-desktop")
