"""The person page of the console shows a person's photographs, each fetched through the same
gated service as the API (session cookie instead of a bearer token): audited, never cached,
masked outside the jurisdiction until a purpose is declared."""

from __future__ import annotations

import re
from urllib.parse import unquote

from fastapi.testclient import TestClient

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import World, issue_token, make_officer
from tests.helpers import audit_events, console_login
from tests.photos.helpers import add_photo, png
from tests.records_helpers import file_person

PURPOSE = "complaint: identification for station C (FIR PS-C/2026/0031)"
#: The audit events of a picture shown (not of a listing).
SHOWN = {"resource_type": "photo_image", "outcome": "success"}


def _img_sources(html: str) -> list[str]:
    return [unquote(s).replace("&amp;", "&") for s in re.findall(r'<img src="([^"]+)"', html)]


def test_person_page_shows_the_photo_through_the_gated_route(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    created = add_photo(client, si, person["id"], png())
    console_login(client, si)
    page = client.get(f"/persons/{person['id']}")
    assert page.status_code == 200
    assert _img_sources(page.text) == [f"/photos/{created['id']}"]
    assert (
        audit_events(runtime, "record.disclose", **SHOWN) == []
    )  # listing is not taking the picture
    picture = client.get(f"/photos/{created['id']}")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert picture.headers["cache-control"] == "no-store"
    assert len(audit_events(runtime, "record.disclose", **SHOWN)) == 1


def test_outside_the_jurisdiction_the_page_masks_photos_until_a_purpose(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    created = add_photo(client, si, person["id"], png())
    far = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_c)
    console_login(client, far)
    page = client.get(f"/persons/{person['id']}")
    assert page.status_code == 200
    # The portrait is drawn as a placeholder that says a photograph exists and is withheld.
    assert _img_sources(page.text) == [] and "Photograph withheld" in page.text
    assert client.get(f"/photos/{created['id']}").status_code == 403
    with_purpose = client.get(f"/persons/{person['id']}", params={"purpose": PURPOSE})
    (src,) = _img_sources(with_purpose.text)
    assert src == f"/photos/{created['id']}?purpose={PURPOSE}"
    assert client.get(src).status_code == 200
    (event,) = audit_events(runtime, "record.disclose", **SHOWN)
    assert event.purpose == PURPOSE


def test_a_constable_sees_no_photographs(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    person = file_person(client, si, world.station_a)
    created = add_photo(client, si, person["id"], png())
    constable = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    console_login(client, constable)
    page = client.get(f"/persons/{person['id']}")
    assert page.status_code == 200 and _img_sources(page.text) == []
    assert client.get(f"/photos/{created['id']}").status_code == 403
