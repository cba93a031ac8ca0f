"""The append-only, hash-chained, signed audit log and its verifier.

Every login, failed login, permission denial, disclosure and write is one event: who, what,
which record, the declared purpose, the outcome and the client address, never the record's
content. Each event's hash covers its own fields and the previous event's hash, so editing,
deleting, inserting or reordering rows breaks the chain at a sequence number that
:func:`verify` (``kotwal audit verify``) names.

Two ways in:

- :func:`append` inside the caller's transaction: the audit event of a write commits with the
  write or not at all;
- :class:`GroupCommitter` for events that must be durable whatever the request's own
  transaction does (disclosures by read requests, denials, failed logins): many callers share
  one commit, and each caller waits until its events are durable before answering.

Hash format (version 1). An event's hash is the hex SHA-256 of the UTF-8 encoding of thirteen
parts joined by U+001F (unit separator)::

    seq, at_us, ?actor_id, actor_name, ?session_id, action, outcome, ?resource_type,
    ?resource_id, ?purpose, ?client_addr, detail, prev_hash

Integers are written in decimal. A part marked ``?`` is nullable: NULL is the empty string and a
value ``v`` is ``"=" + v``, so NULL and "" stay distinct. No part may contain U+001F: the writer
replaces it (and NUL, which PostgreSQL cannot store) with U+FFFD, and the verifier rejects a
row whose joined text has more than twelve separators, so a value cannot be moved across a field
boundary without changing the hash. The first event's ``prev_hash`` is :data:`GENESIS_HASH`.

Checkpoints. :func:`checkpoint` signs the chain head with the Ed25519 audit key; the signed
message is :func:`checkpoint_message`::

    b"kotwal-audit-checkpoint/v1\\n" + f"{seq}\\n{hash}\\n{at_us}\\n".encode("ascii")

and ``key_id`` is the first 16 hex digits of the SHA-256 of the raw 32-byte public key.
:func:`export_witness` copies checkpoints to a JSON-lines file outside the database.

MACs. Each event also carries ``mac``, :func:`event_mac`: HMAC-SHA256 of its hash under
:attr:`KeyRing.audit_mac_key` (derived from the audit signing key, never in the database),
32 hex digits. It is not part of the hash, so the chain format is unchanged; events written
before migration 0025 have none.

What verification can and cannot show. The chain hashes are not keyed: anyone who can write to
the database can recompute them, so the chain alone proves the log is *consistent*; the MACs
prove each event was written by a holder of the audit key (``verify(mac_key=...)``, as ``kotwal
audit verify`` runs it: from the first event with a MAC, every later one must carry a valid
one), and the signed checkpoints prove the log *authentic* up to the newest checkpoint.

- A single row altered, deleted, inserted or two rows swapped, without recomputing hashes, is
  named exactly: the first seq whose hash, link or number is wrong.
- A rewrite that recomputes every later hash is consistent; it is caught at the first signed
  checkpoint after the change, which is the seq :func:`verify` names (the reason gives the range
  of seqs in which the change lies).
- Deleting the newest events is caught while ``audit_head`` still names the old end, or while a
  checkpoint (in the database or the witness) covers a deleted seq; the first missing seq is
  named. Someone who deletes tail events *and* rewinds ``audit_head`` *and* deletes the
  checkpoints in the database that cover them is caught only by a witness copy that holds such
  a checkpoint. Events written after the newest checkpoint (after the newest *witnessed* one,
  if the intruder also deletes checkpoint rows) can be removed, or fabricated, by a database
  writer without trace: nothing signed covers them. That window is bounded by
  ``checkpoint_every_events`` / ``checkpoint_every_seconds`` and by how often the witness file
  is refreshed (``kotwal audit witness``), which is why the witness should be copied often and
  kept where the database's administrators cannot write.
- Events written after the newest checkpoint cannot be fabricated without the audit key any
  more (their MAC fails), but they can still be deleted from the end by a database writer who
  also rewinds ``audit_head``, until a checkpoint or the witness covers them.
- The signer signs only a segment it has just verified: :func:`checkpoint` refuses (and the
  group committer raises a critical log line instead of signing) when the head no longer
  extends the newest checkpoint, or when any event after it is missing, out of place, does
  not hash or link, or lacks a valid MAC. A process that found the log broken holds its
  checkpoints (:meth:`GroupCommitter.hold_checkpoints`; ``kotwal audit verify`` does).
- Migration 0025 puts triggers on ``audit_events`` that refuse UPDATE and DELETE (and TRUNCATE
  on PostgreSQL), so the application's own connection cannot rewrite the log; an intruder with
  the SQLite file or the PostgreSQL table's owner can remove them, which is what the chain,
  the MACs and the checkpoints are for.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, Engine, Table, func, or_, select, text
from sqlalchemy.orm import Session

from kotwal.core.crypto import KEYRING_INFO
from kotwal.core.db import Database
from kotwal.core.errors import Problem
from kotwal.core.keys import KeyRing
from kotwal.core.models import AuditCheckpoint, AuditEventRow
from kotwal.core.policy import Actor

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
_SEP = "\x1f"
#: Thirteen parts, twelve separators: a row whose joined text has more was tampered with.
_SEPARATORS = 12
_REPLACEMENT = "\ufffd"
_CHECKPOINT_DOMAIN = b"kotwal-audit-checkpoint/v1\n"
_EXPORT_DOMAIN = b"kotwal-audit-export/v1\n"
EXPORT_FORMAT = "kotwal-audit-export/v1"
#: The most rows one search returns, whatever the caller asks for.
SEARCH_LIMIT_MAX = 500

_EVENTS: Table = AuditEventRow.__table__  # type: ignore[assignment]
#: The columns of an event in hash order, then the two hashes; also the export's field order.
EVENT_COLUMNS = (
    "seq",
    "at_us",
    "actor_id",
    "actor_name",
    "session_id",
    "action",
    "outcome",
    "resource_type",
    "resource_id",
    "purpose",
    "client_addr",
    "detail",
    "prev_hash",
    "hash",
)
# Written out in full (not built from EVENT_COLUMNS) so that no SQL is assembled at run time.
_SELECT_CHAIN = (
    "SELECT seq, at_us, actor_id, actor_name, session_id, action, outcome, resource_type, "
    "resource_id, purpose, client_addr, detail, prev_hash, hash, mac FROM audit_events "
    "ORDER BY seq"
)
_SELECT_CHAIN_AFTER = (
    "SELECT seq, at_us, actor_id, actor_name, session_id, action, outcome, resource_type, "
    "resource_id, purpose, client_addr, detail, prev_hash, hash, mac FROM audit_events "
    "WHERE seq > "
)
#: The action of the event that records old months leaving the live log (see
#: kotwal.core.audit_partitions); its detail names the last seq and hash retired.
RETIRE_ACTION = "audit.retire"
_SELECT_SEGMENT = (
    "SELECT seq, at_us, actor_id, actor_name, session_id, action, outcome, resource_type, "
    "resource_id, purpose, client_addr, detail, prev_hash, hash, mac FROM audit_events "
    "WHERE seq > :after AND seq <= :upto ORDER BY seq"
)
_INSERT_EVENTS = {
    "qmark": "INSERT INTO audit_events (seq, at_us, actor_id, actor_name, session_id, action, "
    "outcome, resource_type, resource_id, purpose, client_addr, detail, prev_hash, hash, mac) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "format": "INSERT INTO audit_events (seq, at_us, actor_id, actor_name, session_id, action, "
    "outcome, resource_type, resource_id, purpose, client_addr, detail, prev_hash, hash, mac) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
}
_UPDATE_HEAD = {
    "qmark": "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1",
    "format": "UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1",
}


def _column_length(name: str) -> int:
    length = getattr(_EVENTS.c[name].type, "length", None)
    return int(length) if length is not None else 1 << 30


#: Column widths (characters); PostgreSQL refuses longer text, so the writer cuts it.
_LIMITS = {name: _column_length(name) for name in EVENT_COLUMNS}


class Outcome:
    """How an audited action ended."""

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


#: One encoder, built once: ``json.dumps`` with options builds a new one per call.
_DETAIL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def actor_event(
    actor: Actor,
    action: str,
    outcome: str = Outcome.SUCCESS,
    *,
    resource_type: str | None = None,
    resource_id: str | None = None,
    purpose: str | None = None,
    detail: dict[str, str | int | bool | None] | None = None,
) -> AuditEvent:
    """An event done by ``actor``: who, from which session and address, come from the actor."""
    return AuditEvent(
        action=action,
        outcome=outcome,
        actor_id=actor.account_id,
        actor_name=actor.username,
        session_id=actor.session_id,
        client_addr=actor.client_addr,
        resource_type=resource_type,
        resource_id=resource_id,
        purpose=purpose,
        detail=dict(detail or {}),
    )


def canonical_detail(detail: dict[str, str | int | bool | None]) -> str:
    """The one JSON text of ``detail`` that the hash covers (sorted keys, no spaces)."""
    return _storable(_DETAIL_JSON(detail)) if detail else "{}"


def _opt(value: str | None) -> str:
    return "" if value is None else "=" + value


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
    """SHA-256 over the event's fields in a fixed order, chained to ``prev_hash``.

    The format is described in the module docstring; :func:`verify` inlines the same join.
    """
    parts = (
        str(seq),
        str(at_us),
        _opt(actor_id),
        actor_name,
        _opt(session_id),
        action,
        outcome,
        _opt(resource_type),
        _opt(resource_id),
        _opt(purpose),
        _opt(client_addr),
        detail,
        prev_hash,
    )
    return hashlib.sha256(_SEP.join(parts).encode("utf-8")).hexdigest()


def event_mac(key: bytes, chain_hash: str) -> str:
    """An event's MAC: HMAC-SHA256 of its chain hash under the audit MAC key, 32 hex digits.

    The chain hash is unkeyed (anyone who can write to the database can compute it); the MAC
    needs :attr:`KeyRing.audit_mac_key`, which is not in the database, so a row forged with a
    correct hash still fails.
    """
    return hmac.digest(key, chain_hash.encode("ascii"), "sha256").hex()[:32]


def _storable(value: str) -> str:
    """Text both databases store and hash alike: no separator, no NUL, valid UTF-8."""
    if _SEP in value or "\x00" in value:
        value = value.replace(_SEP, _REPLACEMENT).replace("\x00", _REPLACEMENT)
    if not value.isascii():
        # A lone surrogate cannot be encoded (nor stored by PostgreSQL); replace it.
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def _fit(value: str | None, limit: int) -> str | None:
    """Cut a value to its column so an overlong field never makes an audit write fail."""
    if value is None or (len(value) <= limit and value.isprintable()):
        return value  # the common case: short, printable, nothing to replace
    return _storable(value[:limit])


def _lock_head(session: Session) -> tuple[int, str]:
    """The chain head, locked (FOR UPDATE on PostgreSQL; SQLite's write lock serialises).

    Plain SQL on the session's connection: this runs once per audit commit, and a compiled
    SQLAlchemy statement costs more than the query.
    """
    conn = session.connection()
    query = (
        "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
        if conn.dialect.name == "postgresql"
        else "SELECT seq, hash FROM audit_head WHERE id = 1"
    )
    row = conn.exec_driver_sql(query).first()
    if row is None:
        # Two first appenders may race here; ON CONFLICT lets the loser wait and carry on.
        conn.execute(
            text(
                "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :genesis) "
                "ON CONFLICT (id) DO NOTHING"
            ),
            {"genesis": GENESIS_HASH},
        )
        row = conn.exec_driver_sql(query).one()
    return int(row[0]), str(row[1])


def append(session: Session, events: Sequence[AuditEvent]) -> list[int]:
    """Chain ``events`` onto the log inside the caller's transaction; return their seqs.

    The caller's transaction must be able to write (on SQLite, begun IMMEDIATE) so that the
    head it reads is still the head when it commits. Text fields longer than their column are
    cut to fit, and U+001F or NUL in them become U+FFFD (see the module docstring).
    """
    if not events:
        return []
    head_seq, prev = _lock_head(session)
    seq = head_seq
    rows: list[tuple[object, ...]] = []
    sha256, join, limit = hashlib.sha256, _SEP.join, _LIMITS
    keyring = session.info.get(KEYRING_INFO)
    mac_key = keyring.audit_mac_key if isinstance(keyring, KeyRing) else None
    for ev in events:
        seq += 1
        at_us = int(ev.at_us)
        actor_id = _fit(ev.actor_id, limit["actor_id"])
        actor_name = _fit(ev.actor_name, limit["actor_name"]) or ""
        session_id = _fit(ev.session_id, limit["session_id"])
        action = _fit(ev.action, limit["action"]) or ""
        outcome = _fit(ev.outcome, limit["outcome"]) or ""
        resource_type = _fit(ev.resource_type, limit["resource_type"])
        resource_id = _fit(ev.resource_id, limit["resource_id"])
        purpose = _fit(ev.purpose, limit["purpose"])
        client_addr = _fit(ev.client_addr, limit["client_addr"])
        detail = canonical_detail(ev.detail)
        # event_hash, inlined: this loop is the group committer's hot path.
        digest = sha256(
            join(
                (
                    str(seq),
                    str(at_us),
                    "" if actor_id is None else "=" + actor_id,
                    actor_name,
                    "" if session_id is None else "=" + session_id,
                    action,
                    outcome,
                    "" if resource_type is None else "=" + resource_type,
                    "" if resource_id is None else "=" + resource_id,
                    "" if purpose is None else "=" + purpose,
                    "" if client_addr is None else "=" + client_addr,
                    detail,
                    prev,
                )
            ).encode("utf-8")
        ).hexdigest()
        rows.append(
            (
                seq,
                at_us,
                actor_id,
                actor_name,
                session_id,
                action,
                outcome,
                resource_type,
                resource_id,
                purpose,
                client_addr,
                detail,
                prev,
                digest,
                None if mac_key is None else event_mac(mac_key, digest),
            )
        )
        prev = digest
    # The driver's own executemany with positional rows: SQLAlchemy's per-row parameter
    # processing cost more than the hashing.
    conn = session.connection()
    style = "qmark" if conn.dialect.paramstyle == "qmark" else "format"  # SQLite or psycopg
    conn.exec_driver_sql(_INSERT_EVENTS[style], rows)
    conn.exec_driver_sql(_UPDATE_HEAD[style], (seq, prev))
    return list(range(head_seq + 1, seq + 1))


# --- checkpoints ---------------------------------------------------------------------------


def key_id(public_key: Ed25519PublicKey | bytes) -> str:
    """A short name for an audit public key: 16 hex digits of SHA-256 of its raw bytes."""
    raw = (
        public_key
        if isinstance(public_key, bytes)
        else public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return hashlib.sha256(raw).hexdigest()[:16]


def checkpoint_message(seq: int, chain_hash: str, at_us: int) -> bytes:
    """The exact bytes a checkpoint signs (see the module docstring)."""
    return _CHECKPOINT_DOMAIN + f"{seq}\n{chain_hash}\n{at_us}\n".encode("ascii")


class AuditIntegrityError(Exception):
    """The log in the database contradicts its own newest checkpoint: refuse to sign it."""


def _hash_at(session: Session, seq: int) -> str | None:
    row = session.execute(select(_EVENTS.c.hash).where(_EVENTS.c.seq == seq)).first()
    return None if row is None else str(row[0])


def checkpoint(session: Session, keyring: KeyRing) -> AuditCheckpoint | None:
    """Sign the current chain head and store the signature; return it.

    Returns None when there is nothing new to sign: the chain is empty or its head is already
    checkpointed. Runs in the caller's (write) transaction.

    Raises :class:`AuditIntegrityError` rather than sign a head that does not extend the
    newest checkpoint (the tail was cut and ``audit_head`` rewound, or the event the head names
    was rewritten): a signer that blessed whatever the database says would turn a truncation
    into a signed history. This is a cheap check of two rows, not a full :func:`verify`.
    """
    seq, chain_hash = _lock_head(session)
    if seq == 0:
        return None
    newest = session.execute(
        select(AuditCheckpoint.seq, AuditCheckpoint.hash)
        .order_by(AuditCheckpoint.seq.desc(), AuditCheckpoint.id.desc())
        .limit(1)
    ).first()
    if newest is not None and (newest.seq, newest.hash) == (seq, chain_hash):
        return None
    if _hash_at(session, seq) != chain_hash:
        raise AuditIntegrityError(f"audit_head (seq {seq}) disagrees with the event at seq {seq}")
    if newest is not None and (newest.seq > seq or _hash_at(session, newest.seq) != newest.hash):
        raise AuditIntegrityError(
            f"the chain (head seq {seq}) no longer contains the checkpointed event at seq "
            f"{newest.seq}; run `kotwal audit verify`"
        )
    after = (0, GENESIS_HASH) if newest is None else (int(newest.seq), str(newest.hash))
    fault = _segment_fault(session, after, seq, keyring.audit_mac_key)
    if fault is not None:
        raise AuditIntegrityError(f"{fault}; nothing signed. Run `kotwal audit verify`")
    at_us = time.time_ns() // 1000
    signature = keyring.audit_private.sign(checkpoint_message(seq, chain_hash, at_us))
    row = AuditCheckpoint(
        seq=seq,
        hash=chain_hash,
        at_us=at_us,
        key_id=key_id(keyring.audit_public_raw()),
        signature=signature.hex(),
    )
    session.add(row)
    session.flush()
    return row


def _segment_fault(
    session: Session, after: tuple[int, str], upto: int, mac_key: bytes
) -> str | None:
    """What is wrong with the events after the newest checkpoint up to the head, or None.

    A checkpoint signs only a segment just verified: every event in it is numbered in turn,
    links to the one before, hashes to its own hash, and carries the MAC that only a holder of
    the audit key can make (a row forged with a correct SHA-256 hash has none). One checkpoint
    interval of rows (10,000 by default) takes tens of milliseconds.
    """
    expect, prev = after[0] + 1, after[1]
    # Before the first checkpoint, events written before migration 0025 may lead without a
    # MAC; once one carries a MAC, or after a checkpoint, every event must.
    macs_begun = after[0] > 0
    rows = session.execute(text(_SELECT_SEGMENT), {"after": after[0], "upto": upto})
    for row in rows:
        seq = row[0]
        if seq != expect:
            return f"seq {expect} is missing or out of place"
        if row[12] != prev or not _own_hash_ok(row):
            return f"seq {seq} does not hash or link as written"
        macs_begun = macs_begun or row[14] is not None
        if macs_begun and (
            row[14] is None or not hmac.compare_digest(str(row[14]), event_mac(mac_key, row[13]))
        ):
            return f"seq {seq} carries no valid MAC (written without the audit key)"
        prev, expect = str(row[13]), expect + 1
    if expect != upto + 1:
        return f"seqs {expect}..{upto} are missing"
    return None


def _witness_line(seq: int, chain_hash: str, at_us: int, kid: str, signature: str) -> str:
    record = {"seq": seq, "hash": chain_hash, "at_us": at_us, "key_id": kid, "signature": signature}
    return json.dumps(record, separators=(",", ":")) + "\n"


def _witness_entries(path: Path) -> list[dict[str, Any]]:
    """The checkpoints in a witness file; ValueError naming the line if one is malformed."""
    entries: list[dict[str, Any]] = []
    if not path.exists():
        return entries
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                fields = (entry["seq"], entry["hash"], entry["at_us"], entry["signature"])
                if not (isinstance(fields[0], int) and isinstance(fields[2], int)):
                    raise TypeError("seq and at_us must be integers")
                if not (isinstance(fields[1], str) and isinstance(fields[3], str)):
                    raise TypeError("hash and signature must be text")
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path} line {number} is not a checkpoint: {exc}") from exc
            entries.append(entry)
    return entries


def witnessed_signed_seq(path: Path, public_key: Ed25519PublicKey) -> int:
    """The newest sequence number of a checkpoint in a witness file whose signature holds
    under the audit key (0 for none); ValueError or OSError if the file cannot be read."""
    claims = _signed_claims(_witness_entries(path), public_key, "witness checkpoint", [])
    return max((c.seq for c in claims), default=0)


def witnessed_seq(path: Path) -> int:
    """The newest sequence number a witness file holds (0 for none, or for a file that does
    not read as checkpoints: what a dashboard shows as the witness's lag)."""
    try:
        return max((int(e["seq"]) for e in _witness_entries(path)), default=0)
    except (OSError, ValueError):
        return 0


def export_witness(session: Session, path: Path) -> int:
    """Append to ``path`` (JSON lines) the checkpoints newer than any it holds; return how many.

    The file is flushed to disk before returning: a witness is only worth its durability.
    """
    newest = max((int(e["seq"]) for e in _witness_entries(path)), default=0)
    rows = session.execute(
        select(AuditCheckpoint).where(AuditCheckpoint.seq > newest).order_by(AuditCheckpoint.seq)
    ).scalars()
    lines = [_witness_line(r.seq, r.hash, r.at_us, r.key_id, r.signature) for r in rows]
    if lines:
        with path.open("a", encoding="utf-8", newline="\n") as fh:
            fh.writelines(lines)
            fh.flush()
            os.fsync(fh.fileno())
    return len(lines)


# --- group commit --------------------------------------------------------------------------


@dataclass
class _Request:
    events: list[AuditEvent]
    future: Future[list[int]]
    checks: tuple[CommitCheck, ...] = ()


#: Work that must commit in the same transaction as a request's audit events, and may refuse
#: the request: it returns None to let the events in, or the problem to answer with instead
#: (its own writes, say an alert, commit either way; the request's events are dropped). The
#: breach defences charge a read's disclosures to the reader's budget this way, so a read costs
#: one shared commit instead of a transaction of its own (see :meth:`GroupCommitter.write`).
CommitCheck = Callable[[Session], "Problem | None"]


class GroupCommitter:
    """Makes audit events durable, many callers to one commit.

    :meth:`write` queues the events and blocks until the transaction holding them has
    committed; a background writer drains whatever is queued into one transaction, so under
    load the cost of a commit (an fsync) is shared by every request waiting at that moment.
    When a shared transaction fails, each request in it is retried alone, so one bad event
    fails only its own caller. Before :meth:`start` and after :meth:`stop`, :meth:`write`
    commits in the caller's thread (simple for CLI commands).

    Do not call :meth:`write` while holding an open SQLite write transaction: the writer would
    wait for that transaction's lock while its owner waits for the writer.

    With a ``keyring`` the writer also signs a checkpoint of the head every
    ``checkpoint_every_events`` events or ``checkpoint_every_seconds`` seconds (whichever comes
    first, only if the head moved), and once more when it stops.
    """

    def __init__(
        self,
        database: Database,
        *,
        keyring: KeyRing | None = None,
        checkpoint_every_events: int = 10_000,
        checkpoint_every_seconds: float = 300,
        max_batch_events: int = 5_000,
        witness: Path | None = None,
    ) -> None:
        self._db = database
        self._keyring = keyring
        self._witness = witness
        self._every_events = max(1, checkpoint_every_events)
        self._every_seconds = max(0.001, checkpoint_every_seconds)
        self._max_batch_events = max(1, max_batch_events)
        self._cond = threading.Condition()
        self._pending: list[_Request] = []
        self._thread: threading.Thread | None = None
        self._running = False
        self._stopping = False
        #: The newest checkpointed seq, read from the database on first need.
        self._checkpointed_seq: int | None = None
        self._checkpointed_at = time.monotonic()
        #: Why checkpoints are held (see :meth:`hold_checkpoints`), or None.
        self._held: str | None = None
        #: Counters for tests, benchmarks and health pages.
        self.requests_queued = 0
        self.batches_committed = 0
        self.events_committed = 0
        self.checkpoints_written = 0

    # The public face ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the background writer (no-op if it runs already)."""
        with self._cond:
            if self._running:
                return
            self._running = True
            self._stopping = False
            self._checkpointed_at = time.monotonic()
            self._thread = threading.Thread(
                target=self._run, name="kotwal-audit-writer", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Commit everything queued, sign a last checkpoint, and stop the writer."""
        with self._cond:
            thread = self._thread
            if not self._running or thread is None:
                return
            self._stopping = True
            self._cond.notify_all()
        thread.join()
        with self._cond:
            self._running = False
            self._thread = None
        if self._keyring is not None:
            try:
                self._checkpoint_alone()
            except Exception:  # a final checkpoint is a courtesy; the next start catches up
                log.exception("could not sign the final audit checkpoint")

    @property
    def running(self) -> bool:
        """Whether the background writer is running."""
        return self._running

    @property
    def queued(self) -> int:
        """Requests waiting for the writer (not counting a batch being committed)."""
        with self._cond:
            return len(self._pending)

    def write(self, events: Sequence[AuditEvent], checks: Sequence[CommitCheck] = ()) -> list[int]:
        """Make ``events`` durable and return their sequence numbers (in order).

        Each of ``checks`` runs first, in order, inside the transaction that will hold the
        events (requests in one batch are checked one after the other, so each check sees what
        the checks before it wrote). When a check returns a problem, the events are dropped and
        the problem is raised here once the transaction has committed.
        """
        return self._submit(events, checks).result()

    async def write_async(
        self, events: Sequence[AuditEvent], checks: Sequence[CommitCheck] = ()
    ) -> list[int]:
        """:meth:`write` for a request served on the event loop: it waits for the commit
        without holding a thread (the writer's thread wakes the loop when it is done). With the
        writer stopped, the commit runs here, on the loop."""
        return await asyncio.wrap_future(self._submit(events, checks))

    def _submit(
        self, events: Sequence[AuditEvent], checks: Sequence[CommitCheck]
    ) -> Future[list[int]]:
        request = _Request(list(events), Future(), tuple(checks))
        if not request.events and not request.checks:
            request.future.set_result([])
            return request.future
        with self._cond:
            queued = self._running and not self._stopping
            if queued:
                self._pending.append(request)
                self.requests_queued += 1
                self._cond.notify()
        if not queued:
            self._settle([request], self._commit([request]))
        return request.future

    # The writer ---------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stopping:
                    wait = self._seconds_to_timed_checkpoint()
                    if wait is not None and wait <= 0:
                        break
                    self._cond.wait(wait)
                batch = self._take_batch()
                if not batch and self._stopping:
                    return
            if batch:
                self._commit_requests(batch)
            else:
                self._timed_checkpoint()

    def _take_batch(self) -> list[_Request]:
        """Everything queued, up to ``max_batch_events`` (but always at least one request)."""
        taken, size = 0, 0
        for request in self._pending:
            if taken and size + len(request.events) > self._max_batch_events:
                break
            taken += 1
            size += len(request.events)
        batch, self._pending = self._pending[:taken], self._pending[taken:]
        return batch

    def _commit_requests(self, batch: list[_Request]) -> None:
        try:
            results = self._commit(batch)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].future.set_exception(exc)
                return
            for request in batch:  # isolate the request that made the batch fail
                self._commit_requests([request])
            return
        self._settle(batch, results)

    @staticmethod
    def _settle(batch: list[_Request], results: list[list[int] | Problem]) -> None:
        for request, result in zip(batch, results, strict=True):
            if isinstance(result, Problem):
                request.future.set_exception(result)
            else:
                request.future.set_result(result)

    @staticmethod
    def _checked(session: Session, request: _Request) -> Problem | None:
        for check in request.checks:
            problem = check(session)
            if problem is not None:
                return problem
        return None

    def _commit(self, batch: list[_Request]) -> list[list[int] | Problem]:
        """One transaction: run the checks, append the events of every request they let
        through, maybe sign a checkpoint, commit."""
        signed = refused = False
        with self._db.serial_writer(), self._db.transaction(write=True) as session:
            if self._keyring is not None:
                session.info[KEYRING_INFO] = self._keyring  # each event's MAC
            verdicts = [self._checked(session, r) if r.checks else None for r in batch]
            pairs = zip(batch, verdicts, strict=True)
            groups = [[] if verdict is not None else r.events for r, verdict in pairs]
            events = [ev for group in groups for ev in group]
            seqs = append(session, events)
            keyring = self._keyring if self._held is None else None
            if seqs and keyring is not None and self._checkpoint_due(session, seqs[-1]):
                try:
                    signed = checkpoint(session, keyring) is not None
                except AuditIntegrityError:
                    # Keep auditing (refusing requests would help nobody) but raise the alarm;
                    # try again only after another interval, not on every batch.
                    log.critical("audit checkpoint refused", exc_info=True)
                    refused = True
        with self._cond:
            self.batches_committed += 1
            self.events_committed += len(events)
            if signed or refused:
                self._note_checkpoint(seqs[-1], signed=signed)
        results: list[list[int] | Problem] = []
        start = 0
        for group, verdict in zip(groups, verdicts, strict=True):
            results.append(verdict if verdict is not None else seqs[start : start + len(group)])
            start += len(group)
        return results

    # Checkpoints --------------------------------------------------------------------------

    def _checkpoint_due(self, session: Session, head_seq: int) -> bool:
        if self._checkpointed_seq is None:
            newest = session.execute(select(func.max(AuditCheckpoint.seq))).scalar()
            self._checkpointed_seq = int(newest or 0)
        if head_seq - self._checkpointed_seq >= self._every_events:
            return True
        return time.monotonic() - self._checkpointed_at >= self._every_seconds

    def _note_checkpoint(self, seq: int, *, signed: bool = True) -> None:
        self.checkpoints_written += int(signed)
        self._checkpointed_seq = seq
        self._checkpointed_at = time.monotonic()
        if signed and self._witness is not None:
            self._copy_to_witness(self._witness)

    def _copy_to_witness(self, path: Path) -> None:
        """Copy new checkpoints to the witness file outside the database, at once: a
        checkpoint only in the database can be deleted by whoever rewrites the log."""
        try:
            with self._db.transaction(write=False) as session:
                export_witness(session, path)
        except Exception:  # the log itself is safe; the witness catches up next time
            log.exception("could not copy audit checkpoints to the witness %s", path)

    def _seconds_to_timed_checkpoint(self) -> float | None:
        if self._keyring is None:
            return None
        return self._checkpointed_at + self._every_seconds - time.monotonic()

    def _timed_checkpoint(self) -> None:
        try:
            self._checkpoint_alone()
        except Exception:  # keep the writer alive; the next batch or tick tries again
            log.exception("could not sign an audit checkpoint")
        finally:
            with self._cond:
                self._checkpointed_at = time.monotonic()

    def hold_checkpoints(self, reason: str) -> None:
        """Sign nothing more in this process: its owner found the log broken (``kotwal audit
        verify`` does this), and a checkpoint now would bless whatever the database says."""
        with self._cond:
            self._held = reason

    def _checkpoint_alone(self) -> None:
        """Sign the head in a transaction of its own, if it moved since the last checkpoint.

        The head may have moved through :func:`append` in other transactions, so ask the
        database rather than this writer's own count.
        """
        keyring = self._keyring
        if keyring is None or self._held is not None:
            if self._held is not None:
                log.warning("audit checkpoint not signed: %s", self._held)
            return
        with self._db.transaction(write=True) as session:
            row = checkpoint(session, keyring)
            seq = None if row is None else row.seq
        if seq is not None:
            with self._cond:
                self._note_checkpoint(seq)


# --- verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureLag:
    """How much of the log's end no signed checkpoint covers yet."""

    unsigned_events: int
    unsigned_seconds: float
    checkpoints: int


def signature_lag(session: Session) -> SignatureLag:
    """Events and time after the newest checkpoint. A large lag on a log that the service
    checkpoints at intervals means checkpoints were deleted, or the signer has stopped."""
    head = session.execute(select(func.max(AuditEventRow.seq), func.max(AuditEventRow.at_us)))
    head_seq, head_at = head.one()
    newest = session.execute(
        select(AuditCheckpoint.seq, AuditCheckpoint.at_us)
        .order_by(AuditCheckpoint.seq.desc())
        .limit(1)
    ).first()
    count = session.execute(select(func.count()).select_from(AuditCheckpoint)).scalar_one()
    signed_seq, signed_at = (newest[0], newest[1]) if newest else (0, None)
    if head_seq is None:
        return SignatureLag(0, 0.0, int(count))
    first_at = session.execute(
        select(func.min(AuditEventRow.at_us)).where(AuditEventRow.seq > signed_seq)
    ).scalar()
    since = signed_at if signed_at is not None else first_at
    seconds = max(0.0, (int(head_at) - int(since or head_at)) / 1_000_000)
    return SignatureLag(int(head_seq) - int(signed_seq), seconds, int(count))


@dataclass(frozen=True)
class VerifyResult:
    """What :func:`verify` found. ``first_bad_seq`` is None when ok, or when the fault has no
    sequence number (an unreadable witness file, a missing head row)."""

    ok: bool
    events_checked: int
    checkpoints_checked: int
    first_bad_seq: int | None
    reason: str
    #: The newest signed checkpoint the walk confirmed, (seq, hash): where an incremental
    #: verification may start next time.
    verified_upto: tuple[int, str] | None = field(default=None, compare=False)

    def describe(self) -> str:
        """One line for people: ``audit chain broken at seq N: reason``."""
        if self.ok:
            return f"audit chain intact: {self.events_checked} events verified"
        where = "" if self.first_bad_seq is None else f" at seq {self.first_bad_seq}"
        return f"audit chain broken{where}: {self.reason}"


@dataclass
class _Claim:
    """A statement, from a checkpoint, the witness or ``audit_head``, of the hash at ``seq``."""

    seq: int
    hash: str
    source: str
    signed: bool


@dataclass(frozen=True)
class _Problem:
    seq: int | None
    reason: str

    @property
    def order(self) -> tuple[int, int]:
        return (0, self.seq) if self.seq is not None else (1, 0)


@dataclass
class _Walk:
    """Where the streamed walk along the chain ended."""

    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    problem: _Problem | None = None
    signed_upto: tuple[int, str] | None = None


def verify(
    engine: Engine,
    public_key: Ed25519PublicKey,
    *,
    witness: Path | None = None,
    progress: Callable[[int], None] | None = None,
    mac_key: bytes | None = None,
    after: tuple[int, str] | None = None,
) -> VerifyResult:
    """Recompute the whole chain and check every checkpoint; name the first bad seq.

    ``after`` (seq, hash), a signed checkpoint an earlier verification confirmed
    (:attr:`VerifyResult.verified_upto`), makes it incremental: only the events after it are
    walked, and it must still be a signed checkpoint of that hash. A log whose oldest months
    were retired (kotwal.core.audit_partitions) is walked from its first kept event, which
    must follow the last retired one as the log's own retirement event records it.

    With ``mac_key`` (:attr:`KeyRing.audit_mac_key`) each event's MAC is checked too: from the
    first event that carries one, every later event must carry a valid one (events written
    before migration 0025 have none).

    Reads in one snapshot (REPEATABLE READ on PostgreSQL, one read transaction on SQLite), so
    it can run while the service writes. ``progress`` is called with the number of events
    verified so far, once per chunk. See the module docstring for what can and cannot be seen.
    """
    problems: list[_Problem] = []
    claims: list[_Claim] = []
    witness_count = 0
    if witness is not None:
        try:
            entries = _witness_entries(witness)
        except (OSError, ValueError) as exc:
            return VerifyResult(False, 0, 0, None, f"witness file unusable: {exc}")
        if not entries and not witness.exists():
            return VerifyResult(False, 0, 0, None, f"witness file {witness} does not exist")
        witness_count = len(entries)
        claims += _signed_claims(entries, public_key, "witness checkpoint", problems)
    with _snapshot(engine) as conn:
        head = conn.exec_driver_sql("SELECT seq, hash FROM audit_head WHERE id = 1").first()
        stored = conn.exec_driver_sql(
            "SELECT seq, hash, at_us, key_id, signature FROM audit_checkpoints ORDER BY seq, id"
        ).all()
        entries = [dict(r._mapping) for r in stored]
        claims += _signed_claims(entries, public_key, "checkpoint", problems)
        if head is not None:
            claims.append(_Claim(int(head[0]), str(head[1]), "audit_head", signed=False))
        start, refusal = _start_of_walk(conn, claims, after)
        if refusal is not None:
            problems.append(refusal)
        claims = [c for c in claims if c.seq > start[0]]
        walk = _walk_chain(conn, claims, progress, mac_key, start)
    problems += _after_walk(walk, claims, head is not None)
    checked = len(entries) + witness_count
    walked = walk.last_seq - (after[0] if after is not None else start[0])
    if not problems:
        return VerifyResult(True, walked, checked, None, "ok", walk.signed_upto or after)
    first = min(problems, key=lambda p: p.order)
    return VerifyResult(False, walked, checked, first.seq, first.reason)


def _start_of_walk(
    conn: Connection, claims: Sequence[_Claim], after: tuple[int, str] | None
) -> tuple[tuple[int, str], _Problem | None]:
    """Where the walk starts, (seq, hash) of the event before it, and a problem if that place
    cannot be trusted."""
    if after is not None:
        seq, chain_hash = after
        if not any(c.signed and c.seq == seq and c.hash == chain_hash for c in claims):
            return (0, GENESIS_HASH), _Problem(
                None,
                f"the last verified checkpoint (seq {seq}) is not a signed checkpoint "
                "of the log any more: verify in full",
            )
        # The walk takes in the checkpointed event itself, so that its content is checked
        # against the signed hash again (a row rewritten since is caught here).
        row = conn.execute(
            text("SELECT prev_hash FROM audit_events WHERE seq = :seq"), {"seq": seq}
        ).first()
        if row is None:
            return (0, GENESIS_HASH), _Problem(seq, f"seq {seq} (last verified) is missing")
        return (seq - 1, str(row[0])), None
    first = conn.exec_driver_sql(
        "SELECT seq, prev_hash FROM audit_events ORDER BY seq LIMIT 1"
    ).first()
    if first is None or int(first[0]) <= 1:
        return (0, GENESIS_HASH), None
    upto, upto_hash = int(first[0]) - 1, str(first[1])
    details = conn.execute(
        text("SELECT detail FROM audit_events WHERE action = :action"), {"action": RETIRE_ACTION}
    ).scalars()
    for detail in details:
        try:
            said = json.loads(detail)
        except ValueError:
            continue
        if said.get("upto_seq") == upto and said.get("upto_hash") == upto_hash:
            # The retirement event itself is walked (hash, MAC, checkpoints) with the rest.
            return (upto, upto_hash), None
    return (0, GENESIS_HASH), _Problem(
        1, f"events 1 to {upto} are missing and no retirement of them is recorded"
    )


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One read-only transaction whose reads all see the same state of the log."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn


def _signed_claims(
    entries: Sequence[dict[str, Any]],
    public_key: Ed25519PublicKey,
    source: str,
    problems: list[_Problem],
) -> list[_Claim]:
    """Checkpoints whose signature holds, as claims; the others become problems."""
    expected = key_id(public_key)
    claims: list[_Claim] = []
    for entry in entries:
        seq, chain_hash = int(entry["seq"]), str(entry["hash"])
        if entry.get("key_id") != expected:
            problems.append(
                _Problem(
                    seq,
                    f"{source} at seq {seq} names key {entry.get('key_id')!r}, "
                    f"not the audit key {expected}",
                )
            )
            continue
        try:
            message = checkpoint_message(seq, chain_hash, int(entry["at_us"]))
            public_key.verify(bytes.fromhex(str(entry["signature"])), message)
        except (ValueError, InvalidSignature):
            problems.append(
                _Problem(seq, f"{source} at seq {seq} has an invalid signature (forged or altered)")
            )
            continue
        claims.append(_Claim(seq, chain_hash, source, signed=True))
    return claims


def _raw_cursor(conn: Connection, chunk: int) -> Any:
    """A DBAPI cursor in ``conn``'s transaction; server-side on PostgreSQL so that a million
    rows stream instead of landing in memory at once."""
    dbapi: Any = conn.connection.dbapi_connection
    if dbapi is None:
        raise RuntimeError("the connection has been closed")
    if conn.dialect.name == "postgresql":
        cursor = dbapi.cursor(name="kotwal_audit_verify")
        cursor.itersize = chunk
        return cursor
    return dbapi.cursor()


def _own_hash_ok(row: Sequence[Any]) -> bool:
    """Whether a row's stored hash is the hash of its own fields (whatever its neighbours)."""
    try:
        joined = _SEP.join(
            (
                str(row[0]),
                str(row[1]),
                _opt(row[2]),
                row[3],
                _opt(row[4]),
                row[5],
                row[6],
                _opt(row[7]),
                _opt(row[8]),
                _opt(row[9]),
                _opt(row[10]),
                row[11],
                row[12],
            )
        )
        ok: bool = (
            joined.count(_SEP) == _SEPARATORS
            and hashlib.sha256(joined.encode("utf-8")).hexdigest() == row[13]
        )
    except (TypeError, AttributeError, UnicodeError):
        return False
    return ok


# Small chunks keep the fetched rows in the CPU cache; measured fastest on SQLite.
_CHUNK_SQLITE = 1_000
_CHUNK_POSTGRESQL = 5_000


def _walk_chain(
    conn: Connection,
    claims: Sequence[_Claim],
    progress: Callable[[int], None] | None,
    mac_key: bytes | None = None,
    begin: tuple[int, str] = (0, GENESIS_HASH),
) -> _Walk:
    """Stream the events in seq order and stop at the first that is not what it should be.

    The loop is the verifier's hot path (a million rows in a few seconds): it binds what it
    uses to locals and inlines :func:`event_hash`; anything unusual leaves the loop and goes to
    :func:`_diagnose`, which may be slow.
    """
    claims_at: dict[int, list[_Claim]] = {}
    for claim in claims:
        claims_at.setdefault(claim.seq, []).append(claim)
    chunk = _CHUNK_POSTGRESQL if conn.dialect.name == "postgresql" else _CHUNK_SQLITE
    sha256, join, sep, separators = hashlib.sha256, _SEP.join, _SEP, _SEPARATORS
    prev, prev2, expect, signed_upto = begin[1], GENESIS_HASH, begin[0] + 1, 0
    hmac_digest, macs_begun = hmac.digest, False
    walk = _Walk()
    cursor = _raw_cursor(conn, chunk)
    try:
        if begin[0] == 0:
            cursor.execute(_SELECT_CHAIN)
        else:  # the driver's own placeholder: psycopg's %s, sqlite3's ?
            mark = "%s" if conn.dialect.paramstyle != "qmark" else "?"
            cursor.execute(_SELECT_CHAIN_AFTER + mark + " ORDER BY seq", (begin[0],))
        while True:
            try:
                rows = cursor.fetchmany(chunk)
            except Exception as exc:  # e.g. text that is not UTF-8, written behind our back
                walk.problem = _Problem(expect, f"the row after seq {expect - 1} is unreadable")
                log.debug("unreadable audit row: %s", exc)
                break
            if not rows:
                break
            start = expect
            try:
                for row in rows:
                    (
                        seq,
                        at_us,
                        actor_id,
                        actor_name,
                        session_id,
                        action,
                        outcome,
                        resource_type,
                        resource_id,
                        purpose,
                        client_addr,
                        detail,
                        prev_hash,
                        digest,
                        mac,
                    ) = row
                    if seq != expect or prev_hash != prev:
                        break
                    joined = join(
                        (
                            str(seq),
                            str(at_us),
                            "" if actor_id is None else "=" + actor_id,
                            actor_name,
                            "" if session_id is None else "=" + session_id,
                            action,
                            outcome,
                            "" if resource_type is None else "=" + resource_type,
                            "" if resource_id is None else "=" + resource_id,
                            "" if purpose is None else "=" + purpose,
                            "" if client_addr is None else "=" + client_addr,
                            detail,
                            prev_hash,
                        )
                    )
                    if (
                        joined.count(sep) != separators
                        or sha256(joined.encode()).hexdigest() != digest
                    ):
                        break
                    if mac_key is not None:
                        if mac is not None:
                            macs_begun = True
                            if hmac_digest(mac_key, digest.encode(), "sha256").hex()[:32] != mac:
                                break
                        elif macs_begun:
                            break
                    if seq in claims_at:
                        if any(c.hash != digest for c in claims_at[seq]):
                            break
                        if any(c.signed for c in claims_at[seq]):
                            signed_upto = seq
                    prev2, prev = prev, digest
                    expect += 1
            except (TypeError, AttributeError, UnicodeError, ValueError):
                pass  # a column of the wrong type: the row at ``expect`` is bad
            bad = expect - start
            if bad < len(rows):
                following = rows[bad + 1] if bad + 1 < len(rows) else _next_row(cursor)
                walk.problem = _diagnose(
                    rows[bad], expect, prev, prev2, following, claims_at, signed_upto
                ) or _mac_problem(rows[bad], mac_key, macs_begun)
                break
            if progress is not None:
                progress(expect - 1)
    finally:
        cursor.close()
    walk.last_seq, walk.last_hash = expect - 1, prev
    if signed_upto:
        walk.signed_upto = (signed_upto, _claimed_hash(claims_at, signed_upto))
    return walk


def _claimed_hash(claims_at: dict[int, list[_Claim]], seq: int) -> str:
    return next(c.hash for c in claims_at[seq] if c.signed)


def _next_row(cursor: Any) -> Sequence[Any] | None:
    try:
        rows = cursor.fetchmany(1)
    except Exception:  # the diagnosis can do without the next row
        return None
    return rows[0] if rows else None


def _diagnose(
    row: Sequence[Any],
    expect: int,
    prev: str,
    prev2: str,
    following: Sequence[Any] | None,
    claims_at: dict[int, list[_Claim]],
    signed_upto: int,
) -> _Problem | None:
    """Name the first bad seq, and say what most likely happened, from the rows around it;
    None when the row's place in the chain is sound (its MAC is then what is wrong).

    ``row`` should have been seq ``expect``, linked to ``prev`` (the hash of ``expect - 1``);
    ``prev2`` is the hash of ``expect - 2``, ``following`` the row after ``row`` (or None).
    """
    seq = row[0]
    if not isinstance(seq, int) or isinstance(seq, bool):
        return _Problem(expect, f"seq {expect} is missing; a row has the seq {seq!r}")
    if seq > expect:
        missing = f"seq {expect}" if seq == expect + 1 else f"seqs {expect}..{seq - 1}"
        return _Problem(expect, f"{missing} missing (row deleted or renumbered)")
    if seq < expect:
        return _Problem(seq, f"seq {seq} cannot exist (row inserted)")
    prev_hash, own_ok = row[12], _own_hash_ok(row)
    next_links_past = (
        following is not None and following[0] == seq + 1 and following[12] == prev_hash
    )
    if prev_hash != prev:
        if seq >= 2 and prev_hash == prev2:
            return _Problem(
                seq - 1,
                f"row inserted: seq {seq} links past seq {seq - 1} to seq {seq - 2}",
            )
        if own_ok and following is not None and following[12] == prev:
            return _Problem(
                seq, f"row inserted: seq {seq + 1} links past seq {seq} to seq {seq - 1}"
            )
        if own_ok and signed_upto != seq - 1:
            return _Problem(
                seq - 1,
                f"hash mismatch (row altered and re-hashed): seq {seq} links to a different "
                f"seq {seq - 1}",
            )
        return _Problem(
            seq, f"prev_hash does not link to seq {seq - 1} (row altered, inserted or moved)"
        )
    if not own_ok:
        if next_links_past:
            return _Problem(
                seq, f"row inserted: seq {seq + 1} links past seq {seq} to seq {seq - 1}"
            )
        return _Problem(seq, "hash mismatch (row altered)")
    for claim in claims_at.get(seq, []):
        if claim.hash == row[13]:
            continue
        if claim.source == "audit_head":
            return _Problem(seq, f"audit_head disagrees with the chain's hash at seq {seq}")
        return _Problem(
            seq,
            f"{claim.source} at seq {seq} does not match the chain: events in seqs "
            f"{signed_upto + 1}..{seq} were rewritten and re-hashed after it was signed",
        )
    return None


def _mac_problem(row: Sequence[Any], mac_key: bytes | None, macs_begun: bool) -> _Problem:
    """The problem with a row whose chain is sound: its MAC (or the row as a whole)."""
    seq, mac = row[0], row[14]
    if mac_key is not None and mac is None and macs_begun:
        return _Problem(seq, f"seq {seq} carries no MAC though the events before it do (forged)")
    if mac_key is not None and mac is not None:
        return _Problem(
            seq, f"seq {seq}: MAC does not match (forged or re-hashed without the audit key)"
        )
    return _Problem(seq, "the row could not be verified")


def _after_walk(walk: _Walk, claims: Sequence[_Claim], has_head: bool) -> list[_Problem]:
    """Problems only visible once the walk is over: the tail and the head."""
    problems: list[_Problem] = []
    if walk.last_seq > 0 and not has_head:
        problems.append(_Problem(None, "the audit_head row is missing"))
    for claim in claims:
        if claim.seq <= 0:
            if claim.seq < 0 or claim.hash != GENESIS_HASH:
                problems.append(_Problem(None, f"{claim.source} names impossible seq {claim.seq}"))
        elif claim.source == "audit_head" and claim.seq < walk.last_seq:
            problems.append(
                _Problem(
                    claim.seq + 1,
                    f"seq {claim.seq + 1} is beyond audit_head (seq {claim.seq}): "
                    "row inserted outside the log's writer",
                )
            )
        elif walk.problem is None and claim.seq > walk.last_seq:
            missing = walk.last_seq + 1
            says = "audit_head says" if claim.source == "audit_head" else f"a {claim.source} at"
            problems.append(
                _Problem(
                    missing,
                    f"seq {missing} missing: the chain ends at seq {walk.last_seq} but "
                    f"{says} seq {claim.seq} (events deleted from the tail)",
                )
            )
    if walk.problem is not None:
        problems.append(walk.problem)
    return problems


# --- auditors' search and export -----------------------------------------------------------


def search(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    outcome: str | None = None,
    since_us: int | None = None,
    until_us: int | None = None,
    limit: int = 100,
    before_seq: int | None = None,
) -> list[AuditEventRow]:
    """Events matching every given filter, newest first, at most ``limit`` (capped at
    :data:`SEARCH_LIMIT_MAX`).

    ``actor`` matches the actor's account id or name; the time bounds are inclusive;
    ``before_seq`` pages backwards (pass the smallest seq of the previous page). Reading the
    log is itself an event: callers record it in their unit of work.
    """
    stmt = select(AuditEventRow)
    if actor is not None:
        stmt = stmt.where(or_(AuditEventRow.actor_id == actor, AuditEventRow.actor_name == actor))
    for column, value in (
        (AuditEventRow.action, action),
        (AuditEventRow.resource_type, resource_type),
        (AuditEventRow.resource_id, resource_id),
        (AuditEventRow.outcome, outcome),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if since_us is not None:
        stmt = stmt.where(AuditEventRow.at_us >= since_us)
    if until_us is not None:
        stmt = stmt.where(AuditEventRow.at_us <= until_us)
    if before_seq is not None:
        stmt = stmt.where(AuditEventRow.seq < before_seq)
    capped = max(1, min(limit, SEARCH_LIMIT_MAX))
    return list(session.scalars(stmt.order_by(AuditEventRow.seq.desc()).limit(capped)))


def _export_message(trailer: dict[str, Any]) -> bytes:
    """The bytes an export's trailer signs: every trailer field but the signature."""
    fields = {k: v for k, v in trailer.items() if k != "signature"}
    return _EXPORT_DOMAIN + json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def export_period(
    session: Session, keyring: KeyRing, since_us: int, until_us: int, out: TextIO
) -> int:
    """Write the events with ``since_us <= at_us <= until_us`` to ``out``; return how many.

    One JSON object per line and per event (every column, in seq order), then a trailer line
    ``{"format", "count", "first_seq", "last_seq", "since_us", "until_us", "sha256", "key_id",
    "signature"}``: ``sha256`` covers the UTF-8 bytes of all preceding lines and the Ed25519
    signature covers the trailer's other fields, so :func:`verify_export` can check the file
    anywhere with the audit public key alone.
    """
    columns = [_EVENTS.c[name] for name in EVENT_COLUMNS]
    stmt = (
        select(*columns)
        .where(_EVENTS.c.at_us >= since_us, _EVENTS.c.at_us <= until_us)
        .order_by(_EVENTS.c.seq)
        .execution_options(yield_per=2_000)
    )
    digest = hashlib.sha256()
    count, first_seq, last_seq = 0, None, None
    for row in session.execute(stmt):
        line = json.dumps(dict(zip(EVENT_COLUMNS, row, strict=True)), separators=(",", ":")) + "\n"
        out.write(line)
        digest.update(line.encode("utf-8"))
        count += 1
        first_seq = row[0] if first_seq is None else first_seq
        last_seq = row[0]
    trailer: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "count": count,
        "first_seq": first_seq,
        "last_seq": last_seq,
        "since_us": since_us,
        "until_us": until_us,
        "sha256": digest.hexdigest(),
        "key_id": key_id(keyring.audit_public_raw()),
    }
    trailer["signature"] = keyring.audit_private.sign(_export_message(trailer)).hex()
    out.write(json.dumps(trailer, separators=(",", ":")) + "\n")
    return count


def verify_export(path: Path, public_key: Ed25519PublicKey) -> bool:
    """Whether an export file is exactly what :func:`export_period` wrote and signed."""
    data = path.read_bytes()
    if not data.endswith(b"\n"):
        return False
    lines = data[:-1].split(b"\n")
    trailer_line, events = lines[-1], lines[:-1]
    body = data[: len(data) - len(trailer_line) - 1]
    try:
        trailer = json.loads(trailer_line)
        if not isinstance(trailer, dict) or trailer.get("format") != EXPORT_FORMAT:
            return False
        public_key.verify(bytes.fromhex(str(trailer["signature"])), _export_message(trailer))
        first = json.loads(events[0])["seq"] if events else None
        last = json.loads(events[-1])["seq"] if events else None
    except (ValueError, KeyError, TypeError, IndexError, InvalidSignature):
        return False
    return bool(
        trailer.get("sha256") == hashlib.sha256(body).hexdigest()
        and trailer.get("count") == len(events)
        and trailer.get("first_seq") == first
        and trailer.get("last_seq") == last
        and trailer.get("key_id") == key_id(public_key)
    )
