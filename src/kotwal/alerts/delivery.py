"""The outbox as the delivery workers see it: claiming messages under a lease, and recording
what the SMSC answered and what its receipts said. (An area's recipients are queued by
``audiences``.)

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

from sqlalchemy import Table, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kotwal.alerts.models import AlertOutboxMessage, AlertSubmission, AlertSubscriber
from kotwal.core.clock import utcnow
from kotwal.core.crypto import open_fields
from kotwal.core.uow import UnitOfWork

QUEUED, SUBMITTING, SUBMITTED = "queued", "submitting", "submitted"
#: An alert's message to one area, fanned out to its subscribers (``audiences``).
AREA = "area"
DELIVERED, UNDELIVERED, FAILED, EXPANDED = "delivered", "undelivered", "failed", "expanded"
#: Receipt states that end a part's life without reaching the handset.
FINAL_FAILURES = frozenset({"UNDELIV", "EXPIRED", "REJECTD", "DELETED", "UNKNOWN"})
DELIVERED_STATE = "DELIVRD"


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
    messages to a number (an area's message is fanned out to its subscribers instead)."""
    return (
        select(AlertOutboxMessage.id)
        .where(
            AlertOutboxMessage.status.in_((QUEUED, SUBMITTING)),
            AlertOutboxMessage.due_at <= now,
            AlertOutboxMessage.kind != AREA,
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
    texts = opened(session, rows)
    done = _done_parts(session, [row.id for row in rows if row.attempts > 1])
    return [
        _claimed(row, fields, until, frozenset(done.get(row.id, ())))
        for row, fields in zip(rows, texts, strict=True)
    ]


def opened(session: Session, rows: list[AlertOutboxMessage]) -> list[dict[str, Any]]:
    """Each message's number and body: its own (an OTP), or its subscriber's number and its
    area message's body (an alert's recipient; each body opened once per batch)."""
    own = [row for row in rows if row.subscriber_id is None]
    fanned = [row for row in rows if row.subscriber_id is not None]
    found = dict(
        zip((r.id for r in own), open_fields(session, own, ("number", "body")), strict=True)
    )
    if fanned:
        numbers = _subscriber_numbers(session, {str(r.subscriber_id) for r in fanned})
        bodies = _bodies(session, {str(r.parent_id) for r in fanned})
        for row in fanned:
            found[row.id] = {
                "number": numbers[str(row.subscriber_id)],
                "body": bodies[str(row.parent_id)],
            }
    return [found[row.id] for row in rows]


def _subscriber_numbers(session: Session, ids: set[str]) -> dict[str, str]:
    subscribers = list(
        session.execute(select(AlertSubscriber).where(AlertSubscriber.id.in_(ids))).scalars()
    )
    opened = open_fields(session, subscribers, ("number",))
    return {s.id: str(f["number"]) for s, f in zip(subscribers, opened, strict=True)}


def _bodies(session: Session, ids: set[str]) -> dict[str, str]:
    parents = list(
        session.execute(select(AlertOutboxMessage).where(AlertOutboxMessage.id.in_(ids))).scalars()
    )
    opened = open_fields(session, parents, ("body",))
    return {p.id: str(f["body"]) for p, f in zip(parents, opened, strict=True)}


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


# --- reading -------------------------------------------------------------------------------


def status_counts(uow: UnitOfWork, alert_id: str | None = None) -> dict[str, int]:
    """Messages by status (of one alert, or of the whole outbox)."""
    stmt = select(AlertOutboxMessage.status, func.count()).group_by(AlertOutboxMessage.status)
    if alert_id is not None:
        stmt = stmt.where(AlertOutboxMessage.alert_id == alert_id)
    return {status: int(n) for status, n in uow.session.execute(stmt)}
