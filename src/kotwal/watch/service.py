"""The breach defences' operations: charge each disclosure to its actor's budget, score the
signals, step up, suspend, raise alerts, and let security officers review them.

How a disclosure is charged (:class:`BudgetObserver`, registered on the runtime at start-up):
the gate hands over who received which records and how; in a write transaction, serialised
per account (for a read request, the audit group commit's own transaction, shared by every read
committing at that moment; for a write request, the request's transaction), the observer
counts the *distinct* protected records the account has received in the rolling hour and day
(plus the incoming ones), adds the points of the signals that fire, and compares the score
with the account's budget:

- at or under the soft limit, the rows are recorded and the records are released;
- over the soft limit, the session must step up (re-enter a TOTP code) and an alert is raised;
- over the hard limit, every session of the account ends, the account is suspended pending a
  security officer's review, and an alert is raised.

In the last two cases the incoming records are *not* released: the request's unit of work
rolls back and answers with the problem instead, so the answer carries nothing beyond the
budget, while the alert and the suspension commit all the same. Records that
were not released are not charged, and are named on the alert as withheld.

Other defences (decoys) raise alerts through :func:`raise_alert`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, case, func, insert, select
from sqlalchemy.orm import Session

from kotwal.core import audit, identity
from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.clock import as_utc, utcnow
from kotwal.core.crypto import bind_keyring
from kotwal.core.db import new_id
from kotwal.core.errors import (
    AccountSuspended,
    Conflict,
    ExportLimit,
    InvalidInput,
    NotFound,
    Problem,
    StepUpRequired,
)
from kotwal.core.models import Account, AuthSession
from kotwal.core.observers import Disclosure
from kotwal.core.policy import Actor
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.watch import config as watch_config
from kotwal.watch import window
from kotwal.watch.config import WatchConfig
from kotwal.watch.models import WatchAlert, WatchAlertRecord, WatchDisclosure, WatchSuspension
from kotwal.watch.purposes import PurposeObserver
from kotwal.watch.window import Opened, Window

ACTIONS = frozenset({"alert", "step_up", "suspend"})
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
#: An alert names at most this many records (a scraper is cut off long before).
ALERT_RECORDS_MAX = 1000
DETAIL_MAX_CHARS = 4000
REASON_MIN, REASON_MAX = 5, 300
WATCH_ACTOR = "system:watch"


# --- alerts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signal:
    """A pattern beyond volume that raised the score."""

    name: str
    points: int
    count: int

    def as_dict(self) -> dict[str, Any]:
        """The signal as stored on an alert."""
        return {"name": self.name, "points": self.points, "count": self.count}


@dataclass(frozen=True)
class AlertDraft:
    """Everything an alert will hold, decided before it is written."""

    id: str
    account_id: str | None
    session_id: str | None
    kind: str
    action: str
    record_ids: tuple[str, ...]
    detail: dict[str, Any]
    score: int = 0
    signals: tuple[Signal, ...] = ()
    resource_type: str | None = None
    withheld: frozenset[str] = frozenset()


def raise_alert(
    uow_or_runtime: UnitOfWork | Runtime,
    *,
    account_id: str | None,
    session_id: str | None,
    kind: str,
    record_ids: Sequence[str],
    detail: dict[str, Any],
    action: str,
) -> str:
    """Raise an alert for the security officers and act on it; returns the alert's id.

    ``action`` is ``"alert"`` (nothing more), ``"step_up"`` (the session must re-enter a TOTP
    code) or ``"suspend"`` (every session of the account ends and the account is suspended
    pending review). The alert is durable whatever becomes of the caller's unit of work: with a
    runtime or a read unit it is written at once in its own transaction; with a write unit it is
    written as soon as that unit ends, committed or rolled back (on SQLite the unit may hold the
    write lock). To stop the current request as well, raise a problem after calling this.
    """
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(sorted(ACTIONS))}")
    draft = AlertDraft(
        id=new_id(),
        account_id=account_id,
        session_id=session_id,
        kind=kind[:32],
        action=action,
        record_ids=tuple(record_ids),
        detail=dict(detail),
    )
    _dispatch(uow_or_runtime, draft)
    return draft.id


def _dispatch(uow_or_runtime: UnitOfWork | Runtime, draft: AlertDraft) -> None:
    if isinstance(uow_or_runtime, UnitOfWork):
        # Once the unit has ended: a write unit may hold SQLite's write lock, and a read unit's
        # own commit checks (its budget) must judge the request as it stood before the alert.
        runtime = uow_or_runtime.runtime
        uow_or_runtime.after_end(lambda: _store_now(runtime, draft))
        return
    _store_now(uow_or_runtime, draft)


def _store_now(runtime: Runtime, draft: AlertDraft) -> None:
    with runtime.db.transaction(write=True) as session:
        # The audit key signs the alert's events (their MAC): a plain session has no keyring,
        # and an event without a MAC stops every later checkpoint.
        bind_keyring(session, runtime.keyring)
        store_alert(session, draft)


def _json(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    if len(text) > DETAIL_MAX_CHARS:
        return json.dumps({"truncated": True})
    return text


def store_alert(session: Session, draft: AlertDraft) -> WatchAlert:
    """Write an alert, its records and its action, with their audit events, in ``session``."""
    alert = WatchAlert(
        id=draft.id,
        account_id=draft.account_id,
        session_id=draft.session_id,
        kind=draft.kind,
        action=draft.action,
        status="open",
        score=draft.score,
        signals=_json([s.as_dict() for s in draft.signals]),
        detail=_json(draft.detail),
        created_at=utcnow(),
    )
    session.add(alert)
    session.flush()
    ids = list(dict.fromkeys(str(r)[:64] for r in draft.record_ids))[:ALERT_RECORDS_MAX]
    if ids:
        session.execute(
            insert(WatchAlertRecord),
            [
                {
                    "alert_id": alert.id,
                    "record_id": rid,
                    "resource_type": draft.resource_type,
                    "withheld": rid in draft.withheld,
                }
                for rid in ids
            ],
        )
    events = [
        _watch_event(
            "security.alert",
            draft.account_id,
            draft.session_id,
            {
                "alert": alert.id,
                "kind": draft.kind,
                "action": draft.action,
                "records": len(ids),
                "score": draft.score,
            },
        )
    ]
    if draft.action == "step_up" and draft.session_id:
        identity.require_step_up(session, draft.session_id)
    if draft.action == "suspend" and draft.account_id:
        events.append(_suspend(session, draft.account_id, alert.id, draft.session_id))
    audit.append(session, events)
    return alert


def _suspend(
    session: Session, account_id: str, alert_id: str, session_id: str | None
) -> AuditEvent:
    open_already = session.scalar(
        select(WatchSuspension.id).where(
            WatchSuspension.account_id == account_id, WatchSuspension.lifted_at.is_(None)
        )
    )
    identity.suspend(session, account_id)  # ends every session, even if already suspended
    if open_already is None:
        session.add(WatchSuspension(account_id=account_id, alert_id=alert_id, started_at=utcnow()))
    return _watch_event(
        "security.suspend", account_id, session_id, {"alert": alert_id, "sessions_ended": True}
    )


def _watch_event(
    action: str,
    account_id: str | None,
    session_id: str | None,
    detail: dict[str, str | int | bool | None],
) -> AuditEvent:
    return AuditEvent(
        action=action,
        outcome=Outcome.SUCCESS,
        actor_id=None,
        actor_name=WATCH_ACTOR,
        resource_type="account",
        resource_id=account_id,
        session_id=session_id,
        detail=detail,
    )


# --- charging disclosures --------------------------------------------------------------------


@dataclass
class Verdict:
    """What the budget check decided for one disclosure."""

    release: bool
    problem: Problem | None = None
    draft: AlertDraft | None = None
    signals: list[Signal] = field(default_factory=list)


@dataclass(frozen=True, eq=False)
class BudgetObserver:
    """The disclosure observer that charges budgets (one per runtime; equal to any other, so
    registering it twice on a runtime keeps one)."""

    cfg: WatchConfig

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BudgetObserver)

    def __hash__(self) -> int:
        return hash(BudgetObserver)

    def __call__(self, uow: UnitOfWork, disclosure: Disclosure) -> None:
        charge(uow, self.cfg, disclosure)


def install(runtime: Runtime) -> None:
    """Register the budget observer and the purpose review's on ``runtime`` (web app start-up,
    CLI commands that disclose). A bad budget setting stops start-up here, naming it."""
    if not runtime.settings.watch_enabled:
        return
    cfg = watch_config.load(runtime.settings)
    runtime.observers.register(BudgetObserver(cfg))
    # After the budget: a read the budget refuses leaves no entry for review.
    runtime.observers.register(PurposeObserver(cfg))


def charge(uow: UnitOfWork, cfg: WatchConfig, disclosure: Disclosure) -> None:
    """Charge ``disclosure`` to its actor; raise a problem (after rolling the request back)
    when it would carry the actor past a limit."""
    actor = disclosure.actor
    if actor.account_id is None or not disclosure.record_ids:
        return  # the system itself (seeding, migrations) has no budget
    if uow.write:
        # This unit may hold SQLite's write lock: charge inside it (the rows commit with the
        # request, or vanish with it, like the disclosure itself).
        verdict = judge(uow.session, cfg, disclosure, utcnow())
        if verdict.release:
            if verdict.draft is not None:
                _dispatch(uow, verdict.draft)
            return
        uow.rollback()
        if verdict.draft is not None:
            _store_now(uow.runtime, verdict.draft)
        assert verdict.problem is not None
        raise verdict.problem
    # A read: judge in the transaction that makes the read's audit events durable (the group
    # committer's, shared by every read waiting at that moment), so charging costs no commit
    # of its own. Checks run one after another there, each seeing the rows of those before
    # it, so concurrent reads of one account are counted exactly. If the verdict refuses, the
    # unit's commit raises the problem and nothing of the request leaves.
    uow.check_at_commit(lambda session: _judge_and_store(session, cfg, disclosure))


def _judge_and_store(session: Session, cfg: WatchConfig, disclosure: Disclosure) -> Problem | None:
    verdict = judge(session, cfg, disclosure, utcnow())
    if verdict.draft is not None:
        store_alert(session, verdict.draft)
    return None if verdict.release else verdict.problem


# The statements of the hot path, built once: a read is charged with a handful of queries and
# two inserts, and building a statement costs more than running one of these.
_LIFTED = (
    select(func.max(WatchSuspension.lifted_at))
    .where(WatchSuspension.account_id == bindparam("account"))
    .scalar_subquery()
)
#: The account's state and its last lifted suspension; the row is locked on PostgreSQL (SQLite's
#: write transaction holds the database lock already), so one account is charged in order.
_ACCOUNT_STATE = (
    select(Account.suspended, _LIFTED)
    .where(Account.id == bindparam("account"))
    .with_for_update(of=Account.__table__)
)
_SESSION_STATE = select(
    AuthSession.step_up_required, AuthSession.stepped_up_at, AuthSession.created_at
).where(AuthSession.id == bindparam("session"))


def judge(session: Session, cfg: WatchConfig, d: Disclosure, now: datetime) -> Verdict:
    """Decide on one disclosure and, when it is released, record its rows (in ``session``)."""
    account_id = d.actor.account_id
    assert account_id is not None
    conn = session.connection()
    state = conn.execute(_ACCOUNT_STATE, {"account": account_id}).first()
    if state is None:
        return Verdict(release=True)
    suspended, lifted = state
    if suspended:
        return Verdict(release=False, problem=AccountSuspended())
    auth = None
    if d.actor.session_id:
        auth = conn.execute(_SESSION_STATE, {"session": d.actor.session_id}).first()
    if auth is not None and auth.step_up_required:
        return Verdict(release=False, problem=StepUpRequired())
    since_hour, since_day = now - HOUR, now - DAY
    if lifted is not None:
        # A reviewed lift starts the account's budget afresh.
        since_hour, since_day = max(since_hour, as_utc(lifted)), max(since_day, as_utc(lifted))
    if d.kind == "export":
        refused = _over_export_allowance(conn, cfg, d, now - DAY)
        if refused is not None:
            return refused
    counted = cfg.counted_kinds
    win = window.read(conn, account_id, d.record_ids, since_hour, since_day)
    incoming = set(d.record_ids) - set(d.public_only) if d.kind in counted else set()
    distinct_hour = win.charged_hour.with_(incoming).count
    distinct_day = win.charged_day.with_(incoming).count
    signals = score_signals(cfg, win, d, now)
    points = sum(s.points for s in signals)
    score_hour, score_day = distinct_hour + points, distinct_day + points
    budget = cfg.budget_for(d.actor.roles)
    detail: dict[str, Any] = {
        "distinct_hour": distinct_hour,
        "distinct_day": distinct_day,
        "score_hour": score_hour,
        "score_day": score_day,
        "budget": [budget.soft_hour, budget.hard_hour, budget.soft_day, budget.hard_day],
        "disclosure_kind": d.kind,
        "resource_type": d.resource_type,
        "requested": len(d.record_ids),
    }

    def draft(action: str, limit: str, withheld: frozenset[str]) -> AlertDraft:
        # The records the alert names: read only now, since most charges raise none.
        seen = window.charged_in_hour(conn, account_id, since_hour, ALERT_RECORDS_MAX)
        named = seen + sorted(incoming - set(seen))
        return AlertDraft(
            id=new_id(),
            account_id=account_id,
            session_id=d.actor.session_id,
            kind="budget",
            action=action,
            record_ids=tuple(named or d.record_ids),
            detail={**detail, "limit": limit},
            score=max(score_hour, score_day),
            signals=tuple(signals),
            resource_type=d.resource_type,
            withheld=withheld,
        )

    withheld = frozenset(set(d.record_ids) - win.charged_hour.holds)
    if score_hour > budget.hard_hour or score_day > budget.hard_day:
        limit = "hard_hour" if score_hour > budget.hard_hour else "hard_day"
        return Verdict(False, AccountSuspended(), draft("suspend", limit, withheld), signals)
    result = Verdict(release=True, signals=signals)
    if score_hour > budget.soft_hour or score_day > budget.soft_day:
        limit = "soft_hour" if score_hour > budget.soft_hour else "soft_day"
        if auth is not None:
            if not _stepped_up(session, account_id, auth, since_hour):
                return Verdict(False, StepUpRequired(), draft("step_up", limit, withheld), signals)
        elif not _alerted_since(session, account_id, since_hour):
            # No session to step up (a CLI command acting as someone): alert once an hour.
            result.draft = draft("alert", limit, frozenset())
    window.record(conn, d, counted, now)
    if next(_charges) % cfg.prune_every == 0:
        prune(session, now)
    return result


def _over_export_allowance(
    conn: Any, cfg: WatchConfig, d: Disclosure, since: datetime
) -> Verdict | None:
    """Refuse an export (or the batch of one) that would carry the account past its role's
    allowance of exported rows in a rolling day; the security officers hear of it. A lifted
    suspension does not reset it: the allowance counts copies that have left."""
    account_id = d.actor.account_id
    assert account_id is not None
    allowance = cfg.export_allowance(d.actor.roles)
    before = window.exported_rows(conn, account_id, since)
    if before + len(d.record_ids) <= allowance:
        return None
    alert = AlertDraft(
        id=new_id(),
        account_id=account_id,
        session_id=d.actor.session_id,
        kind="export",
        action="alert",
        record_ids=tuple(d.record_ids[:ALERT_RECORDS_MAX]),
        detail={
            "exported_day": before,
            "requested": len(d.record_ids),
            "allowance": allowance,
            "resource_type": d.resource_type,
        },
        score=before + len(d.record_ids),
        signals=(),
        resource_type=d.resource_type,
        withheld=frozenset(d.record_ids),
    )
    problem = ExportLimit(
        f"your role may export {allowance:,} records a day; you have exported {before:,} in the "
        f"last 24 hours and this would add at least {len(d.record_ids):,}. Nothing was "
        "exported. Export a smaller area, or wait; larger exports will need a second "
        "officer's approval"
    )
    return Verdict(release=False, problem=problem, draft=alert)


_charges = itertools.count(1)
#: The disclosure window keeps a day's rows and this margin (a lift may look back a day).
PRUNE_MARGIN = timedelta(hours=1)


def prune(session: Session, now: datetime) -> int:
    """Delete the disclosure window's rows older than a day and a margin, in ``session``;
    how many. A retention rule, not an erasure: each disclosure stays in the audit log."""
    return window.prune(session.connection(), now - DAY - PRUNE_MARGIN)


class _SessionState(Protocol):
    stepped_up_at: datetime | None
    created_at: datetime


def _stepped_up(session: Session, account_id: str, auth: _SessionState, since: datetime) -> bool:
    """A session has re-authenticated if it stepped up, or was opened by a full login (password
    and TOTP) after a step-up alert of the current budget window (a lift starts a new one)."""
    if auth.stepped_up_at is not None:
        return True
    last = session.scalar(
        select(func.max(WatchAlert.created_at)).where(
            WatchAlert.account_id == account_id,
            WatchAlert.action == "step_up",
            WatchAlert.created_at >= since,
        )
    )
    return last is not None and as_utc(auth.created_at) > as_utc(last)


def _alerted_since(session: Session, account_id: str, since: datetime) -> bool:
    found = session.scalar(
        select(WatchAlert.id)
        .where(
            WatchAlert.account_id == account_id,
            WatchAlert.kind == "budget",
            WatchAlert.created_at >= since,
        )
        .limit(1)
    )
    return found is not None


def score_signals(cfg: WatchConfig, win: Window, d: Disclosure, now: datetime) -> list[Signal]:
    """The signals that fire on the hour's window plus the incoming disclosure."""
    signals: list[Signal] = []
    counted = cfg.counted_kinds
    opens = list(win.opens)
    if d.kind == "record" and d.record_ids:
        opens.append(Opened(d.record_ids[0], d.order_buckets[0] if d.order_buckets else None))
    sequential = _sequential_opens(win, d, opens)
    if len(opens) >= watch_config.SEQUENTIAL_MIN_OPENS and sequential * 10 >= (len(opens) - 1) * 7:
        signals.append(Signal("sequential_enumeration", watch_config.SEQUENTIAL_POINTS, sequential))
    rising = _alphabetical_opens(opens)
    if rising is not None:
        signals.append(Signal("alphabetical_enumeration", watch_config.ALPHABETICAL_POINTS, rising))
    # Reads outside one's jurisdiction with a declared purpose (without one, only public
    # fields leave and nothing is charged).
    outside = win.outside_hour
    if d.kind in counted:
        outside = outside.with_(set(d.out_of_jurisdiction) - set(d.public_only))
    if outside.count:
        signals.append(Signal("out_of_jurisdiction", outside.count, outside.count))
    if cfg.is_quiet(now):
        signals.append(Signal("unusual_hours", watch_config.QUIET_HOURS_POINTS, 1))
    searches = win.searches + (d.kind == "list")
    if searches >= watch_config.SEARCHES_WITHOUT_OPENING and not opens:
        signals.append(
            Signal(
                "searches_without_opening", watch_config.SEARCHES_WITHOUT_OPENING_POINTS, searches
            )
        )
    photos = win.photos_hour.with_(d.record_ids) if d.kind == "photo" else win.photos_hour
    if photos.count >= watch_config.PHOTOS_MIN:
        signals.append(Signal("photo_downloads", photos.count, photos.count))
    exports = win.exports + (d.kind == "export")
    if exports:
        # One export runs as several batches; it is the act of exporting that raises the score.
        signals.append(Signal("exports", watch_config.EXPORT_POINTS, exports))
    return signals


