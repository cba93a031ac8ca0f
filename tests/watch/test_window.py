"""The budget's window read with bounded queries equals the window defined from every row
(``Window.from_rows``), on both databases: distinct counts, which asked records each set holds,
the hour's opens in order, the latest listings, searches and exports, and a lift's cut-off."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import get_args

from sqlalchemy import func, select

from kotwal.core.observers import Disclosure, DisclosureKind
from kotwal.core.policy import Actor, Role
from kotwal.core.runtime import Runtime
from kotwal.watch import window
from kotwal.watch.models import WatchDisclosure, WatchSeen
from kotwal.watch.service import PRUNE_MARGIN, prune
from kotwal.watch.window import Window, WindowRow

COUNTED = frozenset({"record", "list", "photo"})
KINDS: tuple[DisclosureKind, ...] = get_args(DisclosureKind)
DAY_AGO = timedelta(days=1)
POOL = [f"rec-{n:03d}" for n in range(40)]  # few records, so they repeat across kinds


def _actor(account: str) -> Actor:
    return Actor(account_id=account, username=account, roles=frozenset({Role.CONSTABLE}))


def _disclosure(rng: random.Random, account: str) -> Disclosure:
    kind = rng.choice(KINDS)
    size = 1 if kind in ("record", "photo") and rng.random() < 0.8 else rng.randint(1, 12)
    ids = tuple(rng.sample(POOL, size))
    if rng.random() < 0.1:
        ids += (ids[0],)  # a record listed twice in one answer: its later place counts
    return Disclosure(
        actor=_actor(account),
        resource_type="person",
        record_ids=ids,
        purpose=None,
        kind=kind,
        out_of_jurisdiction=tuple(r for r in ids if rng.random() < 0.3),
        public_only=tuple(r for r in ids if rng.random() < 0.15),
        order_buckets=tuple(rng.choice([None, rng.randrange(676)]) for _ in ids),
    )


def _rows(d: Disclosure, batch: str) -> list[WindowRow]:
    outside, public = set(d.out_of_jurisdiction), set(d.public_only)
    return [
        WindowRow(rid, d.kind, batch, n, rid in outside, rid in public, bucket)
        for n, (rid, bucket) in enumerate(zip(d.record_ids, d.order_buckets, strict=True))
    ]


def _fill(runtime: Runtime, seed: int, now: datetime) -> list[tuple[datetime, WindowRow]]:
    """Thirty hours of disclosures to account "a" (and some to "b", which must not count),
    recorded as the judge records them; returns a's rows with their times, oldest first."""
    rng = random.Random(seed)  # nosec B311 - test data
    at = now - timedelta(hours=30)
    kept: list[tuple[datetime, WindowRow]] = []
    with runtime.db.transaction() as session:
        conn = session.connection()
        for n in range(300):
            # half over the day before, half in the last hour (the signals' window)
            if n == 150:
                at = max(at, now - timedelta(minutes=55))
            at += timedelta(seconds=rng.randint(1, 1300) if n < 150 else rng.randint(1, 20))
            account = "a" if rng.random() < 0.8 else "b"
            d = _disclosure(rng, account)
            window.record(conn, d, COUNTED, at)
            batch = session.scalar(
                select(WatchDisclosure.batch).order_by(WatchDisclosure.id.desc()).limit(1)
            )
            assert batch is not None
            if account == "a":
                kept += [(at, row) for row in _rows(d, batch)]
    return kept


def _expected(
    kept: list[tuple[datetime, WindowRow]], asked: list[str], hour: datetime, day: datetime
) -> Window:
    in_hour = [r for at, r in kept if at >= hour]
    in_day = [r for at, r in kept if at >= day]
    return Window.from_rows(in_hour, COUNTED, asked, day_rows=in_day)


