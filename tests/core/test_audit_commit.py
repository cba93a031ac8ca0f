"""Group commit: many callers share one commit, each gets its own seqs back only once they are
durable, the chain stays gap-free, and the writer signs checkpoints as it goes."""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func, select, text

from kotwal.core import audit
from kotwal.core.audit import AuditEvent, GroupCommitter, Outcome
from kotwal.core.db import Database
from kotwal.core.keys import KeyRing
from kotwal.core.models import AuditCheckpoint, AuditEventRow
from tests.intruder import past_the_triggers


def _events(n: int, who: str = "si.ramesh") -> list[AuditEvent]:
    return [
        AuditEvent(
            action="record.disclose",
            outcome=Outcome.SUCCESS,
            actor_id=None,
            actor_name=who,
            resource_type="person",
            resource_id=f"p-{i}",
            purpose="case 42/2024",
        )
        for i in range(n)
    ]


def _count(db: Database, model: type[Any]) -> int:
    with db.transaction(write=False) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def committer(db: Database) -> Iterator[GroupCommitter]:
    writer = GroupCommitter(db)
    writer.start()
    yield writer
    writer.stop()


def _start_and_wait_until_taken(committer: GroupCommitter, thread: threading.Thread) -> None:
    """Start a writing thread and wait until the writer holds its request (queue empty)."""
    before = committer.requests_queued
    thread.start()
    _wait_for(lambda: committer.requests_queued == before + 1 and committer.queued == 0)


@contextmanager
def _log_locked(db: Database) -> Iterator[None]:
    """Hold the lock every appender needs, as a long transaction elsewhere would."""
    with db.transaction(write=True) as session:
        audit.append(session, _events(1, "holder"))
        yield


def test_write_returns_the_seqs_of_its_events(committer: GroupCommitter, db: Database) -> None:
    assert committer.write(_events(3)) == [1, 2, 3]
    assert committer.write(_events(2)) == [4, 5]
    assert committer.write([]) == []
    assert _count(db, AuditEventRow) == 5


def test_concurrent_writers_get_a_gap_free_verifying_chain(
    committer: GroupCommitter, db: Database, keyring: KeyRing
) -> None:
    threads, writes, per_write = 12, 15, 4
    results: list[list[int]] = []
    guard = threading.Lock()

    def client(n: int) -> None:
        for _ in range(writes):
            seqs = committer.write(_events(per_write, f"officer.{n}"))
            with guard:
                results.append(seqs)

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    total = threads * writes * per_write
    assert all(len(s) == per_write and s == list(range(s[0], s[0] + per_write)) for s in results)
    assert sorted(seq for s in results for seq in s) == list(range(1, total + 1))
    assert committer.events_committed == total
    result = audit.verify(db.engine, keyring.audit_public)
    assert result.ok and result.events_checked == total


def test_writers_waiting_together_share_one_commit(committer: GroupCommitter, db: Database) -> None:
    writers = 20
    done: list[list[int]] = []
    with _log_locked(db):
        threads = [
            threading.Thread(target=lambda: done.append(committer.write(_events(2))))
            for _ in range(writers)
        ]
        # The writer takes the first request and waits for the lock; the others queue.
        _start_and_wait_until_taken(committer, threads[0])
        for t in threads[1:]:
            t.start()
        _wait_for(lambda: committer.queued == writers - 1)
        assert done == []  # nobody is told before their events are durable
    for t in threads:
        t.join()
    assert len(done) == writers
    assert committer.batches_committed == 2
    assert _count(db, AuditEventRow) == 1 + 2 * writers


def test_a_bad_request_fails_alone(committer: GroupCommitter, db: Database) -> None:
    bad = AuditEvent(
        action="x",
        outcome=Outcome.FAILURE,
        actor_id=None,
        actor_name="t",
        detail={"raw": b"not json"},  # type: ignore[dict-item]
    )
    outcomes: dict[str, object] = {}

    def send(name: str, events: list[AuditEvent]) -> None:
        try:
            outcomes[name] = committer.write(events)
        except Exception as exc:
            outcomes[name] = exc

    with _log_locked(db):
        threads = [
            threading.Thread(target=send, args=("first", _events(1))),
            threading.Thread(target=send, args=("bad", [bad])),
            threading.Thread(target=send, args=("good", _events(2))),
        ]
        _start_and_wait_until_taken(committer, threads[0])
        threads[1].start()
        threads[2].start()
        _wait_for(lambda: committer.queued == 2)
    for t in threads:
        t.join()
    assert isinstance(outcomes["bad"], TypeError)
    assert outcomes["first"] == [2] and outcomes["good"] == [3, 4]


def test_write_works_without_a_running_writer(db: Database, keyring: KeyRing) -> None:
    writer = GroupCommitter(db)
    assert writer.write(_events(2)) == [1, 2]  # never started
    writer.start()
    assert writer.write(_events(1)) == [3]
    writer.stop()
    assert writer.write(_events(1)) == [4]  # stopped
    assert audit.verify(db.engine, keyring.audit_public).events_checked == 4