def _alphabetical_opens(opens: Sequence[Opened]) -> int | None:
    """How many of the hour's consecutive opens went on in name order (A to Z), when nearly
    all did over enough opens and enough of the alphabet to be a walk through it; else None.
    Honest work opens records in the order cases bring them, which is no order of names."""
    buckets = [o.order_bucket for o in opens if o.order_bucket is not None]
    if len(buckets) < watch_config.ALPHABETICAL_MIN_OPENS:
        return None
    if len(set(buckets)) < watch_config.ALPHABETICAL_MIN_SPREAD:
        return None  # one family's records, opened together, are not a walk through names
    rising = sum(b >= a for a, b in itertools.pairwise(buckets))
    if rising * 10 < (len(buckets) - 1) * 9:
        return None
    return rising


def _sequential_opens(win: Window, d: Disclosure, opens: Sequence[Opened]) -> int:
    """How many consecutive opens took the next record of the same listing, in its order."""
    listed = win.listed
    if d.kind == "list":
        listed = {**listed, **{rid: ("now", n) for n, rid in enumerate(d.record_ids)}}
    count = 0
    for a, b in itertools.pairwise(opens):
        pa, pb = listed.get(a.record_id), listed.get(b.record_id)
        if pa is not None and pb is not None and pa[0] == pb[0] and pb[1] == pa[1] + 1:
            count += 1
    return count


