"""The unit of work commits the action and its audit event together, or neither."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kotwal.core.audit import AuditEvent, Outcome
from kotwal.core.db import Database
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
