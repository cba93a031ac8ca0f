"""The audit chain: a fresh log verifies, and every edit made behind the log's back is named at
the right sequence number, on SQLite and on PostgreSQL alike.

Tampering is done the way an intruder with database access would do it: raw SQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from kotwal.core import audit
from kotwal.core.audit import AuditEvent, Outcome, VerifyResult, event_hash
from kotwal.core.crypto import bind_keyring
from kotwal.core.db import Database
from kotwal.core.keys import KeyRing
from tests.intruder import past_the_triggers

N = 30

_COLUMNS = (
    "at_us, actor_id, actor_name, session_id, action, outcome, resource_type, resource_id, "
    "purpose, client_addr, detail, prev_hash, hash"
)


def _event(i: int, **overrides: Any) -> AuditEvent:
    fields: dict[str, Any] = {
        "action": "record.disclose",
        "outcome": Outcome.SUCCESS,
        "actor_id": f"00000000-0000-0000-0000-{i:012d}",
        "actor_name": f"si.{i}",
        "resource_type": "person",
        "resource_id": f"p-{i}",
        "purpose": None if i % 3 else f"case {i}/2024",
        "client_addr": "10.0.0.1",
        "session_id": None,
        "detail": {"fields": i, "out_of_jurisdiction": i % 2 == 0},
        "at_us": 1_700_000_000_000_000 + i,
    }
    fields.update(overrides)
    return AuditEvent(**fields)


def _fill(db: Database, n: int = N) -> list[int]:
    with db.transaction(write=True) as session:
        return audit.append(session, [_event(i) for i in range(1, n + 1)])


def _sql(db: Database, statement: str, **params: Any) -> None:
    with db.engine.begin() as conn, past_the_triggers(conn):
        conn.execute(text(statement), params)


def _row(db: Database, seq: int) -> dict[str, Any]:
    with db.engine.connect() as conn:
        row = conn.execute(
            text(f"SELECT seq, {_COLUMNS} FROM audit_events WHERE seq = :s"), {"s": seq}
        ).one()
    return dict(row._mapping)


def _rehash(row: dict[str, Any], seq: int, prev_hash: str) -> str:
    return event_hash(
        seq,
        row["at_us"],
        row["actor_id"],
        row["actor_name"],
        row["session_id"],
        row["action"],
        row["outcome"],
        row["resource_type"],
        row["resource_id"],
        row["purpose"],
        row["client_addr"],
        row["detail"],
        prev_hash,
    )


def _insert(db: Database, row: dict[str, Any]) -> None:
    names = ", ".join(row)
    values = ", ".join(f":{k}" for k in row)
    _sql(db, f"INSERT INTO audit_events ({names}) VALUES ({values})", **row)


def _verify(db: Database, keyring: KeyRing, **kwargs: Any) -> VerifyResult:
    return audit.verify(db.engine, keyring.audit_public, **kwargs)


def _checkpoint(db: Database, keyring: KeyRing) -> None:
    with db.transaction(write=True) as session:
        assert audit.checkpoint(session, keyring) is not None


# --- a sound log -----------------------------------------------------------------------------


def test_an_empty_log_verifies(db: Database, keyring: KeyRing) -> None:
    result = _verify(db, keyring)
    assert result.ok and result.events_checked == 0 and result.first_bad_seq is None


def test_a_fresh_chain_verifies_with_its_checkpoints(db: Database, keyring: KeyRing) -> None:
    assert _fill(db) == list(range(1, N + 1))
    _checkpoint(db, keyring)
    result = _verify(db, keyring)
    assert result == VerifyResult(True, N, 1, None, "ok")


def test_appends_continue_the_chain_across_transactions(db: Database, keyring: KeyRing) -> None:
    _fill(db, 5)
    with db.transaction(write=True) as session:
        assert audit.append(session, [_event(6), _event(7)]) == [6, 7]
    assert _verify(db, keyring).events_checked == 7


def test_progress_is_reported_while_verifying(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    seen: list[int] = []
    assert _verify(db, keyring, progress=seen.append).ok
    assert seen and seen[-1] == N


def test_separator_and_nul_in_a_field_are_stored_harmlessly(db: Database, keyring: KeyRing) -> None:
    with db.transaction(write=True) as session:
        audit.append(session, [_event(1, purpose="case\x1f1\x00", actor_name="x" * 500)])
    row = _row(db, 1)
    assert row["purpose"] == "case\ufffd1\ufffd" and len(row["actor_name"]) == 64
    assert _verify(db, keyring).ok


# --- tampering with events ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("at_us", 1),
        ("actor_id", None),
        ("actor_name", "someone.else"),
        ("session_id", "s-1"),
        ("action", "record.read"),
        ("outcome", Outcome.DENIED),
        ("resource_type", "arms_licence"),
        ("resource_id", "p-999"),
        ("purpose", "covering tracks"),
        ("client_addr", None),
        ("detail", "{}"),
        ("prev_hash", "f" * 64),
        ("hash", "e" * 64),
    ],
)
def test_an_altered_row_is_named(
    db: Database, keyring: KeyRing, column: str, value: object
) -> None:
    _fill(db)
    _sql(db, f"UPDATE audit_events SET {column} = :v WHERE seq = 17", v=value)
    result = _verify(db, keyring)
    assert not result.ok and result.first_bad_seq == 17, result.reason


def test_an_altered_row_reports_a_hash_mismatch(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    _sql(db, "UPDATE audit_events SET actor_name = 'nobody' WHERE seq = 9")
    assert (
        _verify(db, keyring).describe()
        == "audit chain broken at seq 9: hash mismatch (row altered)"
    )


def test_an_altered_and_rehashed_row_is_named(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    row = _row(db, 12)
    row["actor_name"] = "nobody"
    new_hash = _rehash(row, 12, row["prev_hash"])
    _sql(db, "UPDATE audit_events SET actor_name = 'nobody', hash = :h WHERE seq = 12", h=new_hash)
    result = _verify(db, keyring)
    assert result.first_bad_seq == 12 and "re-hashed" in result.reason


def test_moving_text_across_a_field_boundary_is_caught(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    row = _row(db, 4)  # actor_name "si.4", session_id NULL
    _sql(
        db,
        "UPDATE audit_events SET actor_name = :a, session_id = NULL WHERE seq = 4",
        a=row["actor_name"] + "\x1f",
    )
    assert _verify(db, keyring).first_bad_seq == 4


def test_a_deleted_row_is_named(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    _sql(db, "DELETE FROM audit_events WHERE seq = 11")
    result = _verify(db, keyring)
    assert result.first_bad_seq == 11 and "deleted" in result.reason
    assert result.events_checked == 10


def test_a_deleted_last_row_is_named_by_the_head(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    _sql(db, f"DELETE FROM audit_events WHERE seq = {N}")
    result = _verify(db, keyring)
    assert result.first_bad_seq == N and "tail" in result.reason


def test_a_deleted_and_renumbered_row_is_named(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    _sql(db, "DELETE FROM audit_events WHERE seq = 11")
    _sql(db, "UPDATE audit_events SET seq = -seq WHERE seq > 11")
    _sql(db, "UPDATE audit_events SET seq = -seq - 1 WHERE seq < 0")
    assert _verify(db, keyring).first_bad_seq == 11


def _make_room_at(db: Database, seq: int) -> None:
    """Renumber seq.. one up, in two steps so no intermediate state clashes on the key."""
    _sql(db, "UPDATE audit_events SET seq = -seq WHERE seq >= :s", s=seq)
    _sql(db, "UPDATE audit_events SET seq = -seq + 1 WHERE seq < 0")


def test_an_inserted_forged_row_that_links_is_named(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    _make_room_at(db, 8)
    forged = _row(db, 7) | {"seq": 8, "actor_name": "forger", "prev_hash": _row(db, 7)["hash"]}
    forged["hash"] = _rehash(forged, 8, forged["prev_hash"])
    _insert(db, forged)
    result = _verify(db, keyring)
    assert result.first_bad_seq == 8 and "inserted" in result.reason


def test_a_crudely_inserted_row_is_named(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    _make_room_at(db, 8)
    _insert(db, _row(db, 3) | {"seq": 8})
    assert _verify(db, keyring).first_bad_seq == 8


def test_a_self_consistent_row_inserted_without_a_link_is_named(
    db: Database, keyring: KeyRing
) -> None:
    _fill(db)
    _make_room_at(db, 8)
    forged = _row(db, 3) | {"seq": 8}
    forged["hash"] = _rehash(forged, 8, forged["prev_hash"])
    _insert(db, forged)
    assert _verify(db, keyring).first_bad_seq == 8


def test_a_row_appended_beyond_the_head_is_named(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    last = _row(db, N)
    extra = last | {"seq": N + 1, "prev_hash": last["hash"]}
    extra["hash"] = _rehash(extra, N + 1, last["hash"])
    _insert(db, extra)
    result = _verify(db, keyring)
    assert result.first_bad_seq == N + 1 and "audit_head" in result.reason


def _swap(db: Database, a: int, b: int) -> None:
    """Exchange every column but seq between two rows."""
    row_a, row_b = _row(db, a), _row(db, b)
    assignments = ", ".join(f"{c.strip()} = :{c.strip()}" for c in _COLUMNS.split(","))
    for seq, content in ((a, row_b), (b, row_a)):
        _sql(db, f"UPDATE audit_events SET {assignments} WHERE seq = {seq}", **content)


@pytest.mark.parametrize(("a", "b"), [(5, 20), (14, 15), (1, N)])
def test_two_swapped_rows_are_named(db: Database, keyring: KeyRing, a: int, b: int) -> None:
    _fill(db)
    _swap(db, a, b)
    result = _verify(db, keyring)
    assert not result.ok and result.first_bad_seq == a, result.reason


def test_swapped_contents_without_hashes_are_named(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    _sql(
        db,
        "UPDATE audit_events SET actor_name = CASE seq WHEN 6 THEN 'si.9' ELSE 'si.6' END "
        "WHERE seq IN (6, 9)",
    )
    assert _verify(db, keyring).first_bad_seq == 6


def test_the_first_of_several_edits_is_named(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    _sql(db, "UPDATE audit_events SET purpose = 'x' WHERE seq IN (9, 21)")
    _sql(db, "DELETE FROM audit_events WHERE seq = 25")
    assert _verify(db, keyring).first_bad_seq == 9


# --- the head, checkpoints and the witness -------------------------------------------------


def test_a_head_that_disagrees_with_the_last_row_is_named(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    _sql(db, "UPDATE audit_head SET hash = :h", h="a" * 64)
    result = _verify(db, keyring)
    assert result.first_bad_seq == N and "audit_head" in result.reason


def test_a_missing_head_is_reported(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    _sql(db, "DELETE FROM audit_head")
    result = _verify(db, keyring)
    assert not result.ok and "audit_head" in result.reason


def test_checkpoint_signs_the_head_once(db: Database, keyring: KeyRing) -> None:
    with db.transaction(write=True) as session:
        assert audit.checkpoint(session, keyring) is None  # nothing to sign yet
    _fill(db)
    with db.transaction(write=True) as session:
        cp = audit.checkpoint(session, keyring)
        assert cp is not None and cp.seq == N
        assert audit.checkpoint(session, keyring) is None
    assert cp.key_id == audit.key_id(keyring.audit_public_raw())
    keyring.audit_public.verify(
        bytes.fromhex(cp.signature), audit.checkpoint_message(cp.seq, cp.hash, cp.at_us)
    )


def test_tail_truncation_with_a_rewound_head_is_caught_by_a_checkpoint(
    db: Database, keyring: KeyRing
) -> None:
    _fill(db)
    _checkpoint(db, keyring)
    keep = _row(db, 24)
    _sql(db, "DELETE FROM audit_events WHERE seq > 24")
    _sql(db, "UPDATE audit_head SET seq = 24, hash = :h", h=keep["hash"])
    result = _verify(db, keyring)
    assert result.first_bad_seq == 25 and "tail" in result.reason


def test_a_forged_checkpoint_fails(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    row = _row(db, 20)
    forger = Ed25519PrivateKey.generate()
    signature = forger.sign(audit.checkpoint_message(20, row["hash"], 1)).hex()
    _sql(
        db,
        "INSERT INTO audit_checkpoints (seq, hash, at_us, key_id, signature) "
        "VALUES (20, :h, 1, :k, :s)",
        h=row["hash"],
        k=audit.key_id(keyring.audit_public_raw()),
        s=signature,
    )
    result = _verify(db, keyring)
    assert result.first_bad_seq == 20 and "signature" in result.reason


def test_an_altered_checkpoint_fails(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    _checkpoint(db, keyring)
    _sql(db, "UPDATE audit_checkpoints SET at_us = at_us + 1")
    result = _verify(db, keyring)
    assert result.first_bad_seq == N and "signature" in result.reason


def test_a_rewritten_and_rehashed_chain_is_caught_at_the_checkpoint(
    db: Database, keyring: KeyRing
) -> None:
    _fill(db, 10)
    _checkpoint(db, keyring)
    with db.transaction(write=True) as session:
        bind_keyring(session, keyring)  # after a checkpoint every event must carry its MAC
        audit.append(session, [_event(i) for i in range(11, 21)])
    _checkpoint(db, keyring)
    # Rewrite seq 13 and re-hash everything after it, head included: consistent, but forged.
    prev = _row(db, 12)["hash"]
    for seq in range(13, 21):
        row = _row(db, seq) | ({"actor_name": "nobody"} if seq == 13 else {})
        new_hash = _rehash(row, seq, prev)
        _sql(
            db,
            "UPDATE audit_events SET actor_name = :a, prev_hash = :p, hash = :h WHERE seq = :s",
            a=row["actor_name"],
            p=prev,
            h=new_hash,
            s=seq,
        )
        prev = new_hash
    _sql(db, "UPDATE audit_head SET hash = :h", h=prev)
    result = _verify(db, keyring)
    assert result.first_bad_seq == 20 and "11..20" in result.reason


def test_witness_export_appends_only_new_checkpoints(
    db: Database, keyring: KeyRing, tmp_path: Path
) -> None:
    witness = tmp_path / "witness.jsonl"
    _fill(db, 5)
    _checkpoint(db, keyring)
    with db.transaction(write=False) as session:
        assert audit.export_witness(session, witness) == 1
        assert audit.export_witness(session, witness) == 0
    with db.transaction(write=True) as session:
        audit.append(bind_keyring(session, keyring), [_event(6)])
    _checkpoint(db, keyring)
    with db.transaction(write=False) as session:
        assert audit.export_witness(session, witness) == 1
    assert len(witness.read_text().splitlines()) == 2
    result = _verify(db, keyring, witness=witness)
    assert result.ok and result.checkpoints_checked == 4


def test_the_witness_catches_a_truncation_the_database_hides(
    db: Database, keyring: KeyRing, tmp_path: Path
) -> None:
    witness = tmp_path / "witness.jsonl"
    _fill(db)
    _checkpoint(db, keyring)
    with db.transaction(write=False) as session:
        audit.export_witness(session, witness)
    # The intruder removes the tail, rewinds the head and deletes the checkpoints in the database.
    _sql(db, "DELETE FROM audit_events WHERE seq > 20")
    _sql(db, "UPDATE audit_head SET seq = 20, hash = :h", h=_row(db, 20)["hash"])
    _sql(db, "DELETE FROM audit_checkpoints")
    assert _verify(db, keyring).ok  # the limit documented in the module
    result = _verify(db, keyring, witness=witness)
    assert result.first_bad_seq == 21 and "witness" in result.reason


def test_a_tampered_witness_line_fails(db: Database, keyring: KeyRing, tmp_path: Path) -> None:
    witness = tmp_path / "witness.jsonl"
    _fill(db)
    _checkpoint(db, keyring)
    with db.transaction(write=False) as session:
        audit.export_witness(session, witness)
    witness.write_text(witness.read_text().replace(f'"seq":{N}', '"seq":7'))
    result = _verify(db, keyring, witness=witness)
    assert result.first_bad_seq == 7 and "witness" in result.reason


def test_an_unreadable_witness_fails(db: Database, keyring: KeyRing, tmp_path: Path) -> None:
    witness = tmp_path / "witness.jsonl"
    witness.write_text("not json\n")
    result = _verify(db, keyring, witness=witness)
    assert not result.ok and result.first_bad_seq is None and "line 1" in result.reason
    assert not _verify(db, keyring, witness=tmp_path / "absent.jsonl").ok


def test_verify_with_another_key_fails(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    _checkpoint(db, keyring)
    result = audit.verify(db.engine, Ed25519PrivateKey.generate().public_key())
    assert result.first_bad_seq == N and "key" in result.reason


def test_text_in_indian_scripts_is_chained_and_verified(db: Database, keyring: KeyRing) -> None:
    with db.transaction(write=True) as session:
        audit.append(
            session,
            [_event(1, purpose="కేసు సంఖ్య 12/2024", actor_name="उप निरीक्षक", detail={"नोट": "ठीक"})],
        )
    assert _row(db, 1)["purpose"] == "కేసు సంఖ్య 12/2024"
    assert _verify(db, keyring).ok


def test_the_signer_refuses_to_bless_a_rewound_head(db: Database, keyring: KeyRing) -> None:
    _fill(db)
    _checkpoint(db, keyring)
    _sql(db, "DELETE FROM audit_events WHERE seq > 24")
    _sql(db, "UPDATE audit_head SET seq = 24, hash = :h", h=_row(db, 24)["hash"])
    with pytest.raises(audit.AuditIntegrityError), db.transaction(write=True) as session:
        audit.checkpoint(session, keyring)
    assert _verify(db, keyring).first_bad_seq == 25


def test_the_signer_refuses_a_head_that_disagrees_with_its_event(
    db: Database, keyring: KeyRing
) -> None:
    _fill(db)
    _sql(db, "UPDATE audit_head SET hash = :h", h="a" * 64)
    with pytest.raises(audit.AuditIntegrityError), db.transaction(write=True) as session:
        audit.checkpoint(session, keyring)
