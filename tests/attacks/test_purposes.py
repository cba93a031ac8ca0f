"""Issue 18, finding 3: purposes and FIR numbers were free text, never checked. Station A read
station B's name, phone and address with the purpose ``aaaaa``; an FRS operator searched under an
FIR that does not exist. A purpose that lifts a read beyond the reader's jurisdiction must now
name a case in the register or an enumerated reason, and the read goes to a supervisor."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import Officer, World, issue_token, make_officer
from tests.helpers import audit_events
from tests.records_helpers import file_person, seed_records_reference


@pytest.fixture(autouse=True)
def sections(runtime: Runtime) -> None:
    seed_records_reference(runtime.db)


@pytest.fixture
def reader(runtime: Runtime, world: World) -> Officer:
    """A sub-inspector at station A: station C is outside their jurisdiction."""
    return issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))


@pytest.fixture
def outsider(client: TestClient, runtime: Runtime, world: World) -> dict[str, Any]:
    """A person filed at station C, far from station A."""
    account = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_c)
    writer = issue_token(runtime, account)
    return file_person(client, writer, world.station_c)


def _register_case(client: TestClient, runtime: Runtime, station: str, fir: str) -> None:
    sho = issue_token(runtime, make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=station))
    body = {
        "fir_number": fir,
        "sections": ["BNS 303"],
        "registered_on": f"{fir.split('/')[1]}-01-15",
        "station_id": station,
    }
    r = client.post("/api/v1/cases", json=body, headers=sho.bearer)
    assert r.status_code == 201, r.text


def _read(client: TestClient, officer: Officer, person_id: str, purpose: str) -> Any:
    return client.get(
        f"/api/v1/persons/{person_id}", params={"purpose": purpose}, headers=officer.bearer
    )


@pytest.mark.parametrize(
    "purpose",
    ["aaaaa", "just curious about this one", "FIR PS-C/2026/9999 robbery", "complaint: x"],
)
def test_a_purpose_that_names_no_registered_case_or_reason_opens_nothing_outside(
    client: TestClient, runtime: Runtime, reader: Officer, outsider: dict[str, Any], purpose: str
) -> None:
    r = _read(client, reader, outsider["id"], purpose)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert outsider["_phone"] not in r.text
    refused = audit_events(runtime, "record.disclose")
    assert any(json.loads(e.detail or "{}").get("reason") == "purpose-refused" for e in refused)


def test_a_registered_case_opens_the_record_and_puts_the_read_before_a_supervisor(
    client: TestClient,
    runtime: Runtime,
    world: World,
    reader: Officer,
    outsider: dict[str, Any],
) -> None:
    _register_case(client, runtime, world.station_c, "PS-C/2026/0042")
    r = _read(client, reader, outsider["id"], "FIR PS-C/2026/42 joint enquiry")
    assert r.status_code == 200, r.text
    assert r.json()["phone"] == outsider["_phone"]

    # The reader's station house officer counts both reads and must judge the one under a
    # reason without a case; reads under a case are sampled (KOTWAL_WATCH_PURPOSE_SAMPLE).
    r = _read(client, reader, outsider["id"], "verification: tenant check for an owner")
    assert r.status_code == 200
    sho = issue_token(
        runtime, make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    )
    page = client.get(
        "/api/v1/security/purpose-reviews", params={"status": "all"}, headers=sho.bearer
    )
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["reads"] == 2
    mine = [e for e in body["items"] if e["username"] == reader.username]
    assert {e["reason"] for e in mine} >= {"verification"}
    assert all(e["record_ids"] == [outsider["id"]] for e in mine)
    assert outsider["_phone"] not in page.text


def test_an_unjustified_verdict_raises_a_security_alert_and_the_reader_cannot_judge_it(
    client: TestClient, runtime: Runtime, world: World, reader: Officer, outsider: dict[str, Any]
) -> None:
    r = _read(client, reader, outsider["id"], "complaint: petition about a land dispute")
    assert r.status_code == 200
    # The reader's own station house officer, not the reader, nor a station elsewhere.
    sho = issue_token(
        runtime, make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    )
    far = issue_token(
        runtime, make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_c)
    )
    queue = client.get("/api/v1/security/purpose-reviews", headers=sho.bearer).json()["items"]
    assert len(queue) == 1
    entry = queue[0]["id"]
    assert client.get("/api/v1/security/purpose-reviews", headers=far.bearer).json()["items"] == []
    verdict = {"verdict": "unjustified", "note": "no such petition at this station"}
    url = f"/api/v1/security/purpose-reviews/{entry}/verdict"
    assert client.post(url, json=verdict, headers=reader.bearer).status_code == 403
    assert client.post(url, json=verdict, headers=far.bearer).status_code == 404
    r = client.post(url, json=verdict, headers=sho.bearer)
    assert r.status_code == 200, r.text
    assert client.post(url, json=verdict, headers=sho.bearer).status_code == 409

    security = issue_token(runtime, make_officer(runtime, Role.SECURITY_OFFICER))
    alerts = client.get("/api/v1/security/alerts", headers=security.bearer).json()["items"]
    assert [a["kind"] for a in alerts] == ["purpose"]
    assert alerts[0]["account_id"] == reader.account_id
    assert audit_events(runtime, "purpose.review")


def test_an_frs_search_under_a_case_that_is_not_registered_is_refused(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    operator = issue_token(runtime, make_officer(runtime, Role.FRS_OPERATOR, posting=world.state))
    form = {
        "galleries": ["offenders"],
        "purpose": "chain snatching caught on CCTV",
        "case_number": "PS-A/2026/0077",
    }
    files = {"photo": ("probe.jpg", b"\xff\xd8\xff\xe0 not really a photo", "image/jpeg")}
    r = client.post("/api/v1/frs/identify", data=form, files=files, headers=operator.bearer)
    assert r.status_code == 422, r.text
    assert "case register" in r.json()["detail"]
