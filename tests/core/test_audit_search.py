"""Auditors' tools: searching the log, and exporting a period as signed JSON lines that can be
checked anywhere with the public key alone."""

from __future__ import annotations

import io
import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kotwal.core import audit
from kotwal.core.audit import AuditEvent, Outcome
from kotwal.core.db import Database
from kotwal.core.keys import KeyRing

T0 = 1_700_000_000_000_000


def _log(db: Database) -> None:
    """Ten events: two officers, disclosures and a denial, one microsecond apart."""
    events = [
        AuditEvent(
            action="record.disclose" if i != 7 else "record.read",
            outcome=Outcome.DENIED if i == 7 else Outcome.SUCCESS,
            actor_id=f"acc-{i % 2}",
            actor_name=f"officer.{i % 2}",
            resource_type="person" if i < 5 else "arms_licence",
            resource_id=f"r-{i}",
            purpose="case 7/2024",
            detail={"n": i},
            at_us=T0 + i,
        )
        for i in range(1, 11)
    ]
    with db.transaction(write=True) as session:
        audit.append(session, events)


def _seqs(db: Database, **filters: object) -> list[int]:
    with db.transaction(write=False) as session:
        return [row.seq for row in audit.search(session, **filters)]  # type: ignore[arg-type]


def test_search_returns_newest_first(db: Database) -> None:
    _log(db)
    assert _seqs(db) == list(range(10, 0, -1))


def test_search_filters_combine(db: Database) -> None:
    _log(db)
    assert _seqs(db, actor="officer.1") == [9, 7, 5, 3, 1]
    assert _seqs(db, actor="acc-0", resource_type="arms_licence") == [10, 8, 6]
    assert _seqs(db, action="record.read") == [7]
    assert _seqs(db, outcome=Outcome.DENIED) == [7]
    assert _seqs(db, resource_id="r-4") == [4]
    assert _seqs(db, since_us=T0 + 3, until_us=T0 + 5) == [5, 4, 3]
    assert _seqs(db, actor="nobody") == []


def test_search_pages_backwards_and_caps_the_limit(db: Database) -> None:
    _log(db)
    assert _seqs(db, limit=3) == [10, 9, 8]
    assert _seqs(db, limit=3, before_seq=8) == [7, 6, 5]
    assert _seqs(db, limit=0) == [10]
    with db.transaction(write=True) as session:
        audit.append(
            session,
            [AuditEvent(action="a", outcome="success", actor_id=None, actor_name="x")] * 600,
        )
    assert len(_seqs(db, limit=10_000)) == audit.SEARCH_LIMIT_MAX


def _export(db: Database, keyring: KeyRing, path: Path, since: int, until: int) -> int:
    buffer = io.StringIO()
    with db.transaction(write=False) as session:
        count = audit.export_period(session, keyring, since, until, buffer)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return count


def test_an_export_holds_the_period_and_verifies(
    db: Database, keyring: KeyRing, tmp_path: Path
) -> None:
    _log(db)
    path = tmp_path / "export.jsonl"
    assert _export(db, keyring, path, T0 + 2, T0 + 6) == 5
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    events, trailer = lines[:-1], lines[-1]
    assert [e["seq"] for e in events] == [2, 3, 4, 5, 6]
    assert set(events[0]) == set(audit.EVENT_COLUMNS)
    assert trailer["count"] == 5 and (trailer["first_seq"], trailer["last_seq"]) == (2, 6)
    assert audit.verify_export(path, keyring.audit_public)


def test_exported_events_carry_their_chain_hashes(
    db: Database, keyring: KeyRing, tmp_path: Path
) -> None:
    _log(db)
    path = tmp_path / "export.jsonl"
    _export(db, keyring, path, T0, T0 + 100)
    for line in path.read_text().splitlines()[:-1]:
        e = json.loads(line)
        recomputed = audit.event_hash(*(e[c] for c in audit.EVENT_COLUMNS[:-1]))
        assert recomputed == e["hash"]


def test_an_empty_period_exports_a_signed_trailer(
    db: Database, keyring: KeyRing, tmp_path: Path
) -> None:
    path = tmp_path / "export.jsonl"
    assert _export(db, keyring, path, T0, T0 + 1) == 0
    assert len(path.read_text().splitlines()) == 1
    assert audit.verify_export(path, keyring.audit_public)


def test_a_tampered_export_fails(db: Database, keyring: KeyRing, tmp_path: Path) -> None:
    _log(db)
    path = tmp_path / "export.jsonl"
    _export(db, keyring, path, T0, T0 + 100)
    original = path.read_text()
    tampered = {
        "an event edited": original.replace("officer.1", "officer.9", 1),
        "an event removed": "".join(
            line for i, line in enumerate(original.splitlines(keepends=True)) if i != 3
        ),
        "the count edited": original.replace('"count":10', '"count":9'),
        "the trailer removed": "".join(original.splitlines(keepends=True)[:-1]),
        "a line appended": original + '{"seq":11}\n',
        "truncated": original[:-1],
    }
    for what, content in tampered.items():
        path.write_text(content)
        assert not audit.verify_export(path, keyring.audit_public), what


def test_an_export_does_not_verify_under_another_key(
    db: Database, keyring: KeyRing, tmp_path: Path
) -> None:
    _log(db)
    path = tmp_path / "export.jsonl"
    _export(db, keyring, path, T0, T0 + 100)
    assert not audit.verify_export(path, Ed25519PrivateKey.generate().public_key())
