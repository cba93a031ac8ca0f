"""Photographs from the attacker's side: downloading without the permission, from another
station without a purpose, by guessing ids; uploading files that are not photographs (a
disguised file, a decompression bomb, an oversize file) to see whether anything sticks; and
looking for the uploader's location in what is served back. Each test attacks the live app."""

from __future__ import annotations

import functools
import io
import uuid

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.photos.models import Photo
from tests.factories import Officer, World, issue_token, make_officer
from tests.helpers import audit_events
from tests.photos.helpers import CAMERA, add_photo, jpeg_with_gps, png, upload
from tests.records_helpers import file_person

PROBLEM = "application/problem+json"


def _photo_rows(runtime: Runtime) -> int:
    with runtime.db.transaction(write=False) as session:
        return int(session.execute(select(func.count()).select_from(Photo)).scalar_one())


@pytest.fixture
def station_si(runtime: Runtime, world: World) -> Officer:
    return issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))


@pytest.fixture
def photo(client: TestClient, station_si: Officer, world: World) -> dict[str, str]:
    person = file_person(client, station_si, world.station_a)
    created = add_photo(client, station_si, person["id"], jpeg_with_gps())
    return {"person_id": person["id"], "id": created["id"], "url": created["url"]}


@pytest.mark.parametrize(
    "role", [Role.CONSTABLE, Role.AUDITOR, Role.SYSTEM_ADMIN, Role.SECURITY_OFFICER]
)
def test_download_without_the_permission_is_403_problem(
    client: TestClient, runtime: Runtime, world: World, photo: dict[str, str], role: Role
) -> None:
    posting = world.station_a if role == Role.CONSTABLE else None
    intruder = issue_token(runtime, make_officer(runtime, role, posting=posting))
    for params in ({}, {"purpose": "just curious about this one"}):
        r = client.get(photo["url"], params=params, headers=intruder.bearer)
        assert r.status_code == 403
        assert r.headers["content-type"].startswith(PROBLEM)
        assert not r.content.startswith(b"\xff\xd8")
    assert not audit_events(
        runtime, "record.disclose", outcome="success", actor_id=intruder.account_id
    )
    listing = client.get(f"/api/v1/persons/{photo['person_id']}/photos", headers=intruder.bearer)
    assert listing.status_code == 403


def test_anonymous_download_is_401(client: TestClient, photo: dict[str, str]) -> None:
    r = client.get(photo["url"])
    assert r.status_code == 401 and r.headers["content-type"].startswith(PROBLEM)


def test_another_station_needs_a_purpose_and_the_refusal_is_logged(
    client: TestClient, runtime: Runtime, world: World, photo: dict[str, str]
) -> None:
    far = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_c))
    r = client.get(photo["url"], headers=far.bearer)
    assert r.status_code == 403
    assert r.json()["type"] == "urn:kotwal:problem:purpose-required"
    assert not r.content.startswith(b"\xff\xd8")
    (denied,) = audit_events(runtime, "record.disclose", outcome="denied")
    assert denied.resource_id == photo["id"] and denied.actor_id == far.account_id
    assert not audit_events(runtime, "record.disclose", outcome="success", actor_id=far.account_id)
    blank = client.get(photo["url"], params={"purpose": "   "}, headers=far.bearer)
    assert blank.status_code == 403


def test_a_neighbouring_station_is_another_station(
    client: TestClient, runtime: Runtime, world: World, photo: dict[str, str]
) -> None:
    neighbour = issue_token(
        runtime, make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_b)
    )
    assert client.get(photo["url"], headers=neighbour.bearer).status_code == 403


def test_guessed_ids_are_404_and_indistinguishable(
    client: TestClient, runtime: Runtime, station_si: Officer, photo: dict[str, str]
) -> None:
    retired = add_photo(client, station_si, photo["person_id"], png())
    gone = client.post(
        f"/api/v1/photos/{retired['id']}/retire",
        json={"reason": "replaced by a better one"},
        headers=station_si.bearer,
    )
    assert gone.status_code == 200
    guesses = [
        str(uuid.uuid4()),
        photo["id"][:-1] + ("0" if photo["id"][-1] != "0" else "1"),
        photo["person_id"],  # a real id of something else
        retired["id"],  # a real photo, retired
        "1",
        "x" * 300,
    ]
    bodies = set()
    for guess in guesses:
        r = client.get(f"/api/v1/photos/{guess}", headers=station_si.bearer)
        assert r.status_code == 404, guess
        assert r.headers["content-type"].startswith(PROBLEM)
        bodies.add(r.content)
    assert len(bodies) == 1
    assert client.get(photo["url"], headers=station_si.bearer).status_code == 200


