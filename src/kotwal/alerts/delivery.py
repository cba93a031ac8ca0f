"""The outbox as the delivery workers see it: claiming messages under a lease, recording what
the SMSC answered and what its receipts said, and queueing an area's recipients.

A message goes ``queued`` → ``submitting`` (claimed: ``claimed_by`` and a lease until
``due_at``, committed before anything is sent) → ``submitted`` (every part's submit_sm_resp
recorded, with the SMSC's message_id, in ``alert_submissions``) → ``delivered`` or
``undelivered`` (the receipts). A transient refusal (ESME_RTHROTTLED, ESME_RMSGQFUL, a system
error) puts it back to ``queued``, due after a back-off; a permanent one, or too many
attempts, makes it ``failed``.

Claiming is one statement: ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)
RETURNING``. On PostgreSQL, SKIP LOCKED lets workers on several machines claim side by side,
each passing over the rows another is claiming; on SQLite the clause is dropped and the write
transaction (``BEGIN IMMEDIATE``) makes claims take turns. A message whose lease has lapsed
(its worker died, or lost its bind) is claimed again like a queued one, and only the parts
with no recorded submit_sm_resp are sent again.

The guarantee this gives (docs/domains/alerts.md, "Delivery"): no message is lost, and no
part whose submit_sm_resp was recorded is ever sent again. A worker killed after the SMSC
accepted a part and before the acceptance was committed leaves that part unrecorded: it is
sent again when the lease lapses. Those are at most the parts in flight on the dead worker's
binds (binds times window), and SMPP offers no way to ask the SMSC whether it has them.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, case, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kotwal.alerts.models import AlertOutboxMessage, AlertSubmission
from kotwal.alerts.service import OTP_DOMAIN
from kotwal.core.clock import utcnow
from kotwal.core.crypto import (
    DEK_BYTES,
    active_kek_version,
    blind_index,
    normalise_phone,
    open_fields,
    seal_with,
    wrap_key,
)
from kotwal.core.db import new_id
from kotwal.core.errors import InvalidInput, NotFound
from kotwal.core.models import DataKey
from kotwal.core.uow import UnitOfWork

QUEUED, SUBMITTING, SUBMITTED = "queued", "submitting", "submitted"
DELIVERED, UNDELIVERED, FAILED, EXPANDED = "delivered", "undelivered", "failed", "expanded"
#: Receipt states that end a part's life without reaching the handset.
FINAL_FAILURES = frozenset({"UNDELIV", "EXPIRED", "REJECTD", "DELETED", "UNKNOWN"})
DELIVERED_STATE = "DELIVRD"
#: Rows per INSERT when queueing recipients (well under both stores' parameter limits).
INSERT_CHUNK = 2000

_OUTBOX = cast(Table, AlertOutboxMessage.__table__)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed message as a bind sends it: plaintext number and body, the DLT IDs frozen at
    queueing, and the parts already accepted on an earlier attempt."""

    id: str
    number: str
    body: str
    header: str
    pe_id: str
    dlt_template_id: str
    encoding: str
    parts: int
    concat_ref: int | None
    attempts: int
    lease_until: datetime
    done_parts: frozenset[int] = frozenset()


@dataclass
class Outcomes:
    """What a bind learnt since its last commit, recorded in one transaction."""

    #: (message id, part, SMSC message_id) of each part accepted.
    accepted: list[tuple[str, int, str]] = field(default_factory=list)
    #: Messages every part of which is now accepted.
    completed: set[str] = field(default_factory=set)
    #: Messages to send again later: id -> (due at, the SMSC's status).
    retry: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    #: Messages refused for good: id -> the SMSC's status or the reason.
    failed: dict[str, str] = field(default_factory=dict)
    #: Claimed messages handed back unsent (a bind stopping or pausing): id -> due at.
    released: dict[str, datetime] = field(default_factory=dict)
    #: (SMSC message_id, receipt state) from deliver_sm.
    receipts: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return (
            len(self.accepted)
            + len(self.completed)
            + len(self.retry)
            + len(self.failed)
            + len(self.released)
            + len(self.receipts)
        )


