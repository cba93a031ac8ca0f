"""Reads under a declared purpose, and their review by the reader's supervisors.

The gate lets an officer read beyond their jurisdiction only under a purpose that names a
registered case or an enumerated reason (:mod:`kotwal.core.purpose`). That makes the purpose
checkable, not true: a real FIR number can be borrowed. So every such read is written down here
(one entry per answer, with the purpose and the records' identifiers, never their content) and
a sample goes to the reader's supervisors: every read under a reason without a case, and a
share of those under a case (``KOTWAL_WATCH_PURPOSE_SAMPLE``). A supervisor is anyone with the
review permission whose jurisdiction covers the reader's posting (a station house officer for
the station's officers, a circle or district officer above them), or a security officer; never
the reader. A read judged unjustified raises an alert in the security officers' queue.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session

from kotwal.core.audit import Outcome, actor_event
from kotwal.core.clock import utcnow
from kotwal.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from kotwal.core.observers import Disclosure
from kotwal.core.policy import Actor, Role
from kotwal.core.purpose import parse_purpose
from kotwal.core.scope import require
from kotwal.core.uow import UnitOfWork
from kotwal.watch.config import WatchConfig
from kotwal.watch.models import WatchPurposeRead
from kotwal.watch.permissions import WatchPermission

Verdict = Literal["justified", "unjustified"]
VERDICTS: tuple[Verdict, ...] = ("justified", "unjustified")
#: Record identifiers kept per entry: enough for a supervisor to follow a read up.
IDS_KEPT = 20
#: Kinds that are not reads of someone else's records: a writer's echo, a record's parts.
_NOT_READS = frozenset({"echo", "part"})
_SAMPLE_SCALE = 10_000


@dataclass(frozen=True, eq=False)
class PurposeObserver:
    """The disclosure observer that writes reads under a purpose down for review (one per
    runtime; equal to any other, so registering it twice keeps one)."""

    cfg: WatchConfig

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PurposeObserver)

    def __hash__(self) -> int:
        return hash(PurposeObserver)

    def __call__(self, uow: UnitOfWork, disclosure: Disclosure) -> None:
        entry = entry_for(self.cfg, disclosure)
        if entry is None:
            return
        if uow.write:
            uow.session.add(entry)
            return
        # A read: in the transaction that makes its audit events durable, after the budget
        # (registered first) has let it through, so a refused read leaves no entry.
        uow.check_at_commit(lambda session: _store(session, entry))


def _store(session: Session, entry: WatchPurposeRead) -> Problem | None:
    session.add(entry)
    return None


def entry_for(cfg: WatchConfig, d: Disclosure) -> WatchPurposeRead | None:
    """The review entry for a disclosure, or None when no purpose lifted anything in it."""
    if d.actor.account_id is None or d.purpose is None or d.kind in _NOT_READS:
        return None
    public = set(d.public_only)
    lifted = [r for r in d.out_of_jurisdiction if r not in public]
    if not lifted:
        return None
    try:
        purpose = parse_purpose(d.purpose)
        case_number, reason = purpose.case_number, purpose.reason
        always = purpose.always_reviewed
    except InvalidInput:  # the gate checks every lifting purpose; a stray one is reviewed
        case_number, reason, always = None, None, True
    sampled = always or secrets.randbelow(_SAMPLE_SCALE) < cfg.purpose_sample * _SAMPLE_SCALE
    return WatchPurposeRead(
        account_id=d.actor.account_id,
        username=d.actor.username[:64],
        reader_path=reader_path(d.actor),
        purpose=d.purpose[:300],
        case_number=case_number,
        reason=reason.value if reason is not None else None,
        resource_type=d.resource_type[:64],
        kind=d.kind,
        records=len(lifted),
        record_ids=json.dumps(lifted[:IDS_KEPT]),
        to_review=sampled,
        at=utcnow(),
    )


def reader_path(actor: Actor) -> str | None:
    """The reader's broadest posting: whoever covers it supervises the reader."""
    return min(actor.jurisdiction_paths, key=len, default=None)