def test_stop_commits_everything_already_queued(db: Database) -> None:
    writer = GroupCommitter(db)
    writer.start()
    answers: list[list[int]] = []
    with _log_locked(db):
        threads = [
            threading.Thread(target=lambda: answers.append(writer.write(_events(1))))
            for _ in range(5)
        ]
        _start_and_wait_until_taken(writer, threads[0])
        for t in threads[1:]:
            t.start()
        _wait_for(lambda: writer.queued == 4)
        stopper = threading.Thread(target=writer.stop)
        stopper.start()
    stopper.join()
    for t in threads:
        t.join()
    assert sorted(s[0] for s in answers) == [2, 3, 4, 5, 6]
    assert not writer.running


def test_the_writer_signs_a_checkpoint_every_n_events(db: Database, keyring: KeyRing) -> None:
    writer = GroupCommitter(db, keyring=keyring, checkpoint_every_events=10)
    writer.start()
    try:
        for _ in range(25):
            writer.write(_events(1))
    finally:
        writer.stop()
    with db.transaction(write=False) as session:
        seqs = list(session.scalars(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.seq)))
    assert seqs == [10, 20, 25]  # the last one is signed on stop
    result = audit.verify(db.engine, keyring.audit_public)
    assert result.ok and result.checkpoints_checked == 3


def test_the_writer_signs_a_checkpoint_after_a_quiet_interval(
    db: Database, keyring: KeyRing
) -> None:
    writer = GroupCommitter(db, keyring=keyring, checkpoint_every_seconds=0.2)
    writer.start()
    try:
        writer.write(_events(3))
        _wait_for(lambda: _count(db, AuditCheckpoint) >= 1)
    finally:
        writer.stop()
    with db.transaction(write=False) as session:
        assert session.execute(select(func.max(AuditCheckpoint.seq))).scalar() == 3


def test_the_writer_checkpoints_events_appended_in_other_transactions(
    db: Database, keyring: KeyRing
) -> None:
    writer = GroupCommitter(db, keyring=keyring, checkpoint_every_events=1000)
    writer.start()
    with db.transaction(write=True) as session:
        audit.append(session, _events(4))
    writer.stop()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT seq FROM audit_checkpoints")).scalar() == 4


def test_no_checkpoints_without_a_keyring(committer: GroupCommitter, db: Database) -> None:
    committer.write(_events(3))
    committer.stop()
    assert _count(db, AuditCheckpoint) == 0


def test_verify_sees_one_consistent_state_while_writers_append(
    committer: GroupCommitter, db: Database, keyring: KeyRing
) -> None:
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            committer.write(_events(5))

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        _wait_for(lambda: committer.events_committed >= 200)
        results = [audit.verify(db.engine, keyring.audit_public) for _ in range(5)]
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert all(r.ok for r in results), [r.reason for r in results if not r.ok]
    assert results[-1].events_checked >= 200


def test_the_writer_keeps_auditing_but_signs_nothing_after_a_rewind(
    db: Database, keyring: KeyRing
) -> None:
    writer = GroupCommitter(db, keyring=keyring, checkpoint_every_events=10)
    writer.start()
    try:
        writer.write(_events(10))
        assert writer.checkpoints_written == 1
        with db.engine.begin() as conn, past_the_triggers(conn):  # cut the tail, rewind
            conn.execute(text("DELETE FROM audit_events WHERE seq > 5"))
            last = conn.execute(text("SELECT hash FROM audit_events WHERE seq = 5")).scalar_one()
            conn.execute(text("UPDATE audit_head SET seq = 5, hash = :h"), {"h": last})
        assert writer.write(_events(12)) == list(range(6, 18))
    finally:
        writer.stop()
    assert writer.checkpoints_written == 1
    assert _count(db, AuditCheckpoint) == 1
    result = audit.verify(db.engine, keyring.audit_public)
    assert not result.ok and result.first_bad_seq == 10


def test_audit_writers_of_two_processes_share_one_gap_free_chain(
    db: Database, keyring: KeyRing
) -> None:
    """Two server workers each run a writer on their own connection pool (here: two Database
    objects on one database); on SQLite they take turns through the lock file beside it."""
    other = Database(db.url)
    writers = [GroupCommitter(db), GroupCommitter(other)]
    for writer in writers:
        writer.start()
    results: list[list[int]] = []
    guard = threading.Lock()

    def client(n: int) -> None:
        for _ in range(20):
            seqs = writers[n % 2].write(_events(3, f"officer.{n}"))
            with guard:
                results.append(seqs)

    try:
        clients = [threading.Thread(target=client, args=(n,)) for n in range(6)]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
    finally:
        for writer in writers:
            writer.stop()
        other.dispose()
    assert sorted(seq for s in results for seq in s) == list(range(1, 6 * 20 * 3 + 1))
    assert audit.verify(db.engine, keyring.audit_public).ok


@pytest.mark.sqlite_only
def test_sqlite_writers_queue_on_a_private_lock_file(db: Database) -> None:
    other = Database(db.url)
    path = db.engine.url.database + ".writers"  # type: ignore[operator]
    entered: list[str] = []
    holding, release = threading.Event(), threading.Event()

    def first() -> None:
        with db.serial_writer():
            entered.append("first")
            holding.set()
            release.wait(10)
            entered.append("first leaves")

    def second() -> None:
        holding.wait(10)
        with other.serial_writer():
            entered.append("second")

    try:
        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        holding.wait(10)
        time.sleep(0.2)  # time for the second to reach the lock; it must not get in
        assert entered == ["first"]
        release.set()
        for t in threads:
            t.join(10)
        assert entered == ["first", "first leaves", "second"]
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    finally:
        release.set()
        other.dispose()
