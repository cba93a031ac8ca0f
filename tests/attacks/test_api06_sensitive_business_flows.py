"""OWASP API6:2023 Unrestricted Access to Sensitive Business Flows: bulk collection of person
records by someone holding a valid officer session (a stolen laptop, a bought password and a
phished TOTP, or an insider). Every single request is allowed; it is the flow, "read
everything", that must be stopped.

The defence (kotwal.watch) counts the distinct protected records each account receives per
hour and per day against its role's budget: over the soft limit the session must re-enter a
TOTP code, over the hard limit the account's sessions end and it is suspended pending review,
and the security officers' queue shows the alert. These tests run with the shipped default
budgets (constable: step-up over 60, suspension over 100 in an hour), and the scraper is the
worst case: it holds the authenticator and steps up whenever asked.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kotwal.core.models import AuditEventRow
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.watch.models import WatchAlert, WatchDisclosure
from tests.factories import Officer, World, issue_token, make_officer
from tests.watch.helpers import problem_type, scrape_api, scrape_console, seed_persons

PERSONS = 180
CUT_OFF = 100  # the constable's default hard limit per hour


@pytest.fixture
def persons(runtime: Runtime, world: World) -> list[str]:
    return seed_persons(runtime, world.station_a, PERSONS)


def _constable(runtime: Runtime, world: World) -> Officer:
    return issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))


def _security(runtime: Runtime) -> Officer:
    return issue_token(runtime, make_officer(runtime, Role.SECURITY_OFFICER))


def _suspension_alert(client: TestClient, security: Officer) -> dict[str, object]:
    r = client.get("/api/v1/security/alerts", params={"status": "open"}, headers=security.bearer)
    assert r.status_code == 200, r.text
    (alert,) = [a for a in r.json()["items"] if a["action"] == "suspend"]
    return alert  # type: ignore[no-any-return]


def test_a_scraper_with_a_valid_constable_session_is_cut_off_within_100_records(
    client: TestClient, runtime: Runtime, world: World, persons: list[str]
) -> None:
    constable = _constable(runtime, world)
    result = scrape_api(client, constable)
    assert 0 < len(result.obtained) <= CUT_OFF
    assert result.stopped_by, "the scraper was never stopped"
    # It is cut off for good: the session is over and so is any new login.
    r = client.get(f"/api/v1/persons/{persons[0]}", headers=constable.bearer)
    assert r.status_code == 401 and problem_type(r) == "not-authenticated"
    login = client.post(
        "/api/v1/auth/token",
        json={
            "username": constable.username,
            "password": constable.password,
            "totp": constable.totp(),
        },
    )
    assert login.status_code == 401


def test_the_same_scraper_through_the_console_is_cut_off_within_100_records(
    client: TestClient, runtime: Runtime, world: World, persons: list[str]
) -> None:
    constable = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    result = scrape_console(client, constable)
    assert 0 < len(result.obtained) <= CUT_OFF
    assert result.stopped_by
    after = client.get(f"/persons/{persons[0]}", follow_redirects=False)
    assert after.status_code == 303 and after.headers["location"] == "/login"


def test_the_security_officer_sees_the_account_the_records_and_the_timeline(
    client: TestClient, runtime: Runtime, world: World, persons: list[str]
) -> None:
    constable = _constable(runtime, world)
    obtained = scrape_api(client, constable).obtained
    security = _security(runtime)
    alert = _suspension_alert(client, security)
    assert alert["username"] == constable.username and alert["account_suspended"] is True
    detail = client.get(f"/api/v1/security/alerts/{alert['id']}", headers=security.bearer).json()
    released = {r["record_id"] for r in detail["records"] if not r["withheld"]}
    assert released == obtained
    assert any(r["withheld"] for r in detail["records"])  # what the cut-off refused
    whats = [t["what"] for t in detail["timeline"]]
    assert "list of person" in whats and whats[-1] == "alert: budget, action suspend"
    times = [t["at"] for t in detail["timeline"]]
    assert times == sorted(times)
    assert detail["detail"]["limit"] in ("hard_hour", "hard_day")  # why it was cut off
    # The console queue shows it too.
    security_console = issue_token(runtime, security, kind="console")
    client.cookies.set("__Host-kotwal-session", security_console.token)
    queue = client.get("/security/alerts")
    assert queue.status_code == 200 and constable.username in queue.text
    one = client.get(f"/security/alerts/{alert['id']}")
    assert one.status_code == 200 and "Timeline" in one.text
    assert all(record_id in one.text for record_id in obtained)


def test_other_constables_are_unaffected_by_one_account_being_cut_off(
    client: TestClient, runtime: Runtime, world: World, persons: list[str]
) -> None:
    scraper = _constable(runtime, world)
    colleague = _constable(runtime, world)
    scrape_api(client, scraper)
    for person_id in persons[:10]:
        r = client.get(f"/api/v1/persons/{person_id}", headers=colleague.bearer)
        assert r.status_code == 200, r.text


def test_a_security_officer_lifts_the_suspension_with_a_reason_and_it_is_audited(
    client: TestClient, runtime: Runtime, world: World, persons: list[str]
) -> None:
    constable = _constable(runtime, world)
    scrape_api(client, constable)
    security = _security(runtime)
    alert = _suspension_alert(client, security)
    url = f"/api/v1/security/alerts/{alert['id']}/lift"
    # Nobody else may lift it, and not without a reason.
    for role in (Role.CONSTABLE, Role.STATION_HOUSE_OFFICER, Role.AUDITOR, Role.SYSTEM_ADMIN):
        other = issue_token(
            runtime,
            make_officer(
                runtime,
                role,
                posting=world.station_a
                if role in (Role.CONSTABLE, Role.STATION_HOUSE_OFFICER)
                else None,
            ),
        )
        r = client.post(url, json={"reason": "looks fine to me"}, headers=other.bearer)
        assert r.status_code == 403, role
    assert client.post(url, json={"reason": ""}, headers=security.bearer).status_code == 422
    reason = "Spoke to the officer and the SHO: bulk reading was a search for a missing child"
    lifted = client.post(url, json={"reason": reason}, headers=security.bearer)
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["status"] == "lifted" and lifted.json()["account_suspended"] is False
    with UnitOfWork(runtime, write=False) as uow:
        event = uow.session.execute(
            select(AuditEventRow.actor_id, AuditEventRow.resource_id, AuditEventRow.purpose).where(
                AuditEventRow.action == "security.suspension.lift"
            )
        ).one()
    assert tuple(event) == (security.account_id, constable.account_id, reason)
    # The officer logs in again and works, with a fresh budget.
    login = client.post(
        "/api/v1/auth/token",
        json={
            "username": constable.username,
            "password": constable.password,
            "totp": constable.totp(),
        },
    )
    assert login.status_code == 200, login.text
    token = {"authorization": f"Bearer {login.json()['access_token']}"}
    assert client.get(f"/api/v1/persons/{persons[-1]}", headers=token).status_code == 200
    again = client.post(url, json={"reason": reason}, headers=security.bearer)
    assert again.status_code == 409


EXPORTED = 260  # a station's persons: under the SHO's 500 a day once, not twice


def _export(client: TestClient, officer: Officer) -> Any:
    body = {"purpose": "FIR PS-A/2026/0042 review of records"}
    return client.post("/api/v1/persons/export", json=body, headers=officer.bearer)


def test_a_stolen_station_house_officer_cannot_export_the_station_again_and_again(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    # Issue 18, finding 1: each export used to add a fixed 25 points however many rows it
    # carried, so a stolen SHO account exported its whole station fifteen times.
    filed = seed_persons(runtime, world.station_a, EXPORTED)
    sho = issue_token(
        runtime, make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.station_a)
    )
    first = _export(client, sho)
    assert first.status_code == 200, first.text
    rows = list(csv.DictReader(io.StringIO(first.text.removeprefix("\ufeff"))))
    assert len(rows) >= EXPORTED  # the station's persons and this copy's decoys
    for _ in range(3):
        again = _export(client, sho)
        assert again.status_code == 403 and problem_type(again) == "export-limit"
        assert "500" in again.json()["detail"] and "text/csv" not in again.headers["content-type"]
    # Nothing of the refused exports was charged or recorded as exported.
    with UnitOfWork(runtime, write=False) as uow:
        exported = uow.session.execute(
            select(func.count()).where(
                WatchDisclosure.account_id == sho.account_id, WatchDisclosure.kind == "export"
            )
        ).scalar_one()
        alerts = uow.session.execute(
            select(WatchAlert.action, WatchAlert.kind).where(
                WatchAlert.account_id == sho.account_id
            )
        ).all()
    assert exported == EXPORTED
    assert alerts and set(alerts) == {("alert", "export")}
    # The SHO can still read: the allowance stops exports, it does not suspend the account.
    assert client.get(f"/api/v1/persons/{filed[0]}", headers=sho.bearer).status_code == 200