@functools.cache
def _bomb() -> bytes:
    """A real PNG of 20000 x 20000 pixels, made small by zero rows (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    side = 20_000
    compressor = zlib.compressobj(9)
    row = b"\x00" * (side + 1)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def _noisy_png(target: int) -> bytes:
    """A valid PNG just over ``target`` bytes (noise does not compress)."""
    side = int((target / 3) ** 0.5) + 64
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), bytes(range(256)) * (side * side * 3 // 256 + 1)).save(
        out, format="PNG", compress_level=0
    )
    return out.getvalue()


@pytest.mark.parametrize(
    ("case", "status", "problem"),
    [
        ("html", 415, "not-an-image"),
        ("gif", 415, "unsupported-image-type"),
        ("truncated", 422, "corrupt-image"),
        ("bomb", 413, "image-too-many-pixels"),
    ],
)
def test_a_bad_upload_leaves_nothing_behind(
    client: TestClient,
    runtime: Runtime,
    world: World,
    station_si: Officer,
    case: str,
    status: int,
    problem: str,
) -> None:
    person = file_person(client, station_si, world.station_a)
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    jpeg = jpeg_with_gps(600, 400)
    data = {
        # Named and typed as a JPEG: the name and content type are the sender's to choose.
        "html": b"<html><script>alert(document.cookie)</script></html>",
        "gif": gif.getvalue(),
        "truncated": jpeg[: len(jpeg) // 2],
        "bomb": _bomb(),
    }[case]
    before = len(audit_events(runtime, "record.create", outcome="success"))
    r = upload(client, station_si, person["id"], data, filename="face.jpg")
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["type"] == f"urn:kotwal:problem:{problem}"
    assert _photo_rows(runtime) == 0
    assert len(audit_events(runtime, "record.create", outcome="success")) == before
    (failure,) = audit_events(runtime, "photo.create", outcome="failure")
    assert problem in failure.detail


def test_an_oversize_upload_is_refused_before_it_is_read(
    client: TestClient, runtime: Runtime, world: World, station_si: Officer
) -> None:
    from kotwal.photos.api import UPLOAD_BODY_MAX

    person = file_person(client, station_si, world.station_a)
    data = _noisy_png(UPLOAD_BODY_MAX + 1)
    r = upload(client, station_si, person["id"], data)
    assert r.status_code == 413 and r.headers["content-type"].startswith(PROBLEM)
    assert _photo_rows(runtime) == 0
    created = audit_events(runtime, "record.create", outcome="success")
    assert [e for e in created if e.resource_type == "photo"] == []


def test_a_file_over_the_image_cap_inside_the_body_cap_is_refused_too(
    client: TestClient, runtime: Runtime, world: World, station_si: Officer
) -> None:
    from kotwal.photos import service

    person = file_person(client, station_si, world.station_a)
    data = b"\x89PNG\r\n\x1a\n" + bytes(service.MAX_UPLOAD_BYTES + 2)
    r = upload(client, station_si, person["id"], data)
    assert r.status_code == 413
    assert r.json()["type"] == "urn:kotwal:problem:image-too-large"
    assert _photo_rows(runtime) == 0


def test_a_downloaded_photo_carries_no_exif(
    client: TestClient, station_si: Officer, photo: dict[str, str]
) -> None:
    r = client.get(photo["url"], headers=station_si.bearer)
    assert r.status_code == 200 and r.content.startswith(b"\xff\xd8")
    assert b"Exif" not in r.content and CAMERA.encode() not in r.content
    picture = Image.open(io.BytesIO(r.content))
    assert dict(picture.getexif()) == {}
    assert picture.getexif().get_ifd(0x8825) == {}


def test_the_picture_never_appears_in_the_json_answers(
    client: TestClient, station_si: Officer, photo: dict[str, str]
) -> None:
    listing = client.get(f"/api/v1/persons/{photo['person_id']}/photos", headers=station_si.bearer)
    assert listing.status_code == 200
    assert "image" not in listing.json()["items"][0]
    assert len(listing.content) < 2_000
