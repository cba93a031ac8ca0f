"""Disclosure budgets over HTTP: distinct records counted per account, the soft limit forcing a
step-up with a fresh TOTP code, the hard limit suspending the account, nothing beyond the budget
released, and the alert, its records and the suspension committed even though the request
that crossed the limit is refused. Budgets here are tiny (3/5 an hour) so each test is short."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kotwal.core.config import Settings
from kotwal.core.db import Database
from kotwal.core.keys import KeyRing
from kotwal.core.models import Account, AuditEventRow
from kotwal.core.policy import Actor, Jurisdiction, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.records.models import Person
from kotwal.records.schemas import PersonCategory, PersonCreate, PersonStatus, Sex
from kotwal.records.service import file_persons
from kotwal.watch.models import WatchDisclosure
from tests.factories import Officer, World, issue_token, make_officer
from tests.records_helpers import file_person
from tests.watch.helpers import filer, problem_type, seed_persons

SMALL = [3, 5, 8, 10]


@pytest.fixture
def settings(db: Database, data_dir: Path, keyring: KeyRing) -> Settings:
    """This test's settings with tiny budgets, and no unusual hours (the clock must not
    decide a test)."""
    return Settings(
        data_dir=data_dir,
        database_url=db.url,
        api_docs=True,
        watch_budgets={"constable": SMALL, "head_constable": SMALL},
        watch_quiet_hours="0-0",
    )


def _constable(runtime: Runtime, world: World) -> Officer:
    return issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))


def _security(runtime: Runtime) -> Officer:
    return issue_token(runtime, make_officer(runtime, Role.SECURITY_OFFICER))


def _open(client: TestClient, officer: Officer, person_id: str) -> object:
    return client.get(f"/api/v1/persons/{person_id}", headers=officer.bearer)


def _names(runtime: Runtime, ids: list[str]) -> list[str]:
    with UnitOfWork(runtime, write=False) as uow:
        return [p.name for p in uow.session.scalars(select(Person).where(Person.id.in_(ids)))]


def _alerts(client: TestClient, security: Officer) -> list[dict[str, object]]:
    r = client.get("/api/v1/security/alerts", params={"status": "all"}, headers=security.bearer)
    assert r.status_code == 200, r.text
    items: list[dict[str, object]] = r.json()["items"]
    return items


def test_records_within_the_soft_limit_are_released_and_reopening_costs_nothing(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    ids = seed_persons(runtime, world.station_a, 4)
    constable = _constable(runtime, world)
    for person_id in ids[:3]:
        assert _open(client, constable, person_id).status_code == 200  # type: ignore[attr-defined]
    for person_id in ids[:3]:  # the same three again: still three distinct records
        assert _open(client, constable, person_id).status_code == 200  # type: ignore[attr-defined]
    assert _alerts(client, _security(runtime)) == []


def test_crossing_the_soft_limit_withholds_the_record_until_a_fresh_totp_code(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    ids = seed_persons(runtime, world.station_a, 5)
    constable = _constable(runtime, world)
    for person_id in ids[:3]:
        client.get(f"/api/v1/persons/{person_id}", headers=constable.bearer)
    r = client.get(f"/api/v1/persons/{ids[3]}", headers=constable.bearer)
    assert r.status_code == 403 and problem_type(r) == "step-up-required"
    assert _names(runtime, [ids[3]])[0] not in r.text
    # Every protected route now asks for the step-up, even for records already seen ...
    again = client.get(f"/api/v1/persons/{ids[0]}", headers=constable.bearer)
    assert problem_type(again) == "step-up-required"
    # ... but the officer can still see their own account and step up.
    assert client.get("/api/v1/me", headers=constable.bearer).status_code == 200
    wrong = client.post(
        "/api/v1/session/step-up", json={"totp": "000000"}, headers=constable.bearer
    )
    assert wrong.status_code == 422
    assert problem_type(client.get(f"/api/v1/persons/{ids[3]}", headers=constable.bearer)) == (
        "step-up-required"
    )
    ok = client.post(
        "/api/v1/session/step-up", json={"totp": constable.totp()}, headers=constable.bearer
    )
    assert ok.status_code == 204, ok.text
    assert client.get(f"/api/v1/persons/{ids[3]}", headers=constable.bearer).status_code == 200

    (alert,) = _alerts(client, _security(runtime))
    assert alert["action"] == "step_up" and alert["username"] == constable.username
    assert alert["record_count"] == 4 and alert["account_suspended"] is False


def test_a_step_up_code_is_single_use_and_a_failure_counts_towards_the_lockout(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    ids = seed_persons(runtime, world.station_a, 4)
    constable = _constable(runtime, world)
    for person_id in ids:
        client.get(f"/api/v1/persons/{person_id}", headers=constable.bearer)
    code = constable.totp()
    first = client.post("/api/v1/session/step-up", json={"totp": code}, headers=constable.bearer)
    assert first.status_code == 204
    replay = client.post("/api/v1/session/step-up", json={"totp": code}, headers=constable.bearer)
    assert replay.status_code == 422
    with UnitOfWork(runtime, write=False) as uow:
        account = uow.session.get(Account, constable.account_id)
        assert account is not None and account.failed_logins == 1


def test_crossing_the_hard_limit_suspends_the_account_and_releases_nothing_more(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    ids = seed_persons(runtime, world.station_a, 7)
    constable = _constable(runtime, world)
    second = issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))
    second_session = Officer(
        constable.account_id, constable.username, constable.password, constable.totp_secret
    )
    issue_token(runtime, second_session)
    got: list[int] = []
    for person_id in ids:
        r = client.get(f"/api/v1/persons/{person_id}", headers=constable.bearer)
        if problem_type(r) == "step-up-required":
            client.post(
                "/api/v1/session/step-up", json={"totp": constable.totp()}, headers=constable.bearer
            )
            r = client.get(f"/api/v1/persons/{person_id}", headers=constable.bearer)
        got.append(r.status_code)
        if r.status_code != 200:
            assert problem_type(r) == "account-suspended"
            assert _names(runtime, [person_id])[0] not in r.text
            break
    assert got == [200] * 5 + [403]
    # Every session of the account has ended, and a fresh login is refused.
    for holder in (constable, second_session):
        r = client.get(f"/api/v1/persons/{ids[0]}", headers=holder.bearer)
        assert r.status_code == 401 and r.headers["content-type"].startswith(
            "application/problem+json"
        )
    login = client.post(
        "/api/v1/auth/token",
        json={
            "username": constable.username,
            "password": constable.password,
            "totp": constable.totp(),
        },
    )
    assert login.status_code == 401
    # Another constable of the same station carries on.
    assert client.get(f"/api/v1/persons/{ids[0]}", headers=second.bearer).status_code == 200

    security = _security(runtime)
    suspend = next(a for a in _alerts(client, security) if a["action"] == "suspend")
    assert suspend["account_suspended"] is True and suspend["username"] == constable.username
    detail = client.get(f"/api/v1/security/alerts/{suspend['id']}", headers=security.bearer).json()
    released = {r["record_id"] for r in detail["records"] if not r["withheld"]}
    withheld = {r["record_id"] for r in detail["records"] if r["withheld"]}
    assert released == set(ids[:5]) and withheld == {ids[5]}
    assert [t["what"] for t in detail["timeline"]].count("record of person") == 5
    assert detail["detail"]["limit"] == "hard_hour"


def test_a_listing_counts_each_record_once_even_when_it_is_opened_afterwards(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    people = [
        PersonCreate(
            name=f"Quxley {given}",
            category=PersonCategory.OFFENDER,
            sex=Sex.MALE,
            status=PersonStatus.ACTIVE,
            station_id=world.station_a,
        )
        for given in ("Alpha", "Beta", "Gamma")
    ]
    with UnitOfWork(runtime, write=True) as uow:
        ids = [p.id for p in file_persons(uow, filer(uow, world.station_a), people)]
    other = seed_persons(runtime, world.station_a, 1, seed=11)
    constable = _constable(runtime, world)
    r = client.get("/api/v1/persons/search", params={"name": "Quxley"}, headers=constable.bearer)
    assert r.status_code == 200 and {h["person"]["id"] for h in r.json()["items"]} == set(ids)
    for person_id in ids:
        assert (
            client.get(f"/api/v1/persons/{person_id}", headers=constable.bearer).status_code == 200
        )
    # Three distinct records so far: the fourth crosses the soft limit.
    r = client.get(f"/api/v1/persons/{other[0]}", headers=constable.bearer)
    assert problem_type(r) == "step-up-required"
    with UnitOfWork(runtime, write=False) as uow:
        kinds = dict(
            uow.session.execute(
                select(WatchDisclosure.kind, func.count())
                .where(WatchDisclosure.account_id == constable.account_id)
                .group_by(WatchDisclosure.kind)
            ).all()
        )
    assert kinds == {"list": 3, "record": 3}


def test_a_write_that_crosses_the_hard_limit_is_rolled_back_but_the_suspension_stays(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    """Updates are charged (their answer shows fields the writer did not send)."""
    ids = seed_persons(runtime, world.station_a, 7)
    writer = issue_token(
        runtime, make_officer(runtime, Role.HEAD_CONSTABLE, posting=world.station_a)
    )
    statuses: list[int] = []
    for n, person_id in enumerate(ids):
        body = {"expected_version": 1, "marks": f"Noted at the review ({n})"}
        r = client.patch(f"/api/v1/persons/{person_id}", json=body, headers=writer.bearer)
        if problem_type(r) == "step-up-required":
            client.post(
                "/api/v1/session/step-up", json={"totp": writer.totp()}, headers=writer.bearer
            )
            r = client.patch(f"/api/v1/persons/{person_id}", json=body, headers=writer.bearer)
        statuses.append(r.status_code)
        if r.status_code != 200:
            break
    assert statuses == [200] * 5 + [403]
    with UnitOfWork(runtime, write=False) as uow:
        marked = uow.session.scalars(select(Person.marks).where(Person.marks.is_not(None))).all()
        account = uow.session.get(Account, writer.account_id)
        assert account is not None and account.suspended
        suspensions = uow.session.scalar(
            select(func.count())
            .select_from(AuditEventRow)
            .where(AuditEventRow.action == "security.suspend")
        )
    # The refused request changed nothing; the suspension was committed all the same.
    assert sorted(m for m in marked if m.startswith("Noted at the review")) == [
        f"Noted at the review ({n})" for n in range(5)
    ]
    assert suspensions == 1


def test_records_one_files_are_audited_but_not_charged_while_reading_them_is(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    writer = issue_token(
        runtime, make_officer(runtime, Role.HEAD_CONSTABLE, posting=world.station_a)
    )
    filed = [file_person(client, writer, world.station_a)["id"] for _ in range(SMALL[1] + 2)]
    with runtime.db.transaction(write=False) as session:
        kinds = list(session.scalars(select(WatchDisclosure.kind)))
        echoed = session.scalar(
            select(func.count())
            .select_from(AuditEventRow)
            .where(
                AuditEventRow.action == "record.disclose",
                AuditEventRow.actor_id == writer.account_id,
            )
        )
    assert kinds == ["echo"] * len(filed)  # every creation seen, none charged
    assert echoed == len(filed)  # and every one audited
    for person_id in filed[: SMALL[0]]:
        assert _open(client, writer, person_id).status_code == 200  # type: ignore[attr-defined]
    over = _open(client, writer, filed[SMALL[0]])
    assert problem_type(over) == "step-up-required"


def test_the_licensing_officer_pages_through_a_districts_licences_without_a_step_up(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    from kotwal.arms.schemas import LicenceIssue
    from kotwal.arms.service import file_licence
    from tests.arms.helpers import licence_body

    with UnitOfWork(runtime, write=True) as uow:
        district = uow.session.get(Jurisdiction, world.district)
        assert district is not None
        issuer = Actor(
            account_id=None,
            username="cli:test-seed",
            roles=frozenset({Role.ARMS_LICENSING_OFFICER}),
            jurisdiction_paths=(district.path,),
        )
        for _ in range(150):
            file_licence(uow, issuer, LicenceIssue.model_validate(licence_body(world.station_a)))
    alo = issue_token(
        runtime, make_officer(runtime, Role.ARMS_LICENSING_OFFICER, posting=world.district)
    )
    seen: set[str] = set()
    after: str | None = None
    for _ in range(3):
        params: dict[str, str | int] = {"limit": 50} | ({"after": after} if after else {})
        page = client.get("/api/v1/arms/licences", params=params, headers=alo.bearer)
        assert page.status_code == 200, page.text
        seen |= {item["id"] for item in page.json()["items"]}
        after = page.json()["next_after"]
    assert len(seen) == 150
