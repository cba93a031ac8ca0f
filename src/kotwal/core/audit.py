"""The append-only, hash-chained audit log.

Every login, failed login, permission denial, disclosure and write is one event: who, what,
which record, the declared purpose, the outcome and the client address, never the record's
content. Each event's hash covers its own fields and the previous event's hash, so editing,
deleting, inserting or reordering rows breaks the chain at a sequence number that
``kotwal audit verify`` names.

Two ways in:
- :func:`append` inside the caller's transaction: the audit event of a write commits with the
  write or not at all;
- :class:`GroupCommitter` for events that must be durable whatever the request's own
  transaction does (disclosures by read requests, denials, failed logins): many callers share
  one commit, and each caller waits until its events are durable before answering.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from kotwal.core.models import AuditEventRow, AuditHead

GENESIS_HASH = "0" * 64
_SEP = "\x1f"
_NONE = "\x00"


class Outcome:
    SUCCESS = "success"
    DENIED = "denied"
    FAILURE = "failure"


@dataclass(frozen=True)
class AuditEvent:
    """One thing that happened. ``detail`` holds flags and counts, never record content."""

    action: str
    outcome: str
    actor_id: str | None
    actor_name: str
    resource_type: str | None = None
    resource_id: str | None = None
    purpose: str | None = None
    client_addr: str | None = None
    session_id: str | None = None
    detail: dict[str, str | int | bool | None] = field(default_factory=dict)
    at_us: int = field(default_factory=lambda: time.time_ns() // 1000)


def canonical_detail(detail: dict[str, str | int | bool | None]) -> str:
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _text(value: object) -> str:
    return _NONE if value is None else str(value)


def event_hash(
    seq: int,
    at_us: int,
    actor_id: str | None,
    actor_name: str,
    session_id: str | None,
    action: str,
    outcome: str,
    resource_type: str | None,
    resource_id: str | None,
    purpose: str | None,
    client_addr: str | None,
    detail: str,
    prev_hash: str,
) -> str:
    """SHA-256 over the event's fields in a fixed order, chained to ``prev_hash``."""
    parts = (
        str(seq),
        str(at_us),
        _text(actor_id),
        actor_name,
        _text(session_id),
        action,
        outcome,
        _text(resource_type),
        _text(resource_id),
        _text(purpose),
        _text(client_addr),
        detail,
        prev_hash,
    )
    return hashlib.sha256(_SEP.join(parts).encode("utf-8")).hexdigest()


def _lock_head(session: Session) -> AuditHead:
    """Take the chain head, locked (FOR UPDATE on PostgreSQL; SQLite's write lock serialises)."""
    stmt = select(AuditHead).where(AuditHead.id == 1).with_for_update()
    head = session.execute(stmt).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def append(session: Session, events: Sequence[AuditEvent]) -> list[int]:
    """Chain ``events`` onto the log inside the caller's transaction; return their seqs."""
    if not events:
        return []
    head = _lock_head(session)
    seq, prev = head.seq, head.hash
    rows: list[dict[str, object]] = []
    for ev in events:
        seq += 1
        detail = canonical_detail(ev.detail)
        digest = event_hash(
            seq, ev.at_us, ev.actor_id, ev.actor_name, ev.session_id, ev.action, ev.outcome,
            ev.resource_type, ev.resource_id, ev.purpose, ev.client_addr, detail, prev,
        )  # fmt: skip
        rows.append(
            {
                "seq": seq,
                "at_us": ev.at_us,
                "actor_id": ev.actor_id,
                "actor_name": ev.actor_name,
                "session_id": ev.session_id,
                "action": ev.action,
                "outcome": ev.outcome,
                "resource_type": ev.resource_type,
                "resource_id": ev.resource_id,
                "purpose": ev.purpose,
                "client_addr": ev.client_addr,
                "detail": detail,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    session.execute(insert(AuditEventRow), rows)
    head.seq, head.hash = seq, prev
    session.flush()
    return [int(r["seq"]) for r in rows]  # type: ignore[call-overload]


class GroupCommitter:
    """Placeholder until the group-commit writer lands: commits each batch at once, in the
    caller's thread, in a transaction of its own (correct, just not grouped)."""

    def __init__(self, database: object) -> None:
        from kotwal.core.db import Database

        assert isinstance(database, Database)
        self._db = database

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def write(self, events: Sequence[AuditEvent]) -> list[int]:
        """Make ``events`` durable and return their sequence numbers."""
        if not events:
            return []
        with self._db.transaction(write=True) as session:
            return append(session, events)
