"""Photographs of persons over the API: added by the person's station, listed and downloaded
through the gate (audited), retired instead of deleted, sealed at rest."""

from __future__ import annotations

import hashlib
import io

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import text

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import World, issue_token, make_officer
from tests.helpers import audit_events
from tests.photos.helpers import CAMERA, add_photo, jpeg_with_gps, png, upload
from tests.records_helpers import file_person


def test_station_adds_a_photo_and_reads_its_metadata(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    created = add_photo(client, si, person["id"], jpeg_with_gps(120, 80))
    assert created["owner_kind"] == "person" and created["owner_id"] == person["id"]
    assert (created["format"], created["width"], created["height"]) == ("jpeg", 120, 80)
    assert created["url"] == f"/api/v1/photos/{created['id']}"
    assert created["retired_at"] is None and len(created["id"]) == 36
    listed = client.get(f"/api/v1/persons/{person['id']}/photos", headers=si.bearer)
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()["items"]] == [created["id"]]
    assert len(audit_events(runtime, "record.create", resource_type="photo")) == 1


def test_download_returns_the_cleaned_picture_with_safe_headers(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    created = add_photo(client, si, person["id"], jpeg_with_gps(120, 80, orientation=6))
    r = client.get(created["url"], headers=si.bearer)
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/jpeg"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert hashlib.sha256(r.content).hexdigest() == created["sha256"]
    picture = Image.open(io.BytesIO(r.content))
    assert picture.size == (80, 120)  # orientation 6 applied to the pixels
    assert (created["width"], created["height"]) == (80, 120)
    assert CAMERA.encode() not in r.content and dict(picture.getexif()) == {}
    assert len(audit_events(runtime, "record.disclose", resource_type="photo_image")) == 1


def test_png_stays_png(client: TestClient, runtime: Runtime, world: World) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    created = add_photo(client, si, person["id"], png())
    r = client.get(created["url"], headers=si.bearer)
    assert created["format"] == "png" and r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG")


def test_the_picture_is_sealed_at_rest(client: TestClient, runtime: Runtime, world: World) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    created = add_photo(client, si, person["id"], png(64, 64))
    served = client.get(created["url"], headers=si.bearer).content
    with runtime.db.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT image FROM photos WHERE id = :id"), {"id": created["id"]}
        ).scalar_one()
    stored = bytes(stored)
    assert served not in stored and b"PNG" not in stored and b"IDAT" not in stored
    assert len(stored) >= len(served)  # the whole picture is in there, encrypted


def test_reading_outside_the_jurisdiction_with_a_purpose_is_allowed_and_flagged(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    created = add_photo(client, si, person["id"], png())
    far = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_c))
    r = client.get(
        created["url"],
        params={"purpose": "complaint: identification (FIR PS-C/2026/17)"},
        headers=far.bearer,
    )
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
    (event,) = audit_events(runtime, "record.disclose", resource_type="photo_image")
    assert event.purpose == "complaint: identification (FIR PS-C/2026/17)"
    assert '"out_of_jurisdiction":true' in event.detail.replace(" ", "")


def test_listing_outside_the_jurisdiction_masks_metadata_until_a_purpose(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    add_photo(client, si, person["id"], png())
    far = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_c))
    url = f"/api/v1/persons/{person['id']}/photos"
    (masked,) = client.get(url, headers=far.bearer).json()["items"]
    assert masked["sha256"] == {"masked": True} and masked["width"] == {"masked": True}
    (shown,) = client.get(
        url, params={"purpose": "complaint: matching a suspect"}, headers=far.bearer
    ).json()["items"]
    assert shown["format"] == "png"


def test_a_photo_follows_its_person_to_another_station(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    circle = issue_token(runtime, make_officer(runtime, Role.CIRCLE_OFFICER, posting=world.circle))
    person = file_person(client, circle, world.station_a)
    created = add_photo(client, circle, person["id"], png())
    at_b = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_b))
    assert client.get(created["url"], headers=at_b.bearer).status_code == 403
    moved = client.patch(
        f"/api/v1/persons/{person['id']}",
        json={"expected_version": 1, "station_id": world.station_b},
        headers=circle.bearer,
    )
    assert moved.status_code == 200, moved.text
    assert client.get(created["url"], headers=at_b.bearer).status_code == 200