# --- claiming ------------------------------------------------------------------------------


def _claimable(now: datetime, limit: int) -> Any:
    """The ids a worker may take: queued and due, or submitting with a lapsed lease; only
    messages to a number (an area's message waits for its recipients to be queued)."""
    return (
        select(AlertOutboxMessage.id)
        .where(
            AlertOutboxMessage.status.in_((QUEUED, SUBMITTING)),
            AlertOutboxMessage.due_at <= now,
            AlertOutboxMessage.number_bidx.is_not(None),
        )
        .order_by(AlertOutboxMessage.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def claim(
    uow: UnitOfWork, worker: str, limit: int, lease_seconds: int, max_attempts: int
) -> list[Claimed]:
    """Take up to ``limit`` messages for ``worker`` until the lease ends, in the caller's unit
    of work (which must commit before anything is sent). Messages past ``max_attempts`` are
    marked failed instead."""
    now = utcnow()
    until = now + timedelta(seconds=lease_seconds)
    stmt = (
        update(AlertOutboxMessage)
        .where(AlertOutboxMessage.id.in_(_claimable(now, limit).scalar_subquery()))
        .values(
            status=SUBMITTING,
            claimed_by=worker,
            due_at=until,
            attempts=AlertOutboxMessage.attempts + 1,
        )
        .returning(AlertOutboxMessage)
        .execution_options(synchronize_session=False)
    )
    rows = list(uow.session.execute(stmt).scalars())
    usable = [row for row in rows if row.attempts <= max_attempts]
    _fail_exhausted(uow.session, [row.id for row in rows if row.attempts > max_attempts])
    _choose_concat_refs(uow.session, usable)
    return _as_claimed(uow.session, usable, until)


def _fail_exhausted(session: Session, ids: list[str]) -> None:
    if ids:
        session.execute(
            update(AlertOutboxMessage)
            .where(AlertOutboxMessage.id.in_(ids))
            .values(status=FAILED, claimed_by=None, last_error="attempts")
            .execution_options(synchronize_session=False)
        )


def _choose_concat_refs(session: Session, rows: list[AlertOutboxMessage]) -> None:
    """A long message's concatenation reference, chosen at its first claim and kept."""
    for row in rows:
        if row.parts > 1 and row.concat_ref is None:
            row.concat_ref = secrets.randbelow(256)
            session.execute(
                update(AlertOutboxMessage)
                .where(AlertOutboxMessage.id == row.id)
                .values(concat_ref=row.concat_ref)
                .execution_options(synchronize_session=False)
            )


def _done_parts(session: Session, ids: list[str]) -> dict[str, set[int]]:
    """Parts already accepted, for messages claimed again."""
    done: dict[str, set[int]] = {}
    if ids:
        rows = session.execute(
            select(AlertSubmission.message_id, AlertSubmission.part).where(
                AlertSubmission.message_id.in_(ids)
            )
        )
        for message_id, part in rows:
            done.setdefault(message_id, set()).add(part)
    return done


def _as_claimed(session: Session, rows: list[AlertOutboxMessage], until: datetime) -> list[Claimed]:
    opened = open_fields(session, rows, ("number", "body"))
    done = _done_parts(session, [row.id for row in rows if row.attempts > 1])
    return [
        _claimed(row, fields, until, frozenset(done.get(row.id, ())))
        for row, fields in zip(rows, opened, strict=True)
    ]


def _claimed(
    row: AlertOutboxMessage, fields: dict[str, Any], until: datetime, done: frozenset[int]
) -> Claimed:
    return Claimed(
        id=row.id,
        number=str(fields["number"]),
        body=str(fields["body"]),
        header=row.header,
        pe_id=row.pe_id,
        dlt_template_id=row.dlt_template_id,
        encoding=row.encoding,
        parts=row.parts,
        concat_ref=row.concat_ref,
        attempts=row.attempts,
        lease_until=until,
        done_parts=done,
    )


# --- recording -----------------------------------------------------------------------------


def record(uow: UnitOfWork, worker: str, outcomes: Outcomes) -> list[tuple[str, str]]:
    """Write what a bind learnt, in one transaction; returns the receipts whose message_id is
    not known (yet), for the bind to try again."""
    now = utcnow()
    _insert_submissions(uow.session, outcomes.accepted, now)
    mine = (AlertOutboxMessage.claimed_by == worker, AlertOutboxMessage.status == SUBMITTING)
    _set(
        uow.session, outcomes.completed, *mine, status=SUBMITTED, submitted_at=now, claimed_by=None
    )
    for message_id, (due, error) in outcomes.retry.items():
        _set(
            uow.session,
            [message_id],
            *mine,
            status=QUEUED,
            due_at=due,
            claimed_by=None,
            last_error=error,
        )
    for message_id, error in outcomes.failed.items():
        _set(uow.session, [message_id], *mine, status=FAILED, claimed_by=None, last_error=error)
    for message_id, due in outcomes.released.items():
        # Handed back unsent: the attempt did not happen.
        _set(
            uow.session,
            [message_id],
            *mine,
            status=QUEUED,
            due_at=due,
            claimed_by=None,
            attempts=AlertOutboxMessage.attempts - 1,
        )
    return apply_receipts(uow.session, outcomes.receipts, now)


def _insert_submissions(
    session: Session, accepted: list[tuple[str, int, str]], now: datetime
) -> None:
    if not accepted:
        return
    rows = [
        {"message_id": m, "part": p, "smsc_message_id": s, "submitted_at": now}
        for m, p, s in accepted
    ]
    table = cast(Table, AlertSubmission.__table__)
    # A part recorded twice (a lapsed lease let a second worker send it too) keeps its first
    # record rather than failing the whole batch.
    dialect = session.get_bind().dialect.name
    maker = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(maker(table).on_conflict_do_nothing(), rows)


def _set(session: Session, ids: Iterable[str], *where: Any, **values: Any) -> None:
    wanted = list(ids)
    if wanted:
        session.execute(
            update(AlertOutboxMessage)
            .where(AlertOutboxMessage.id.in_(wanted), *where)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def apply_receipts(
    session: Session, receipts: Sequence[tuple[str, str]], now: datetime
) -> list[tuple[str, str]]:
    """Record each receipt on its part and move the messages whose parts are all decided;
    returns the receipts that matched no recorded part."""
    if not receipts:
        return []
    by_id = dict(receipts)
    rows = session.execute(
        select(AlertSubmission.smsc_message_id, AlertSubmission.message_id).where(
            AlertSubmission.smsc_message_id.in_(list(by_id))
        )
    )
    known = {smsc_id: message_id for smsc_id, message_id in rows}
    for smsc_id in known:
        session.execute(
            update(AlertSubmission)
            .where(AlertSubmission.smsc_message_id == smsc_id)
            .values(receipt=by_id[smsc_id][:16], receipt_at=now)
        )
    _settle(session, set(known.values()))
    return [(smsc_id, state) for smsc_id, state in receipts if smsc_id not in known]


def _settle(session: Session, message_ids: set[str]) -> None:
    """Delivered when every part's receipt says so; undelivered once one part's says it failed
    (only for messages already submitted whole)."""
    if not message_ids:
        return
    delivered = func.sum(case((AlertSubmission.receipt == DELIVERED_STATE, 1), else_=0))
    failed = func.sum(case((AlertSubmission.receipt.in_(FINAL_FAILURES), 1), else_=0))
    rows = session.execute(
        select(AlertOutboxMessage.id, AlertOutboxMessage.parts, delivered, failed)
        .join(AlertSubmission, AlertSubmission.message_id == AlertOutboxMessage.id)
        .where(AlertOutboxMessage.id.in_(message_ids))
        .where(AlertOutboxMessage.status.in_((SUBMITTED, DELIVERED)))
        .group_by(AlertOutboxMessage.id, AlertOutboxMessage.parts)
    )
    for message_id, parts, n_delivered, n_failed in rows:
        if n_failed:
            _set(session, [message_id], status=UNDELIVERED, last_error="receipt")
        elif n_delivered == parts:
            _set(session, [message_id], status=DELIVERED)


# --- queueing an area's recipients --------------------------------------------------------------


def queue_recipients(uow: UnitOfWork, area_message_id: str, numbers: Iterable[str]) -> int:
    """Queue an area's message to each of ``numbers`` (deduplicated), in batches, and mark the
    area's message expanded; returns how many were queued.

    Each recipient's message is a row of its own with the number and body sealed under its own
    data key, the same format the session's flush hook writes, inserted through Core in chunks
    (no ORM object per row). Who the recipients are (subscribers of the area, with consent for
    the template's category) is issue 20 item 4; this is the writer it will call.
    """
    area = uow.session.get(AlertOutboxMessage, area_message_id)
    if area is None or area.number_bidx is not None:
        raise NotFound("no such area message")
    body = str(open_fields(uow.session, [area], ("body",))[0]["body"])
    keyring = uow.runtime.keyring
    version = active_kek_version(uow.session, keyring)
    now = utcnow()
    queued = 0
    batch: list[str] = []
    for digits in _unique_mobiles(numbers):
        batch.append(digits)
        if len(batch) == INSERT_CHUNK:
            queued += _insert_recipients(uow, area, body, batch, version, now)
            batch = []
    if batch:
        queued += _insert_recipients(uow, area, body, batch, version, now)
    area.status = EXPANDED
    uow.session.flush()
    return queued


def _unique_mobiles(numbers: Iterable[str]) -> Iterable[str]:
    seen: set[str] = set()
    for raw in numbers:
        digits = normalise_phone(raw)
        if len(digits) != 10 or digits[0] not in "6789":
            raise InvalidInput("a recipient is a ten-digit Indian mobile number")
        if digits not in seen:
            seen.add(digits)
            yield digits


def _insert_recipients(
    uow: UnitOfWork,
    area: AlertOutboxMessage,
    body: str,
    numbers: list[str],
    version: int,
    now: datetime,
) -> int:
    keyring = uow.runtime.keyring
    table = _OUTBOX.name
    rows: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    for digits in numbers:
        row_id = new_id()
        key = (new_id(), secrets.token_bytes(DEK_BYTES))
        keys.append(
            {
                "id": key[0],
                "table_name": table,
                "row_id": row_id,
                "kek_version": version,
                "created_at": now,
                "wrapped": wrap_key(keyring, version, table, row_id, key[1]),
            }
        )
        rows.append(
            {
                "id": row_id,
                "kind": area.kind,
                "alert_id": area.alert_id,
                "template_id": area.template_id,
                "area_id": area.area_id,
                "number": seal_with(key, table, "number", row_id, digits),
                "number_bidx": blind_index(keyring, OTP_DOMAIN, digits),
                "body": seal_with(key, table, "body", row_id, body),
                "pe_id": area.pe_id,
                "header": area.header,
                "dlt_template_id": area.dlt_template_id,
                "encoding": area.encoding,
                "parts": area.parts,
                "status": QUEUED,
                "queued_at": now,
                "due_at": now,
                "attempts": 0,
            }
        )
    uow.session.execute(insert(cast(Table, DataKey.__table__)), keys)
    uow.session.execute(insert(_OUTBOX), rows)
    return len(rows)


# --- reading -------------------------------------------------------------------------------


def status_counts(uow: UnitOfWork, alert_id: str | None = None) -> dict[str, int]:
    """Messages by status (of one alert, or of the whole outbox)."""
    stmt = select(AlertOutboxMessage.status, func.count()).group_by(AlertOutboxMessage.status)
    if alert_id is not None:
        stmt = stmt.where(AlertOutboxMessage.alert_id == alert_id)
    return {status: int(n) for status, n in uow.session.execute(stmt)}