# --- the security officers' queue ------------------------------------------------------------


@dataclass(frozen=True)
class AlertView:
    """An alert as a security officer reads it."""

    alert: WatchAlert
    username: str | None
    record_count: int
    suspended: bool

    @property
    def signals(self) -> list[dict[str, Any]]:
        """The signals that fired, as stored."""
        value = json.loads(self.alert.signals or "[]")
        return value if isinstance(value, list) else []

    @property
    def detail(self) -> dict[str, Any]:
        """Counts and flags of the alert, as stored."""
        value = json.loads(self.alert.detail or "{}")
        return value if isinstance(value, dict) else {}


def _view(session: Session, alert: WatchAlert) -> AlertView:
    username = None
    suspended = False
    if alert.account_id:
        account = identity.get_account(session, alert.account_id)
        username, suspended = account.username, account.suspended
    count = session.scalar(
        select(func.count())
        .select_from(WatchAlertRecord)
        .where(WatchAlertRecord.alert_id == alert.id)
    )
    return AlertView(alert, username, int(count or 0), suspended)


def list_alerts(
    uow: UnitOfWork,
    actor: Actor,
    *,
    status: str | None,
    limit: int,
    before: datetime | None = None,
) -> list[AlertView]:
    """The queue, newest first; ``status`` "open" or "closed" (None: both). Reading it is
    audited: the queue names officers and records."""
    stmt = select(WatchAlert).order_by(WatchAlert.created_at.desc(), WatchAlert.id).limit(limit)
    if status is not None:
        stmt = stmt.where(WatchAlert.status == status)
    if before is not None:
        stmt = stmt.where(WatchAlert.created_at < before)
    alerts = list(uow.session.scalars(stmt))
    uow.audit(
        actor_event(
            actor, "security.alert.list", resource_type="alert", detail={"count": len(alerts)}
        )
    )
    return [_view(uow.session, a) for a in alerts]