def test_the_bounded_read_equals_the_window_defined_from_every_row(runtime: Runtime) -> None:
    now = datetime.now(UTC)
    kept = _fill(runtime, seed=11, now=now)
    rng = random.Random(12)  # nosec B311 - test data
    assert {r.kind for _, r in kept} == set(KINDS)
    cut_offs = [
        (now - timedelta(hours=1), now - timedelta(days=1)),
        # after a lift, both windows start at the lift
        (now - timedelta(minutes=40), now - timedelta(minutes=40)),
        (now - timedelta(hours=5), now - timedelta(hours=20)),
    ]
    with runtime.db.transaction(write=False) as session:
        conn = session.connection()
        for hour, day in cut_offs:
            for asked in ([], rng.sample(POOL, 5), [*POOL, "never-seen"]):
                got = window.read(conn, "a", asked, hour, day)
                assert got == _expected(kept, asked, hour, day)
            charged = sorted({r.record_id for at, r in kept if at >= hour and r.charged(COUNTED)})
            assert window.charged_in_hour(conn, "a", hour, 1000) == charged
            assert window.charged_in_hour(conn, "a", hour, 3) == charged[:3]


def test_the_window_is_not_empty_where_it_matters(runtime: Runtime) -> None:
    """The equality above is not vacuous: the data gives every part of the window a value."""
    now = datetime.now(UTC)
    kept = _fill(runtime, seed=11, now=now)
    w = _expected(kept, POOL, now - timedelta(hours=1), now - timedelta(days=1))
    assert w.opens and w.listed and w.searches and w.exports
    assert 0 < w.charged_hour.count < w.charged_day.count
    assert w.outside_hour.count and w.photos_hour.count


def test_an_account_repeating_one_search_holds_one_fact_row_per_record(runtime: Runtime) -> None:
    now = datetime.now(UTC)
    d = Disclosure(_actor("a"), "person", tuple(POOL[:20]), None, kind="list")
    with runtime.db.transaction() as session:
        for n in range(50):
            window.record(session.connection(), d, COUNTED, now - timedelta(seconds=50 - n))
    with runtime.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(WatchSeen)) == 20
        w = window.read(
            session.connection(), "a", [], now - timedelta(hours=1), now - timedelta(days=1)
        )
    assert w.charged_hour.count == w.charged_day.count == 20 and w.searches == 50


def test_pruning_drops_old_facts_with_old_rows(runtime: Runtime) -> None:
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=1) - PRUNE_MARGIN - timedelta(minutes=5), now
    with runtime.db.transaction() as session:
        conn = session.connection()
        window.record(conn, Disclosure(_actor("a"), "person", ("old",), None), COUNTED, old)
        window.record(conn, Disclosure(_actor("a"), "person", ("new",), None), COUNTED, recent)
    with runtime.db.transaction() as session:
        assert prune(session, now) == 1
    with runtime.db.transaction(write=False) as session:
        assert list(session.scalars(select(WatchSeen.record_id))) == ["new"]
        assert list(session.scalars(select(WatchDisclosure.record_id))) == ["new"]


def test_the_hours_opens_are_the_latest_few_with_their_listings(runtime: Runtime) -> None:
    now = datetime.now(UTC)
    ids = [f"open-{n:03d}" for n in range(window.OPENS_CAP + 20)]
    rows: list[WindowRow] = []
    with runtime.db.transaction() as session:
        conn = session.connection()
        listing = Disclosure(_actor("a"), "person", tuple(ids), None, kind="list")
        window.record(conn, listing, COUNTED, now - timedelta(minutes=30))
        (batch,) = set(session.scalars(select(WatchDisclosure.batch)))
        rows += [WindowRow(rid, "list", batch, n, False) for n, rid in enumerate(ids)]
        for n, rid in enumerate(ids):
            at = now - timedelta(minutes=20) + timedelta(seconds=n)
            d = Disclosure(_actor("a"), "person", (rid,), None, order_buckets=(n % 676,))
            window.record(conn, d, COUNTED, at)
            rows.append(WindowRow(rid, "record", f"b{n}", 0, False, False, n % 676))
    with runtime.db.transaction(write=False) as session:
        got = window.read(
            session.connection(), "a", ["open-000"], now - timedelta(hours=1), now - DAY_AGO
        )
    assert got == Window.from_rows(rows, COUNTED, ["open-000"])
    assert [o.record_id for o in got.opens] == ids[-window.OPENS_CAP :]
    assert got.listed["open-000"] == (batch, 0) and got.listed[ids[-1]] == (batch, len(ids) - 1)