def test_retire_keeps_the_row_but_stops_serving_it(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    created = add_photo(client, si, person["id"], png())
    r = client.post(
        f"/api/v1/photos/{created['id']}/retire",
        json={"reason": "poor likeness, replaced"},
        headers=si.bearer,
    )
    assert r.status_code == 200, r.text
    assert r.json()["retired_at"] is not None
    assert r.json()["retired_reason"] == "poor likeness, replaced"
    assert client.get(created["url"], headers=si.bearer).status_code == 404
    url = f"/api/v1/persons/{person['id']}/photos"
    assert client.get(url, headers=si.bearer).json()["items"] == []
    kept = client.get(url, params={"include_retired": "true"}, headers=si.bearer).json()["items"]
    assert [p["id"] for p in kept] == [created["id"]]
    assert len(audit_events(runtime, "record.retire", resource_type="photo")) == 1
    again = client.post(
        f"/api/v1/photos/{created['id']}/retire", json={"reason": "twice over"}, headers=si.bearer
    )
    assert again.status_code == 404


def test_retire_needs_a_reason_and_refuses_unknown_fields(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    created = add_photo(client, si, person["id"], png())
    url = f"/api/v1/photos/{created['id']}/retire"
    assert client.post(url, json={}, headers=si.bearer).status_code == 422
    extra = client.post(url, json={"reason": "wrong person", "delete": True}, headers=si.bearer)
    assert extra.status_code == 422
    assert client.get(created["url"], headers=si.bearer).status_code == 200


def test_another_station_cannot_add_or_retire(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    created = add_photo(client, si, person["id"], png())
    other = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_b))
    r = upload(client, other, person["id"], png())
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    retire = client.post(
        f"/api/v1/photos/{created['id']}/retire",
        json={"reason": "not mine to retire"},
        headers=other.bearer,
    )
    assert retire.status_code == 403
    listed = client.get(f"/api/v1/persons/{person['id']}/photos", headers=si.bearer).json()
    assert len(listed["items"]) == 1 and listed["items"][0]["retired_at"] is None


def test_upload_for_an_unknown_person_is_404(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    r = upload(client, si, "00000000-0000-4000-8000-000000000000", png())
    assert r.status_code == 404


def test_the_upload_route_accepts_a_photo_larger_than_the_general_body_cap(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    noisy = Image.effect_noise((900, 900), 80).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, format="PNG")
    data = out.getvalue()
    assert len(data) > runtime.settings.max_body_bytes
    created = add_photo(client, si, person["id"], data)
    assert (created["width"], created["height"]) == (900, 900)
    # ... while the person's other routes keep the small cap.
    big = client.patch(
        f"/api/v1/persons/{person['id']}",
        content=b"{" + b" " * runtime.settings.max_body_bytes + b"}",
        headers={**si.bearer, "content-type": "application/json"},
    )
    assert big.status_code == 413


def test_an_altered_digest_is_an_integrity_failure_not_a_picture(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    created = add_photo(client, si, person["id"], png())
    with runtime.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE photos SET sha256 = :digest WHERE id = :id"),
            {"digest": "0" * 64, "id": created["id"]},
        )
    r = client.get(created["url"], headers=si.bearer)
    assert r.status_code == 500
    assert r.json()["type"] == "urn:kotwal:problem:integrity-failure"
    assert not r.content.startswith(b"\x89PNG")
    assert len(audit_events(runtime, "record.integrity_failure", resource_type="photo")) == 1


def test_a_person_has_at_most_twenty_photographs_in_use(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    from kotwal.photos.service import MAX_ACTIVE_PER_OWNER

    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    first = [add_photo(client, si, person["id"], png(8, 8)) for _ in range(MAX_ACTIVE_PER_OWNER)]
    refused = upload(client, si, person["id"], png(8, 8))
    assert refused.status_code == 409
    client.post(
        f"/api/v1/photos/{first[0]['id']}/retire", json={"reason": "make room"}, headers=si.bearer
    )
    assert upload(client, si, person["id"], png(8, 8)).status_code == 201
