"""The audit log against an intruder who holds the database (issue 18, finding 6).

Found by the outside attack: ``kotwal audit verify`` signed a checkpoint as it exited, even over
a chain it had just reported broken; a row appended with a correct SHA-256 hash (the chain is
unkeyed, so anyone can compute one) was not told apart; the table had no protection of its own.
Here: every event carries a MAC under a key that is not in the database, the signer verifies
the segment it signs, a verifier that finds a fault signs nothing, and the application's own
connection cannot rewrite or delete an event.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from kotwal.accounts.audit_cli import app as audit_app
from kotwal.core import audit
from kotwal.core.audit import AuditEvent, AuditIntegrityError, Outcome, event_hash
from kotwal.core.config import Settings
from kotwal.core.models import AuditCheckpoint
from kotwal.core.runtime import Runtime
from tests.intruder import past_the_triggers

runner = CliRunner()


def _events(n: int) -> list[AuditEvent]:
    return [
        AuditEvent(
            action="record.disclose",
            outcome=Outcome.SUCCESS,
            actor_id=None,
            actor_name="si.ramesh",
            resource_type="person",
            resource_id=f"p-{i}",
        )
        for i in range(n)
    ]


def _forge_next(runtime: Runtime) -> int:
    """Append one event as an intruder would: fields of their choosing, the chain's hash
    computed correctly, the head moved on. Returns its seq."""
    with runtime.db.engine.begin() as conn:
        seq, prev = conn.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
        row: dict[str, Any] = {
            "seq": seq + 1,
            "at_us": 1_800_000_000_000_000,
            "actor_id": None,
            "actor_name": "system",
            "session_id": None,
            "action": "record.disclose",
            "outcome": Outcome.SUCCESS,
            "resource_type": "person",
            "resource_id": "p-cover-story",
            "purpose": "routine",
            "client_addr": None,
            "detail": "{}",
        }
        digest = event_hash(*row.values(), prev)
        conn.execute(
            text(
                "INSERT INTO audit_events (seq, at_us, actor_id, actor_name, session_id, action, "
                "outcome, resource_type, resource_id, purpose, client_addr, detail, prev_hash, "
                "hash) VALUES (:seq, :at_us, :actor_id, :actor_name, :session_id, :action, "
                ":outcome, :resource_type, :resource_id, :purpose, :client_addr, :detail, :p, :h)"
            ),
            row | {"p": prev, "h": digest},
        )
        conn.execute(text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": seq + 1, "h": digest})
    return int(seq) + 1


def _checkpoints(runtime: Runtime) -> int:
    with runtime.db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(AuditCheckpoint)) or 0)


def test_a_row_forged_with_a_correct_hash_is_caught_and_never_signed(runtime: Runtime) -> None:
    runtime.committer.write(_events(20))
    forged = _forge_next(runtime)
    keyring = runtime.keyring
    result = audit.verify(runtime.db.engine, keyring.audit_public, mac_key=keyring.audit_mac_key)
    assert not result.ok and result.first_bad_seq == forged
    assert "MAC" in result.reason
    # Without the MAC key the chain alone looks sound: that was the hole.
    assert audit.verify(runtime.db.engine, keyring.audit_public).ok
    with runtime.db.transaction(write=True) as session, pytest.raises(AuditIntegrityError):
        audit.checkpoint(session, keyring)
    assert _checkpoints(runtime) == 0


def test_verify_that_finds_a_fault_signs_nothing_on_its_way_out(
    env: Settings, runtime: Runtime
) -> None:
    runtime.committer.write(_events(30))
    with runtime.db.engine.begin() as conn, past_the_triggers(conn):
        conn.execute(text("UPDATE audit_events SET resource_id = 'p-x' WHERE seq = 13"))
    before = _checkpoints(runtime)
    result = runner.invoke(audit_app, ["verify"])
    assert result.exit_code == 1 and "seq 13" in result.output
    assert _checkpoints(runtime) == before


def test_the_applications_connection_cannot_rewrite_or_delete_an_event(
    runtime: Runtime,
) -> None:
    runtime.committer.write(_events(5))
    for statement in (
        "UPDATE audit_events SET actor_name = 'nobody' WHERE seq = 3",
        "DELETE FROM audit_events WHERE seq = 5",
    ):
        with (
            pytest.raises(DBAPIError, match="append-only"),
            runtime.db.transaction(write=True) as session,
        ):
            session.execute(text(statement))
    with runtime.db.transaction(write=False) as session:
        names = session.scalars(text("SELECT actor_name FROM audit_events ORDER BY seq")).all()
    assert names == ["si.ramesh"] * 5
    keyring = runtime.keyring
    assert audit.verify(runtime.db.engine, keyring.audit_public, mac_key=keyring.audit_mac_key).ok
