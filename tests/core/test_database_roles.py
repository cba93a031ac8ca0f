"""Defence in depth in PostgreSQL (migration 0034): the application's role owns no table, may
only read and append to the audit log, and row-level security keeps a transaction acting for an
officer inside the officer's jurisdiction even where the code forgot its filter.

The application side of these tests runs as ``kotwal_app`` (``SET ROLE`` from the test login,
as KOTWAL_DATABASE_ROLE does); the owner's side (the ``db`` fixture) checks what it wrote.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from kotwal.core.audit import AuditEvent, Outcome, verify
from kotwal.core.config import Settings
from kotwal.core.db import APP_ROLE, Database
from kotwal.core.keys import KeyRing
from kotwal.core.policy import Actor, Jurisdiction, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.records.models import Person
from tests.factories import World, api_officer
from tests.records_helpers import file_person

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def settings(db: Database, data_dir: Path, keyring: KeyRing) -> Settings:
    """The application connects as the test login and acts as ``kotwal_app``."""
    return Settings(
        data_dir=data_dir,
        database_url=db.url,
        database_role=APP_ROLE,
        local_http=False,
        api_docs=True,
    )


def _refused(runtime: Runtime, statement: str) -> str:
    """The server's refusal of ``statement`` run as the application; fails if it ran."""
    with runtime.db.engine.connect() as conn, pytest.raises(DBAPIError) as caught:
        conn.execute(text(statement))
    assert getattr(caught.value.orig, "sqlstate", None) == "42501", caught.value  # no privilege
    return str(caught.value.orig)


def test_the_application_role_owns_no_table_and_only_appends_to_the_audit_log(
    db: Database,
) -> None:
    with db.engine.connect() as conn:
        owned = conn.execute(
            text(
                "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
                "WHERE r.rolname = :role"
            ),
            {"role": APP_ROLE},
        ).scalar_one()
        privileges = {
            (table, privilege): conn.execute(
                text("SELECT has_table_privilege(:role, :table, :privilege)"),
                {"role": APP_ROLE, "table": table, "privilege": privilege},
            ).scalar_one()
            for table in ("audit_events", "audit_checkpoints")
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER")
        }
    assert owned == 0
    allowed = {key for key, granted in privileges.items() if granted}
    assert allowed == {
        ("audit_events", "SELECT"),
        ("audit_events", "INSERT"),
        ("audit_checkpoints", "SELECT"),
        ("audit_checkpoints", "INSERT"),
    }


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor_name = 'nobody'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "ALTER TABLE audit_events DISABLE TRIGGER USER",
        "DROP TABLE audit_events",
        "DELETE FROM audit_checkpoints",
        "ALTER TABLE persons DISABLE ROW LEVEL SECURITY",
        "DROP POLICY persons_read ON persons",
    ],
)
def test_the_application_cannot_rewrite_the_audit_log_or_lift_row_security(
    runtime: Runtime, db: Database, statement: str
) -> None:
    # The application's own writes go in (its audit writer runs as kotwal_app) ...
    runtime.committer.write(
        [AuditEvent(action="test.event", outcome=Outcome.SUCCESS, actor_id=None, actor_name="t")]
    )
    # ... but it may not change one of them: refused by privilege, not (only) by the trigger.
    message = _refused(runtime, statement)
    assert "append-only" not in message
    assert verify(db.engine, runtime.keyring.audit_public).ok


def _officer_actor(runtime: Runtime, account_id: str, station_id: str) -> Actor:
    with runtime.db.transaction(write=False) as session:
        station = session.get(Jurisdiction, station_id)
        assert station is not None
        path = station.path
    return Actor(
        account_id=account_id,
        username="officer",
        roles=frozenset({Role.SUB_INSPECTOR}),
        jurisdiction_paths=(path,),
    )


def test_a_query_acting_for_an_officer_that_forgot_its_filter_sees_only_the_jurisdiction(
    client: TestClient, runtime: Runtime, db: Database, world: World
) -> None:
    si_a = api_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    si_c = api_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_c)
    mine = file_person(client, si_a, world.station_a)["id"]
    theirs = file_person(client, si_c, world.station_c)["id"]
    actor = _officer_actor(runtime, si_a.account_id, world.station_a)

    # Code that forgot `in_jurisdiction`: the server itself filters.
    with UnitOfWork(runtime, write=False, actor=actor) as uow:
        seen = set(uow.session.execute(select(Person.id)).scalars())
        counted = uow.session.execute(text("SELECT count(*) FROM persons")).scalar_one()
        assert uow.session.get(Person, theirs) is None
    assert seen == {mine} and counted == 1

    # A read the design lets cross the boundary (its results leave through the gate) says so.
    with UnitOfWork(runtime, write=False, actor=actor) as uow:
        uow.reach_through_gate()
        assert set(uow.session.execute(select(Person.id)).scalars()) == {mine, theirs}

    # System work (no officer) and the owner are not restricted.
    with UnitOfWork(runtime, write=False) as uow:
        assert set(uow.session.execute(select(Person.id)).scalars()) == {mine, theirs}
    with db.transaction(write=False) as session:
        assert set(session.execute(select(Person.id)).scalars()) == {mine, theirs}


def test_a_write_acting_for_an_officer_cannot_land_outside_the_jurisdiction(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si_a = api_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    si_c = api_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_c)
    theirs = file_person(client, si_c, world.station_c)["id"]
    actor = _officer_actor(runtime, si_a.account_id, world.station_a)
    with UnitOfWork(runtime, write=True, actor=actor) as uow:
        uow.reach_through_gate()  # the row may be read through the gate, never written
        assert uow.session.get(Person, theirs) is not None
        for statement in (
            "UPDATE persons SET status = 'wanted' WHERE id = :id",
            "DELETE FROM persons WHERE id = :id",
        ):
            changed = uow.session.execute(text(statement), {"id": theirs})
            assert changed.rowcount == 0  # type: ignore[attr-defined]
    with (
        pytest.raises(DBAPIError, match="row-level security"),
        UnitOfWork(runtime, write=True, actor=actor) as uow,
    ):
        row = uow.session.execute(select(Person).where(Person.id == theirs))
        assert row.first() is None
        uow.session.execute(
            insert(Person.__table__).values(  # type: ignore[arg-type]
                id="00000000-0000-4000-8000-000000000001",
                name="Forged Row",
                category="offender",
                status="active",
                station_id=world.station_c,
                jurisdiction_path="/forged/",
            )
        )


def test_the_officers_api_works_through_row_security(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    """Opening a record outside one's jurisdiction still shows its public fields (the gate
    masks the rest): the records service reaches through the gate for it."""
    si_a = api_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    si_c = api_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_c)
    theirs = file_person(client, si_c, world.station_c)["id"]
    r = client.get(f"/api/v1/persons/{theirs}", headers=si_a.bearer)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == {"masked": True}
