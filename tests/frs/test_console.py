"""The console's face search, on both databases: the probe shown beside the candidates with
the threshold, "no match" said plainly, and a candidate put forward only when the operator
confirms it with a note, which is audited."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kotwal.core.models import AuditEventRow
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import Officer, World, issue_token, make_officer
from tests.frs.helpers import photo
from tests.helpers import console_login, csrf_token
from tests.records_helpers import file_person

CASE = "PS-A/2025/0042"


def _login(client: TestClient, officer: Officer) -> str:
    """Log in to the console; the face search form's CSRF token."""
    console_login(client, officer)
    return csrf_token(client.get("/frs").text)


@pytest.fixture
def enrolled(client: TestClient, runtime: Runtime, world: World) -> dict[str, Any]:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    api_operator = issue_token(
        runtime, make_officer(runtime, Role.FRS_OPERATOR, posting=world.station_a)
    )
    person = file_person(client, si, world.station_a, name="Barack Console")
    mugshot = client.post(
        f"/api/v1/persons/{person['id']}/photos",
        files={"file": ("m.jpg", photo("obama.jpg"), "image/jpeg")},
        headers=si.bearer,
    )
    assert mugshot.status_code == 201, mugshot.text
    r = client.post(
        "/api/v1/frs/galleries/offenders/faces",
        data={"person_id": person["id"]},
        files={"photo": ("p.jpg", photo("obama.jpg"), "image/jpeg")},
        headers=api_operator.bearer,
    )
    assert r.status_code == 201, r.text
    return {"person": person, "face": r.json()}


def _search(client: TestClient, csrf: str, name: str) -> Any:
    return client.post(
        "/frs/identify",
        data={
            "csrf_token": csrf,
            "case_number": CASE,
            "purpose": "CCTV still from a snatching",
            "galleries": ["offenders"],
        },
        files={"photo": ("probe.jpg", photo(name), "image/jpeg")},
    )


def test_the_probe_is_shown_beside_the_candidate_and_confirmation_is_audited(
    client: TestClient, runtime: Runtime, world: World, enrolled: dict[str, Any]
) -> None:
    operator = make_officer(runtime, Role.FRS_OPERATOR, posting=world.station_a)
    csrf = _login(client, operator)
    page = _search(client, csrf, "obama2.jpg")
    assert page.status_code == 200, page.text
    assert 'src="data:image/jpeg;base64,' in page.text
    assert "Barack Console" in page.text
    assert 'src="/photos/' in page.text  # the mugshot on record, beside the probe
    assert "at threshold 0.9" in page.text
    assert "Searched 1 enrolled face(s) in offenders" in page.text
    assert "A candidate is a lead, not an identification" in page.text
    with runtime.db.transaction(write=False) as s:
        confirmations = s.execute(
            select(AuditEventRow).where(AuditEventRow.action == "frs.confirm")
        ).all()
    assert confirmations == []  # a search alone puts nobody forward

    r = client.post(
        "/frs/confirm",
        data={
            "csrf_token": csrf,
            "face_id": enrolled["face"]["id"],
            "case_number": CASE,
            "purpose": "CCTV still from a snatching",
            "note": "same scar, same ears",
        },
    )
    assert r.status_code == 200, r.text
    assert "Confirmed for PS-A/2025/0042" in r.text
    with runtime.db.transaction(write=False) as s:
        (event,) = s.execute(
            select(AuditEventRow).where(AuditEventRow.action == "frs.confirm")
        ).scalars()
    assert event.actor_id == operator.account_id
    assert json.loads(event.detail)["person_id"] == enrolled["person"]["id"]


def test_a_stranger_is_said_to_be_no_match(
    client: TestClient, runtime: Runtime, world: World, enrolled: dict[str, Any]
) -> None:
    csrf = _login(client, make_officer(runtime, Role.FRS_OPERATOR, posting=world.station_a))
    page = _search(client, csrf, "biden.jpg")
    assert "No match:" in page.text
    assert (
        "the search was made and nobody in the chosen galleries reaches the threshold" in page.text
    )
    assert "Barack Console" not in page.text


def test_the_face_search_page_is_only_for_the_operator(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    officer = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    console_login(client, officer)
    assert client.get("/frs").status_code == 403
