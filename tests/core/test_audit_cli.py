"""``kotwal audit`` as an operator uses it: verify passes on a sound log and exits 1 naming the
first bad seq after tampering; checkpoint, witness and export; readable refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from kotwal.accounts.audit_cli import app
from kotwal.core import audit
from kotwal.core.audit import AuditEvent, Outcome
from kotwal.core.config import Settings, get_settings
from kotwal.core.db import Database
from kotwal.core.keys import KeyRing, generate_keys
from kotwal.core.models import AuditCheckpoint, AuditEventRow
from tests.intruder import past_the_triggers

runner = CliRunner()
N = 40
T0 = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z


def _fill(db: Database, n: int = N) -> None:
    events = [
        AuditEvent(
            action="record.disclose",
            outcome=Outcome.SUCCESS,
            actor_id=None,
            actor_name=f"si.{i % 4}",
            resource_type="person",
            resource_id=f"p-{i}",
            at_us=T0 + i * 3_600_000_000,  # one an hour
        )
        for i in range(n)
    ]
    with db.transaction(write=True) as session:
        audit.append(session, events)


def _sql(db: Database, statement: str, **params: Any) -> None:
    with db.engine.begin() as conn, past_the_triggers(conn):
        conn.execute(text(statement), params)


def _swap_actor_and_hashes(db: Database, a: int, b: int) -> None:
    with db.engine.begin() as conn, past_the_triggers(conn):
        rows = {
            seq: conn.execute(
                text("SELECT actor_name, prev_hash, hash FROM audit_events WHERE seq = :s"),
                {"s": seq},
            ).one()
            for seq in (a, b)
        }
        for seq, other in ((a, b), (b, a)):
            name, prev_hash, digest = rows[other]
            conn.execute(
                text(
                    "UPDATE audit_events SET actor_name = :n, prev_hash = :p, hash = :h "
                    "WHERE seq = :s"
                ),
                {"n": name, "p": prev_hash, "h": digest, "s": seq},
            )


def test_verify_passes_on_a_fresh_instance(env: Settings, db: Database, keyring: KeyRing) -> None:
    _fill(db)
    with db.transaction() as session:
        audit.checkpoint(session, keyring)  # as the running service does at intervals
    result = runner.invoke(app, ["verify"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output and "events/s" in result.output
    assert f"{N} events verified" in result.output


@pytest.mark.parametrize(
    ("tamper", "seq"),
    [
        (lambda db: _sql(db, "UPDATE audit_events SET resource_id = 'p-x' WHERE seq = 13"), 13),
        (lambda db: _sql(db, "DELETE FROM audit_events WHERE seq = 21"), 21),
        (
            lambda db: _sql(
                db,
                "INSERT INTO audit_events SELECT seq + 1, at_us, actor_id, actor_name, "
                "session_id, action, outcome, resource_type, resource_id, purpose, client_addr, "
                "detail, hash, hash, mac FROM audit_events WHERE seq = :n",
                n=N,
            ),
            N + 1,
        ),
        (lambda db: _swap_actor_and_hashes(db, 7, 30), 7),
    ],
    ids=["altered", "deleted", "inserted", "swapped"],
)
def test_verify_exits_1_naming_the_first_bad_seq(
    env: Settings, db: Database, tamper: Any, seq: int
) -> None:
    _fill(db)
    tamper(db)
    result = runner.invoke(app, ["verify"])
    assert result.exit_code == 1, result.output
    assert f"audit chain broken at seq {seq}:" in result.output


def test_checkpoint_signs_the_head_once(env: Settings, db: Database) -> None:
    _fill(db)
    first = runner.invoke(app, ["checkpoint"])
    assert first.exit_code == 0 and f"checkpoint at seq {N}" in first.output
    again = runner.invoke(app, ["checkpoint"])
    assert again.exit_code == 0 and "nothing new" in again.output
    with db.transaction(write=False) as session:
        assert list(session.scalars(select(AuditCheckpoint.seq))) == [N]


def test_witness_file_is_written_and_checked(env: Settings, db: Database, tmp_path: Path) -> None:
    _fill(db)
    witness = tmp_path / "witness.jsonl"
    result = runner.invoke(app, ["witness", str(witness)])
    assert result.exit_code == 0, result.output
    assert "1 checkpoint(s) added" in result.output
    assert runner.invoke(app, ["verify", "--witness", str(witness)]).exit_code == 0
    # Tail deleted, head rewound, database checkpoints removed: only the witness knows.
    _sql(db, "DELETE FROM audit_events WHERE seq > 30")
    _sql(db, "DELETE FROM audit_checkpoints")
    with db.engine.begin() as conn:
        last = conn.execute(text("SELECT hash FROM audit_events WHERE seq = 30")).scalar_one()
        conn.execute(text("UPDATE audit_head SET seq = 30, hash = :h"), {"h": last})
    # Without the witness, the long unsigned stretch still gives the deletion away.
    unwitnessed = runner.invoke(app, ["verify"])
    assert unwitnessed.exit_code == 1 and "without a signed checkpoint" in unwitnessed.output
    caught = runner.invoke(app, ["verify", "--witness", str(witness)])
    assert caught.exit_code == 1 and "broken at seq 31" in caught.output


def test_export_writes_a_private_signed_file_and_is_audited(
    env: Settings, db: Database, keyring: KeyRing, tmp_path: Path
) -> None:
    _fill(db)
    out = tmp_path / "jan.jsonl"
    result = runner.invoke(
        app, ["export", "--since", "2024-01-01", "--until", "2024-01-01", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "exported 24 event(s)" in result.output  # hours 0..23 of the first day
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert audit.verify_export(out, keyring.audit_public)
    with db.transaction(write=False) as session:
        [event] = session.scalars(
            select(AuditEventRow).where(AuditEventRow.action == "audit.export")
        )
    assert event.actor_name.startswith("cli:") and '"events":24' in event.detail
    again = runner.invoke(
        app, ["export", "--since", "2024-01-01", "--until", "2024-01-02", "--out", str(out)]
    )
    assert again.exit_code == 2 and "refusing to overwrite" in again.output


def test_export_takes_date_times_and_rejects_nonsense(
    env: Settings, db: Database, tmp_path: Path
) -> None:
    _fill(db)
    out = tmp_path / "two-hours.jsonl"
    result = runner.invoke(
        app,
        [
            "export",
            "--since",
            "2024-01-01T01:00",
            "--until",
            "2024-01-01T02:00:00+00:00",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0 and "exported 2 event(s)" in result.output
    bad = runner.invoke(
        app, ["export", "--since", "yesterday", "--until", "2024-01-02", "--out", str(out)]
    )
    assert bad.exit_code == 2
    backwards = runner.invoke(
        app, ["export", "--since", "2024-02-01", "--until", "2024-01-01", "--out", str(out)]
    )
    assert backwards.exit_code == 2 and "before" in backwards.output


def test_missing_keys_are_a_readable_refusal(
    env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOTWAL_DATA_DIR", str(tmp_path / "nowhere"))
    get_settings.cache_clear()
    result = runner.invoke(app, ["verify"])
    assert result.exit_code == 2
    assert "kotwal init" in result.output and "Traceback" not in result.output


def test_exposed_keys_are_a_readable_refusal(
    env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "exposed"
    generate_keys(data / "keys")
    (data / "keys" / "audit-signing.key").chmod(0o644)
    monkeypatch.setenv("KOTWAL_DATA_DIR", str(data))
    get_settings.cache_clear()
    result = runner.invoke(app, ["checkpoint"])
    assert result.exit_code == 2 and "chmod" in result.output


def test_every_command_has_help() -> None:
    for command in ([], ["verify"], ["checkpoint"], ["witness"], ["export"]):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_checkpoint_refuses_a_rewound_head(env: Settings, db: Database) -> None:
    _fill(db)
    assert runner.invoke(app, ["checkpoint"]).exit_code == 0
    _sql(db, "DELETE FROM audit_events WHERE seq > 30")
    with db.engine.begin() as conn:
        last = conn.execute(text("SELECT hash FROM audit_events WHERE seq = 30")).scalar_one()
        conn.execute(text("UPDATE audit_head SET seq = 30, hash = :h"), {"h": last})
    result = runner.invoke(app, ["checkpoint"])
    assert result.exit_code == 1 and "refusing to sign" in result.output


def test_verify_fails_when_checkpoints_were_deleted(
    env: Settings, db: Database, keyring: KeyRing
) -> None:
    _fill(db, 2 * env.checkpoint_every_events + 1)
    with db.transaction() as session:
        audit.checkpoint(session, keyring)
    assert runner.invoke(app, ["verify"]).exit_code == 0
    _sql(db, "DELETE FROM audit_checkpoints")
    result = runner.invoke(app, ["verify"])
    assert result.exit_code == 1
    assert "after the newest signed checkpoint" in result.output


def test_the_service_copies_checkpoints_to_the_configured_witness(
    db: Database, keyring: KeyRing, tmp_path: Path
) -> None:
    witness = tmp_path / "witness.jsonl"
    committer = audit.GroupCommitter(db, keyring=keyring, witness=witness)
    committer.start()
    seqs = committer.write([_event("auth.login"), _event("record.disclose")])
    committer.stop()  # signs a checkpoint on the way out
    entries = [json.loads(line) for line in witness.read_text().splitlines()]
    assert entries and entries[-1]["seq"] == seqs[-1]


def _event(action: str) -> AuditEvent:
    return AuditEvent(action=action, outcome=Outcome.SUCCESS, actor_id=None, actor_name="t")
