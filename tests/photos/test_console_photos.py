"""The person page of the console shows a person's photographs, each fetched through the same
gated service as the API (session cookie instead of a bearer token): audited, never cached,
masked outside the jurisdiction until a purpose is declared."""

from __future__ import annotations

import re
from urllib.parse import unquote

from fastapi.testclient import TestClient
from sqlalchemy import select

from kotwal.core.models import AuditEventRow
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import Officer, World, issue_token, make_officer
from tests.photos.helpers import add_photo, png
from tests.records_helpers import file_person

PURPOSE = "FIR PS-C/2026/0031 identification"


def _login(client: TestClient, officer: Officer) -> None:
    page = client.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', page)
    assert csrf
    r = client.post(
        "/login",
        data={"username": officer.username, "password": officer.password,
              "totp": officer.totp(), "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text


def _img_sources(html: str) -> list[str]:
    return [unquote(s).replace("&amp;", "&") for s in re.findall(r'<img src="([^"]+)"', html)]


def _picture_events(runtime: Runtime) -> list[AuditEventRow]:
    with runtime.db.transaction(write=False) as session:
        return list(
            session.execute(
                select(AuditEventRow).where(
                    AuditEventRow.action == "record.disclose",
                    AuditEventRow.resource_type == "photo_image",
                    AuditEventRow.outcome == "success",
                )
            ).scalars()
        )


def test_person_page_shows_the_photo_through_the_gated_route(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    created = add_photo(client, si, person["id"], png())
    _login(client, si)
    page = client.get(f"/persons/{person['id']}")
    assert page.status_code == 200
    assert _img_sources(page.text) == [f"/photos/{created['id']}"]
    assert _picture_events(runtime) == []  # listing is not taking the picture
    picture = client.get(f"/photos/{created['id']}")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert picture.headers["cache-control"] == "no-store"
    assert len(_picture_events(runtime)) == 1


def test_outside_the_jurisdiction_the_page_masks_photos_until_a_purpose(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    created = add_photo(client, si, person["id"], png())
    far = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_c)
    _login(client, far)
    page = client.get(f"/persons/{person['id']}")
    assert page.status_code == 200
    assert _img_sources(page.text) == [] and "photograph (masked)" in page.text
    assert client.get(f"/photos/{created['id']}").status_code == 403
    with_purpose = client.get(f"/persons/{person['id']}", params={"purpose": PURPOSE})
    (src,) = _img_sources(with_purpose.text)
    assert src == f"/photos/{created['id']}?purpose={PURPOSE}"
    assert client.get(src).status_code == 200
    (event,) = _picture_events(runtime)
    assert event.purpose == PURPOSE


def test_a_constable_sees_no_photographs(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    created = add_photo(client, si, person["id"], png())
    constable = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    _login(client, constable)
    page = client.get(f"/persons/{person['id']}")
    assert page.status_code == 200 and _img_sources(page.text) == []
    assert client.get(f"/photos/{created['id']}").status_code == 403
