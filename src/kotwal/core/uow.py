"""The unit of work: one transaction per request or CLI command, and its audit trail.

Services flush, never commit. The unit of work commits once, at the end:
- a *write* unit (POST, PUT, PATCH, DELETE, most CLI commands) chains its audit events into the
  log inside its own transaction, so the action and its record commit together or not at all;
- a *read* unit (GET) changes nothing of its own; its disclosure events go to the group
  committer and :meth:`commit` returns only once they are durable, so no answer leaves first.

A read unit may also carry *commit checks* (:meth:`check_at_commit`): work that must commit in
the same transaction as its events and may still refuse the answer. The breach defences charge
a read's disclosures to the reader's budget this way: one shared commit per batch of reads
instead of a write transaction (and an fsync) per read.

Events that must survive the request's failure (a denial, an integrity failure) are given to
:meth:`record_now`: they are written by the group committer when the unit of work ends, after
its own transaction has committed or rolled back, whichever happens. (Writing them at once
would deadlock on SQLite, where this unit may hold the write lock.)

On PostgreSQL each transaction of a unit acting for an officer carries the officer's
jurisdiction (``kotwal.scope``), and row-level security (migration 0034) shows it only rows
filed there, whatever filter the code wrote; the reads the design lets cross the boundary
(behind the gate's masks) say so with :meth:`UnitOfWork.reach_through_gate`.

The events of one unit carry one moment, its first event's (within :data:`SAME_MOMENT_US`;
a unit running longer keeps later events' own times): a request's events then read as the one
thing they were, which is how *My activity* tells one page view from the next.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from types import TracebackType

from sqlalchemy.orm import Session

from kotwal.core import audit
from kotwal.core.audit import AuditEvent, CommitCheck
from kotwal.core.crypto import bind_keyring
from kotwal.core.db import SCOPE_INFO
from kotwal.core.policy import Actor
from kotwal.core.runtime import Runtime

#: Events recorded this soon after a unit's first share its moment (microseconds).
SAME_MOMENT_US = 2_000_000


class UnitOfWork:
    """A transaction plus the audit events it produces."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        write: bool,
        actor: Actor | None = None,
        acting_for: Callable[[], Actor | None] | None = None,
    ) -> None:
        """``acting_for`` names the actor once known (a request authenticates after its unit
        is opened): asked when a transaction begins, for its jurisdiction scope."""
        self.runtime = runtime
        self.write = write
        self.actor = actor
        self._acting_for = acting_for
        self._reaching = False
        self.session: Session = bind_keyring(runtime.db.session(write=write), runtime.keyring)
        self.session.info[SCOPE_INFO] = self._scope
        self.events: list[AuditEvent] = []
        self._regardless: list[AuditEvent] = []
        self._after_end: list[Callable[[], None]] = []
        self._checks: list[CommitCheck] = []
        self._done = False
        self._moment: int | None = None

    def _at_moment(self, event: AuditEvent) -> AuditEvent:
        """``event`` at this unit's moment (see the module's docstring)."""
        if self._moment is None:
            self._moment = event.at_us
        elif event.at_us != self._moment and 0 <= event.at_us - self._moment <= SAME_MOMENT_US:
            return dataclasses.replace(event, at_us=self._moment)
        return event

    def _scope(self) -> str | None:
        """The jurisdiction scope of a transaction beginning now (see kotwal.core.db)."""
        self._reaching = False
        actor = self.actor
        if actor is None and self._acting_for is not None:
            actor = self._acting_for()
        if actor is None or actor.account_id is None:
            return None  # system work or the operator's command: not an officer's
        return ",".join(actor.jurisdiction_paths) or "-"

    def reach_through_gate(self) -> None:
        """Let the rest of this transaction read rows outside the officer's jurisdiction.

        Only for reads whose results leave through :func:`kotwal.core.gate.disclose` (which
        masks what lies outside and audits it) or are only counted: a record opened by id, a
        name or phone search. Lists, exports and reports never call it, so a filter forgotten
        there finds nothing outside on PostgreSQL.
        """
        if self._reaching or self.session.bind is None:
            return
        conn = self.session.connection()
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT set_config('kotwal.reach', 'gate', true)")
        self._reaching = True

    def audit(self, event: AuditEvent) -> None:
        """Record an event that commits with this unit of work (or is lost with it)."""
        self.events.append(self._at_moment(event))

    def audit_many(self, events: Sequence[AuditEvent]) -> None:
        self.events.extend(self._at_moment(e) for e in events)

    def record_now(self, events: Sequence[AuditEvent]) -> None:
        """Events that become durable when this unit ends, whether it commits or not."""
        self._regardless.extend(self._at_moment(e) for e in events)

    def after_end(self, callback: Callable[[], None]) -> None:
        """Work that must happen in its own transaction once this unit has ended, whether it
        committed or not (a security alert raised by a request that is then refused). It runs
        after this unit's transaction is over, so on SQLite it does not wait for our own lock."""
        self._after_end.append(callback)

    def check_at_commit(self, check: CommitCheck) -> None:
        """Run ``check`` in the transaction that makes this read unit's events durable.

        If it returns a problem, none of this unit's events are written and :meth:`commit`
        raises the problem, so nothing the unit prepared leaves; what the check itself wrote
        (an alert, a suspension) commits regardless. Read units only: a write unit has its own
        transaction, where such work is simply done at once.
        """
        if self.write:
            raise RuntimeError("commit checks are for read units; a write unit checks at once")
        self._checks.append(check)

    @property
    def has_work_after_end(self) -> bool:
        """Whether ending this unit writes something of its own (events recorded regardless,
        work registered with :meth:`after_end`)."""
        return bool(self._regardless or self._after_end)

    def _flush_regardless(self) -> None:
        events, self._regardless = self._regardless, []
        if events:
            self.runtime.committer.write(events)
        callbacks, self._after_end = self._after_end, []
        for callback in callbacks:
            callback()

    def commit(self) -> None:
        if self._done:
            return
        if self.write:
            audit.append(self.session, self.events)
            self.session.commit()
        else:
            events, checks = self._end_read()
            try:
                self.runtime.committer.write(events, checks)
            finally:
                self._done = True
                self._flush_regardless()
            return
        self.events = []
        self._done = True
        self._flush_regardless()

    def _end_read(self) -> tuple[list[AuditEvent], list[CommitCheck]]:
        """End a read unit's transaction; its events and checks, for the audit writer."""
        # A read unit must not have written anything of its own.
        if self.session.new or self.session.dirty or self.session.deleted:
            self.session.rollback()
            raise RuntimeError("a read-only unit of work tried to write")
        self.session.rollback()
        events, checks, self.events, self._checks = self.events, self._checks, [], []
        return events, checks

    async def commit_async(self) -> None:
        """:meth:`commit` of a read unit served on the event loop: the wait for the group
        commit holds no thread. What must be written regardless (a denial, an alert) is rare
        and may wait for a database lock, so it goes to a worker thread."""
        if self._done:
            return
        if self.write:
            raise RuntimeError("a write unit commits in a worker thread, not on the event loop")
        events, checks = self._end_read()
        try:
            await self.runtime.committer.write_async(events, checks)
        finally:
            self._done = True
            if self.has_work_after_end:
                await asyncio.to_thread(self._flush_regardless)

    def rollback(self) -> None:
        if not self._done:
            self.session.rollback()
            self.events = []
            self._checks = []
            self._done = True
        self._flush_regardless()

    def close(self) -> None:
        self.rollback()
        self.session.close()

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self.commit()
        finally:
            self.close()