def _alert(uow: UnitOfWork, alert_id: str) -> WatchAlert:
    alert = uow.session.get(WatchAlert, alert_id[:36])
    if alert is None:
        raise NotFound("no such alert")
    return alert


@dataclass(frozen=True)
class AlertDetail:
    """An alert with the records it names and the account's timeline around it."""

    view: AlertView
    records: list[WatchAlertRecord]
    timeline: list[dict[str, Any]]
    suspensions: list[WatchSuspension]


def read_alert(uow: UnitOfWork, actor: Actor, alert_id: str) -> AlertDetail:
    """One alert: account, records, timeline, signals; the read is audited."""
    alert = _alert(uow, alert_id)
    records = list(
        uow.session.scalars(
            select(WatchAlertRecord)
            .where(WatchAlertRecord.alert_id == alert.id)
            .order_by(WatchAlertRecord.id)
        )
    )
    timeline = _timeline(uow.session, alert)
    suspensions = (
        list(
            uow.session.scalars(
                select(WatchSuspension)
                .where(WatchSuspension.account_id == alert.account_id)
                .order_by(WatchSuspension.started_at.desc())
                .limit(20)
            )
        )
        if alert.account_id
        else []
    )
    uow.audit(
        actor_event(actor, "security.alert.read", resource_type="alert", resource_id=alert.id)
    )
    return AlertDetail(_view(uow.session, alert), records, timeline, suspensions)


