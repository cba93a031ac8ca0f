"""Citizens' reports and anonymous tips (issue 22 item 4): routed to the station whose area
holds the place (misconduct to the district above), moved along FixMyStreet's course with the
citizen told at each change, photographs re-encoded without metadata after their position is
read, anonymous tips limited without keeping who sent them."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from kotwal.citizen.models import CitizenReport, CitizenReportPhoto
from kotwal.core.crypto import open_field
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.citizen.helpers import API, LoggedIn, device, log_in
from tests.factories import Officer, World, api_officer
from tests.helpers import audit_events
from tests.patrol.helpers import LAT0, LON0, import_map, station_a_map

HERE = {"lat": LAT0 + 0.004, "lon": LON0 + 0.004}
OFFICERS = "/api/v1/citizen/reports"


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), "red")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (17.0, 21.0, 36.0), 3: "E", 4: (78.0, 28.0, 12.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def _report(kind: str = "crime_information", **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "description": "Chain snatching near the bus stop", **HERE, **extra}


@pytest.fixture
def sho(client: TestClient, runtime: Runtime, world: World) -> Officer:
    """Station A's SHO, with the station's area on the map."""
    officer = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    assert import_map(client, officer, station_a_map()).status_code == 201
    return officer


def _filed(citizens: TestClient, me: LoggedIn, **body: Any) -> dict[str, Any]:
    r = citizens.post(f"{API}/reports", json=_report(**body), headers=me.bearer)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_report_goes_to_the_station_and_its_citizen_is_told_at_each_change(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    filed = _filed(citizens, me)
    assert filed["status"] == "new" and filed["station"]
    assert [step["status"] for step in filed["course"]] == ["new"]

    [queued] = client.get(OFFICERS, headers=sho.bearer).json()
    assert queued["id"] == filed["id"] and queued["station_id"] == world.station_a
    assert queued["description"] == "Chain snatching near the bus stop"
    assert queued["citizen_id"] == me.citizen_id
    url = f"{OFFICERS}/{filed['id']}/status"
    version = queued["version"]
    for status, note in [
        ("confirmed", None),
        ("investigating", "An officer will call you."),
        ("action_taken", None),
        ("closed", None),
    ]:
        body = {"status": status, "version": version, **({"note": note} if note else {})}
        r = client.post(url, json=body, headers=sho.bearer)
        assert r.status_code == 200, r.text
        version = r.json()["version"]
        mine = citizens.get(f"{API}/reports/{filed['id']}", headers=me.bearer).json()
        assert mine["status"] == status
        assert mine["course"][-1]["status"] == status
    notes = [step["note"] for step in mine["course"]]
    assert "An officer will call you." in notes and "The police have taken action." in notes
    assert all("by_name" not in step for step in mine["course"])  # not who moved it
    # Its course has ended: nothing moves it on, and a stale version is refused.
    r = client.post(url, json={"status": "investigating", "version": version}, headers=sho.bearer)
    assert r.status_code == 409
    assert len(audit_events(runtime, "citizen_report.move", outcome="success")) == 4


def test_a_stale_version_and_a_bad_duplicate_are_refused(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    first = _filed(citizens, me)
    second = _filed(citizens, me)
    url = f"{OFFICERS}/{second['id']}/status"
    r = client.post(url, json={"status": "confirmed", "version": 7}, headers=sho.bearer)
    assert r.status_code == 409
    r = client.post(url, json={"status": "duplicate", "version": 1}, headers=sho.bearer)
    assert r.status_code == 422
    r = client.post(
        url,
        json={"status": "duplicate", "version": 1, "duplicate_of": first["id"]},
        headers=sho.bearer,
    )
    assert r.status_code == 200 and r.json()["duplicate_of"] == first["id"]
    mine = citizens.get(f"{API}/reports/{second['id']}", headers=me.bearer).json()
    assert mine["status"] == "duplicate"
    r = client.post(url, json={"status": "new", "version": 2}, headers=sho.bearer)
    assert r.status_code == 409


def test_misconduct_goes_to_the_district_not_the_station(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    filed = _filed(citizens, me, kind="police_misconduct")
    assert client.get(OFFICERS, headers=sho.bearer).json() == []
    chief = api_officer(runtime, Role.DISTRICT_CHIEF, world.district)
    [queued] = client.get(OFFICERS, headers=chief.bearer).json()
    assert queued["id"] == filed["id"] and queued["station_id"] == world.district


def test_who_may_read_and_move_reports(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    filed = _filed(citizens, log_in(citizens, runtime), kind="crime_against_women")
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    assert client.get(OFFICERS, headers=constable.bearer).status_code == 403
    other = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_b)
    assert client.get(OFFICERS, headers=other.bearer).json() == []
    assert client.get(f"{OFFICERS}/{filed['id']}", headers=other.bearer).status_code == 404
    r = client.post(
        f"{OFFICERS}/{filed['id']}/status",
        json={"status": "confirmed", "version": 1},
        headers=other.bearer,
    )
    assert r.status_code == 403
    assert audit_events(runtime, "citizen_report.move", outcome="denied")


def test_a_photo_is_stripped_of_its_metadata_after_its_position_is_read(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    filed = _filed(citizens, me, kind="traffic_violation", vehicle_number="ts09 ea 1234")
    assert filed["vehicle_number"] == "TS09 EA 1234"
    photo = _jpeg_with_gps()
    files = {"file": ("violation.jpg", photo, "image/jpeg")}
    r = citizens.post(f"{API}/reports/{filed['id']}/photos", files=files, headers=me.bearer)
    assert r.status_code == 201, r.text
    assert r.json()["position_read"] is True and r.json()["format"] == "jpeg"
    seen = client.get(f"{OFFICERS}/{filed['id']}", headers=sho.bearer).json()
    [shown] = seen["photos"]
    assert shown["taken_place"] == "17.360000,78.470000"
    r = client.get(f"{OFFICERS}/{filed['id']}/photos/{shown['id']}", headers=sho.bearer)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert b"Exif" not in r.content and b"GPS" not in r.content
    assert Image.open(io.BytesIO(r.content)).getexif().get_ifd(0x8825) == {}
    with UnitOfWork(runtime, write=False) as uow:
        [row] = uow.session.execute(select(CitizenReportPhoto)).scalars()
        stored = bytes(open_field(uow.session, row, "image"))
        assert b"Exif" not in stored and stored[:2] == b"\xff\xd8"
        assert b"\xff\xd8" not in bytes(row.image)[:64]  # sealed, not the JPEG itself
    # Not an image: refused, nothing stored, the refusal audited.
    files = {"file": ("x.jpg", b"GIF89a" + b"\0" * 100, "image/jpeg")}
    r = citizens.post(f"{API}/reports/{filed['id']}/photos", files=files, headers=me.bearer)
    assert r.status_code in (415, 422)
    assert audit_events(runtime, "citizen_report.photo", outcome="failure")
    with runtime.db.transaction(write=False) as s:
        assert len(s.execute(select(CitizenReportPhoto)).scalars().all()) == 1


def test_an_anonymous_tip_keeps_no_one_and_is_limited(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    installation = device()
    tip = {**_report(kind="crime_information"), "device": installation}
    r = citizens.post(f"{API}/tips", json=tip)
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt"]
    assert r.json()["anonymous"] is True
    [queued] = client.get(OFFICERS, headers=sho.bearer).json()
    assert queued["citizen_id"] is None and queued["anonymous"] is True
    with runtime.db.transaction(write=False) as s:
        row = s.get(CitizenReport, queued["id"])
        assert row is not None and row.receipt_hash is not None
        assert receipt not in (row.receipt_hash or "") and "testclient" not in str(row.limit_key)

    r = client.post(
        f"{OFFICERS}/{queued['id']}/status",
        json={"status": "confirmed", "version": 1},
        headers=sho.bearer,
    )
    assert r.status_code == 200
    followed = citizens.post(f"{API}/tips/status", json={"receipt": receipt})
    assert followed.status_code == 200 and followed.json()["status"] == "confirmed"
    wrong = citizens.post(f"{API}/tips/status", json={"receipt": "kt_" + "A" * 32})
    assert wrong.status_code == 404

    for _ in range(2):
        assert citizens.post(f"{API}/tips", json=tip).status_code == 201
    assert citizens.post(f"{API}/tips", json=tip).status_code == 429  # per device (3)
    assert audit_events(runtime, "citizen_report.tip", outcome="denied")


def test_a_report_nowhere_near_a_station_is_refused(
    citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    body = _report(lat=LAT0 + 2, lon=LON0 + 2)
    r = citizens.post(f"{API}/reports", json=body, headers=me.bearer)
    assert r.status_code == 422
    assert citizens.get(f"{API}/reports", headers=me.bearer).json() == []


def test_another_citizens_token_gets_404_for_someones_report(
    citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    victim = log_in(citizens, runtime)
    filed = _filed(citizens, victim)
    scraper = log_in(citizens, runtime, "9876500002")
    assert citizens.get(f"{API}/reports/{filed['id']}", headers=scraper.bearer).status_code == 404
    files = {"file": ("a.jpg", _jpeg_with_gps(), "image/jpeg")}
    r = citizens.post(f"{API}/reports/{filed['id']}/photos", files=files, headers=scraper.bearer)
    assert r.status_code == 404
    assert citizens.get(f"{API}/reports", headers=scraper.bearer).json() == []


def test_deleting_the_account_leaves_its_reports_without_the_pseudonym(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    filed = _filed(citizens, me)
    assert citizens.delete(f"{API}/account", headers=me.bearer).status_code == 200
    [queued] = client.get(OFFICERS, headers=sho.bearer).json()
    assert queued["id"] == filed["id"]
    assert queued["citizen_id"] is None and queued["anonymous"] is True
    assert queued["description"] == "Chain snatching near the bus stop"


def test_a_tenant_verification_is_routed_and_followed_through_its_own_course(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    body = {
        "kind": "tenant_verification",
        "name": "Ramesh Kumar",
        "relative_name": "Suresh Kumar",
        "mobile": "9000033333",
        "id_document": "XYZ9876543",
        "permanent_address": "12-3-45, Main Road, Warangal",
        "premises": "Flat 4, Sai Residency, our street",
        **HERE,
    }
    r = citizens.post(f"{API}/verifications", json=body, headers=me.bearer)
    assert r.status_code == 201, r.text
    filed = r.json()
    assert filed["kind"] == "tenant_verification" and filed["status"] == "new"
    assert "Ramesh Kumar" in filed["description"]

    [queued] = client.get(
        OFFICERS, params={"kind": "tenant_verification"}, headers=sho.bearer
    ).json()
    assert queued["id"] == filed["id"] and queued["station_id"] == world.station_a
    url = f"{OFFICERS}/{filed['id']}/status"
    # A report's states are not a verification's.
    r = client.post(url, json={"status": "investigating", "version": 1}, headers=sho.bearer)
    assert r.status_code == 422
    r = client.post(url, json={"status": "under_verification", "version": 1}, headers=sho.bearer)
    assert r.status_code == 200, r.text
    r = client.post(url, json={"status": "verified", "version": 2}, headers=sho.bearer)
    assert r.status_code == 200
    mine = citizens.get(f"{API}/reports/{filed['id']}", headers=me.bearer).json()
    assert [step["status"] for step in mine["course"]] == ["new", "under_verification", "verified"]
    assert "nothing adverse" in mine["course"][-1]["note"]
    r = client.post(url, json={"status": "rejected", "version": 3}, headers=sho.bearer)
    assert r.status_code == 409  # its course has ended
    # Not an anonymous tip's kind.
    tip = {**_report(), "kind": "tenant_verification", "device": device()}
    assert citizens.post(f"{API}/tips", json=tip).status_code == 422


def test_a_community_policing_sign_up_is_accepted_by_the_station(
    client: TestClient, citizens: TestClient, runtime: Runtime, world: World, sho: Officer
) -> None:
    me = log_in(citizens, runtime)
    body = {"interests": ["neighbourhood_watch", "women_safety"], **HERE}
    r = citizens.post(f"{API}/community", json=body, headers=me.bearer)
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "community_policing" and r.json()["status"] == "new"
    [queued] = client.get(
        OFFICERS, params={"kind": "community_policing"}, headers=sho.bearer
    ).json()
    url = f"{OFFICERS}/{queued['id']}/status"
    r = client.post(url, json={"status": "confirmed", "version": 1}, headers=sho.bearer)
    assert r.status_code == 422
    r = client.post(url, json={"status": "accepted", "version": 1}, headers=sho.bearer)
    assert r.status_code == 200, r.text
    mine = citizens.get(f"{API}/reports/{queued['id']}", headers=me.bearer).json()
    assert mine["status"] == "accepted" and "Welcome" in mine["course"][-1]["note"]
    bad = citizens.post(
        f"{API}/community", json={"interests": ["spying"], **HERE}, headers=me.bearer
    )
    assert bad.status_code == 422
