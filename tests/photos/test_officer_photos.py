"""Photographs of officers: the same store, checks and gate as persons' photographs, under the
force domain's permissions (station command adds them, those cleared for personal data see
them) and placed in the unit of the officer's current posting."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.testclient import TestClient

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import Officer, World, issue_token, make_officer
from tests.photos.helpers import jpeg_with_gps, png
from tests.records_helpers import file_person


def _file_officer(client: TestClient, sho: Officer, unit: str) -> dict[str, Any]:
    r = client.post(
        "/api/v1/officers",
        json={
            "name": "Test Officer " + secrets.token_hex(3),
            "rank": "sub_inspector",
            "belt_number": "TS-" + secrets.token_hex(3).upper(),
            "unit_id": unit,
            "posted_on": "2024-06-01",
        },
        headers=sho.bearer,
    )
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def _upload(client: TestClient, who: Officer, officer_id: str, data: bytes) -> Any:
    return client.post(
        f"/api/v1/officers/{officer_id}/photos",
        files={"file": ("id-card.jpg", data, "image/jpeg")},
        headers=who.bearer,
    )


def test_station_command_adds_an_officer_photo_and_a_colleague_downloads_it(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = issue_token(
        runtime, make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    )
    officer = _file_officer(client, sho, world.station_a)
    r = _upload(client, sho, officer["id"], jpeg_with_gps())
    assert r.status_code == 201, r.text
    photo = r.json()
    assert photo["owner_kind"] == "officer"
    assert photo["url"] == f"/api/v1/officer-photos/{photo['id']}"
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    listed = client.get(f"/api/v1/officers/{officer['id']}/photos", headers=si.bearer).json()
    assert [p["id"] for p in listed["items"]] == [photo["id"]]
    picture = client.get(photo["url"], headers=si.bearer)
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
    assert b"Exif" not in picture.content


def test_a_sub_inspector_cannot_add_an_officer_photo(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = issue_token(
        runtime, make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    )
    officer = _file_officer(client, sho, world.station_a)
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    assert _upload(client, si, officer["id"], png()).status_code == 403


def test_another_stations_command_cannot_add_and_needs_a_purpose_to_see(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = issue_token(
        runtime, make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    )
    officer = _file_officer(client, sho, world.station_a)
    photo = _upload(client, sho, officer["id"], png()).json()
    other = issue_token(
        runtime, make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_c)
    )
    assert _upload(client, other, officer["id"], png()).status_code == 403
    refused = client.get(photo["url"], headers=other.bearer)
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:kotwal:problem:purpose-required"
    allowed = client.get(
        photo["url"],
        params={"purpose": "verification: an officer's identity"},
        headers=other.bearer,
    )
    assert allowed.status_code == 200


def test_person_and_officer_photo_ids_do_not_cross_routes(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = issue_token(
        runtime, make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    )
    officer = _file_officer(client, sho, world.station_a)
    officer_photo = _upload(client, sho, officer["id"], png()).json()
    person = file_person(client, sho, world.station_a)
    person_photo = client.post(
        f"/api/v1/persons/{person['id']}/photos",
        files={"file": ("p.png", png(), "image/png")},
        headers=sho.bearer,
    ).json()
    assert (
        client.get(f"/api/v1/photos/{officer_photo['id']}", headers=sho.bearer).status_code == 404
    )
    crossed = client.get(f"/api/v1/officer-photos/{person_photo['id']}", headers=sho.bearer)
    assert crossed.status_code == 404
    retire = client.post(
        f"/api/v1/photos/{officer_photo['id']}/retire",
        json={"reason": "wrong route entirely"},
        headers=sho.bearer,
    )
    assert retire.status_code == 404
    ok = client.post(
        f"/api/v1/officer-photos/{officer_photo['id']}/retire",
        json={"reason": "new identity card photo"},
        headers=sho.bearer,
    )
    assert ok.status_code == 200 and ok.json()["retired_at"] is not None


def test_a_constable_cannot_see_officer_photos(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = issue_token(
        runtime, make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    )
    officer = _file_officer(client, sho, world.station_a)
    photo = _upload(client, sho, officer["id"], png()).json()
    constable = issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))
    assert client.get(photo["url"], headers=constable.bearer).status_code == 403