TIMELINE_MAX = 200


def _timeline(session: Session, alert: WatchAlert) -> list[dict[str, Any]]:
    """What the account received in the day before the alert (one line per search or opened
    record), then the alert itself and its review."""
    if alert.account_id is None:
        return [{"at": alert.created_at, "what": f"alert ({alert.action})", "count": 0}]
    created = as_utc(alert.created_at)
    stmt = (
        select(
            WatchDisclosure.batch,
            func.min(WatchDisclosure.at),
            func.min(WatchDisclosure.kind),
            func.min(WatchDisclosure.resource_type),
            func.count(),
            func.sum(case((WatchDisclosure.out_of_jurisdiction.is_(True), 1), else_=0)),
            func.min(WatchDisclosure.id),
        )
        .where(
            WatchDisclosure.account_id == alert.account_id,
            WatchDisclosure.at >= created - DAY,
            WatchDisclosure.at <= created,
        )
        .group_by(WatchDisclosure.batch)
        .order_by(func.min(WatchDisclosure.id).desc())
        .limit(TIMELINE_MAX)
    )
    lines: list[dict[str, Any]] = [
        {
            "at": as_utc(at),
            "what": f"{kind} of {resource_type}",
            "count": int(count),
            "out_of_jurisdiction": int(outside or 0),
        }
        for _batch, at, kind, resource_type, count, outside, _first in session.execute(stmt)
    ]
    lines.reverse()
    lines.append(
        {
            "at": created,
            "what": f"alert: {alert.kind}, action {alert.action}",
            "count": 0,
            "out_of_jurisdiction": 0,
        }
    )
    if alert.closed_at is not None:
        lines.append(
            {
                "at": as_utc(alert.closed_at),
                "what": f"reviewed: {alert.status}",
                "count": 0,
                "out_of_jurisdiction": 0,
            }
        )
    return lines


