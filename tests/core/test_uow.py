"""The unit of work commits the action and its audit event together, or neither."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kotwal.core.audit import AuditEvent, Outcome, append
from kotwal.core.db import Database
from kotwal.core.errors import Forbidden, Problem
from kotwal.core.models import Account, AuditEventRow
from kotwal.core.policy import Jurisdiction
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork


def _event(action: str) -> AuditEvent:
    return AuditEvent(action=action, outcome=Outcome.SUCCESS, actor_id=None, actor_name="t")


def _count(db: Database, model: type) -> int:
    with db.transaction(write=False) as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_write_unit_commits_action_and_event_together(runtime: Runtime) -> None:
    with UnitOfWork(runtime, write=True) as uow:
        uow.session.add(Jurisdiction(code="TS", name="Telangana", kind="state", path="/ts/"))
        uow.audit(_event("jurisdiction.create"))
    assert _count(runtime.db, Jurisdiction) == 1
    assert _count(runtime.db, AuditEventRow) == 1


def test_failed_write_unit_leaves_neither_action_nor_event(runtime: Runtime) -> None:
    with pytest.raises(ValueError), UnitOfWork(runtime, write=True) as uow:
        uow.session.add(Jurisdiction(code="TS", name="Telangana", kind="state", path="/ts/"))
        uow.audit(_event("jurisdiction.create"))
        uow.session.flush()
        raise ValueError("boom")
    assert _count(runtime.db, Jurisdiction) == 0
    assert _count(runtime.db, AuditEventRow) == 0


def test_read_unit_makes_its_events_durable_on_commit(runtime: Runtime) -> None:
    with UnitOfWork(runtime, write=False) as uow:
        uow.audit(_event("record.disclose"))
        uow.audit(_event("record.disclose"))
    assert _count(runtime.db, AuditEventRow) == 2


def test_encrypted_field_is_sealed_on_flush_and_opens_again(runtime: Runtime) -> None:
    from kotwal.core.crypto import open_field
    from kotwal.core.sealed import Sealed

    with UnitOfWork(runtime, write=True) as uow:
        acc = Account(username="a1", display_name="A", password_hash="x", totp_secret="JBSWY3DP")
        uow.session.add(acc)
        uow.session.flush()
        assert isinstance(acc.totp_secret, Sealed)
        acc_id = acc.id
    with UnitOfWork(runtime, write=False) as uow:
        loaded = uow.session.get(Account, acc_id)
        assert loaded is not None
        assert open_field(uow.session, loaded, "totp_secret") == "JBSWY3DP"


def _actions(db: Database) -> list[str]:
    with db.transaction(write=False) as s:
        return list(s.scalars(select(AuditEventRow.action).order_by(AuditEventRow.seq)))


def test_a_commit_check_that_refuses_drops_the_units_events_and_keeps_its_own_writes(
    runtime: Runtime,
) -> None:
    def refuse(session: Session) -> Problem | None:
        append(session, [_event("security.alert")])
        return Forbidden("over the budget")

    with pytest.raises(Forbidden, match="over the budget"), UnitOfWork(runtime, write=False) as u:
        u.audit(_event("record.disclose"))
        u.check_at_commit(refuse)
    assert _actions(runtime.db) == ["security.alert"]


def test_commit_checks_of_concurrent_reads_see_each_others_writes(runtime: Runtime) -> None:
    """Reads committing together are judged one after another in the shared transaction, so a
    limit of three lets exactly three of twelve concurrent readers through."""

    def within_limit(session: Session) -> Problem | None:
        charged = session.scalar(
            select(func.count()).where(AuditEventRow.action == "budget.charge")
        )
        if int(charged or 0) >= 3:
            return Forbidden("limit reached")
        append(session, [_event("budget.charge")])
        return None

    def read(_: int) -> str:
        try:
            with UnitOfWork(runtime, write=False) as uow:
                uow.audit(_event("record.disclose"))
                uow.check_at_commit(within_limit)
        except Forbidden:
            return "refused"
        return "released"

    assert runtime.committer.running
    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(read, range(12)))
    assert outcomes.count("released") == 3
    assert _actions(runtime.db).count("record.disclose") == 3
    assert _actions(runtime.db).count("budget.charge") == 3


def test_a_write_unit_takes_no_commit_checks(runtime: Runtime) -> None:
    with UnitOfWork(runtime, write=True) as uow, pytest.raises(RuntimeError, match="read units"):
        uow.check_at_commit(lambda session: None)