def _in_scope(actor: Actor) -> ColumnElement[bool]:
    """Entries this reviewer may see: readers posted inside their jurisdiction, or all of
    them for a security officer; never the reviewer's own reads."""
    if Role.SECURITY_OFFICER in actor.roles:
        scope: ColumnElement[bool] = WatchPurposeRead.id.is_not(None)
    elif actor.jurisdiction_paths:
        scope = or_(*(WatchPurposeRead.reader_path.startswith(p) for p in actor.jurisdiction_paths))
    else:
        scope = false()
    return scope & (WatchPurposeRead.account_id != actor.account_id)


def review_queue(
    uow: UnitOfWork, actor: Actor, *, status: Literal["pending", "judged", "all"], limit: int
) -> list[WatchPurposeRead]:
    """Sampled reads awaiting (or given) a verdict, newest first, within the reviewer's scope."""
    require(actor, WatchPermission.PURPOSE_REVIEW)
    query = select(WatchPurposeRead).where(WatchPurposeRead.to_review.is_(True), _in_scope(actor))
    if status == "pending":
        query = query.where(WatchPurposeRead.verdict.is_(None))
    elif status == "judged":
        query = query.where(WatchPurposeRead.verdict.is_not(None))
    rows = uow.session.scalars(query.order_by(WatchPurposeRead.at.desc()).limit(limit))
    return list(rows)


@dataclass(frozen=True)
class PurposeStats:
    """How reads under a purpose stand within a reviewer's scope."""

    reads: int
    records: int
    sampled: int
    judged: int
    unjustified: int


def stats(uow: UnitOfWork, actor: Actor) -> PurposeStats:
    """Counts over every read under a purpose in the reviewer's scope."""
    require(actor, WatchPermission.PURPOSE_REVIEW)
    row = uow.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(WatchPurposeRead.records), 0),
            func.count().filter(WatchPurposeRead.to_review.is_(True)),
            func.count().filter(WatchPurposeRead.verdict.is_not(None)),
            func.count().filter(WatchPurposeRead.verdict == "unjustified"),
        ).where(_in_scope(actor))
    ).one()
    return PurposeStats(*(int(v) for v in row))


def judge(
    uow: UnitOfWork, actor: Actor, entry_id: str, verdict: str, note: str
) -> WatchPurposeRead:
    """Record a supervisor's verdict on a sampled read (audited); an unjustified read raises
    an alert for the security officers naming the records it opened."""
    require(actor, WatchPermission.PURPOSE_REVIEW)
    if verdict not in VERDICTS:
        raise InvalidInput(f"a verdict is one of: {', '.join(VERDICTS)}")
    note = " ".join(note.split())
    if not 5 <= len(note) <= 300:
        raise InvalidInput("a note is 5-300 characters")
    entry = _entry(uow, actor, entry_id)
    if entry.verdict is not None:
        raise Conflict("this read has been judged already")
    entry.verdict, entry.note = verdict, note
    entry.reviewed_by, entry.reviewed_at = actor.account_id, utcnow()
    uow.audit(
        actor_event(
            actor,
            "purpose.review",
            Outcome.SUCCESS,
            resource_type="purpose_read",
            resource_id=entry.id,
            detail={"verdict": verdict, "reader": entry.account_id},
        )
    )
    if verdict == "unjustified":
        _alert(uow, entry, actor)
    return entry


def _entry(uow: UnitOfWork, actor: Actor, entry_id: str) -> WatchPurposeRead:
    entry = uow.session.get(WatchPurposeRead, entry_id)
    if entry is None or not entry.to_review:
        raise NotFound()
    if entry.account_id == actor.account_id:
        raise Forbidden("a read is judged by a supervisor, never by its reader")
    in_scope = uow.session.scalar(
        select(WatchPurposeRead.id).where(WatchPurposeRead.id == entry_id, _in_scope(actor))
    )
    if in_scope is None:
        raise NotFound()  # outside the reviewer's jurisdiction: as if it did not exist
    return entry


def _alert(uow: UnitOfWork, entry: WatchPurposeRead, actor: Actor) -> None:
    # Imported here: the alert queue's service imports this module to install its observer.
    from kotwal.watch.service import raise_alert

    detail: dict[str, Any] = {
        "purpose": entry.purpose,
        "case_number": entry.case_number,
        "reason": entry.reason,
        "records": entry.records,
        "judged_by": actor.username,
        "note": entry.note,
    }
    raise_alert(
        uow,
        account_id=entry.account_id,
        session_id=None,
        kind="purpose",
        record_ids=json.loads(entry.record_ids),
        detail=detail,
        action="alert",
    )