def _reason(reason: str) -> str:
    text = " ".join(reason.split())
    if not REASON_MIN <= len(text) <= REASON_MAX:
        raise InvalidInput(f"give a reason of {REASON_MIN}-{REASON_MAX} characters")
    return text


def lift_suspension(uow: UnitOfWork, actor: Actor, alert_id: str, reason: str) -> AlertView:
    """Lift the suspension of the alert's account, with a reason kept in the audit log; the
    account may log in again and its budget starts afresh."""
    text = _reason(reason)
    alert = _alert(uow, alert_id)
    if alert.account_id is None:
        raise Conflict("this alert names no account")
    if alert.account_id == actor.account_id:
        raise Conflict("nobody reviews their own suspension")
    open_ = list(
        uow.session.scalars(
            select(WatchSuspension).where(
                WatchSuspension.account_id == alert.account_id,
                WatchSuspension.lifted_at.is_(None),
            )
        )
    )
    if not open_:
        raise Conflict("the account is not suspended")
    now = utcnow()
    for suspension in open_:
        suspension.lifted_at, suspension.lifted_by, suspension.lift_reason = (
            now,
            actor.account_id,
            text,
        )
    identity.lift_suspension(uow.session, alert.account_id)
    for other in uow.session.scalars(
        select(WatchAlert).where(
            WatchAlert.account_id == alert.account_id,
            WatchAlert.status == "open",
            WatchAlert.action == "suspend",
        )
    ):
        _close(other, actor, text, now, "lifted")
    uow.session.flush()
    uow.audit(
        actor_event(
            actor,
            "security.suspension.lift",
            resource_type="account",
            resource_id=alert.account_id,
            purpose=text,
            detail={"alert": alert.id, "suspensions": len(open_)},
        )
    )
    return _view(uow.session, alert)


def close_alert(uow: UnitOfWork, actor: Actor, alert_id: str, reason: str) -> AlertView:
    """Close an alert after review, with a reason (audited). A suspension stays until lifted."""
    text = _reason(reason)
    alert = _alert(uow, alert_id)
    if alert.status != "open":
        raise Conflict("the alert is already closed")
    if alert.account_id is not None and alert.account_id == actor.account_id:
        raise Conflict("nobody reviews an alert about themselves")
    _close(alert, actor, text, utcnow(), "closed")
    uow.session.flush()
    uow.audit(
        actor_event(
            actor,
            "security.alert.close",
            resource_type="alert",
            resource_id=alert.id,
            purpose=text,
        )
    )
    return _view(uow.session, alert)


def _close(alert: WatchAlert, actor: Actor, reason: str, now: datetime, status: str) -> None:
    alert.status, alert.closed_at, alert.closed_by, alert.close_reason = (
        status,
        now,
        actor.account_id,
        reason,
    )


def step_up(uow: UnitOfWork, actor: Actor, code: str) -> None:
    """Re-authenticate the actor's session with a fresh TOTP code."""
    identity.step_up(uow, actor, code)
