"""The disclosure window keeps a day's rows: older ones are pruned (the audit log keeps every
disclosure), by itself every so many charges."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from kotwal.core.config import Settings
from kotwal.core.observers import Disclosure
from kotwal.core.policy import Actor, Role
from kotwal.core.runtime import Runtime
from kotwal.watch import config as watch_config
from kotwal.watch.models import WatchDisclosure
from kotwal.watch.service import judge, prune
from tests.factories import World, make_officer


def _row(account_id: str, record_id: str, at: datetime) -> dict[str, object]:
    return {
        "account_id": account_id,
        "session_id": None,
        "batch": "b-" + record_id,
        "at": at,
        "kind": "record",
        "resource_type": "person",
        "record_id": record_id,
        "position": 0,
        "out_of_jurisdiction": False,
        "public_only": False,
    }


def _left(runtime: Runtime) -> list[str]:
    with runtime.db.transaction(write=False) as session:
        return sorted(session.scalars(select(WatchDisclosure.record_id)))


def test_pruning_deletes_only_rows_older_than_a_day_and_its_margin(
    runtime: Runtime, world: World
) -> None:
    who = make_officer(runtime, Role.CONSTABLE, posting=world.station_a).account_id
    now = datetime.now(UTC)
    with runtime.db.transaction() as session:
        session.execute(
            insert(WatchDisclosure),
            [
                _row(who, "two-days-old", now - timedelta(days=2)),
                _row(who, "a-day-and-a-half-hour", now - timedelta(days=1, minutes=30)),
                _row(who, "an-hour-old", now - timedelta(hours=1)),
            ],
        )
    with runtime.db.transaction() as session:
        assert prune(session, now) == 1
    assert _left(runtime) == ["a-day-and-a-half-hour", "an-hour-old"]


def test_charges_prune_the_window_by_themselves(
    runtime: Runtime, settings: Settings, world: World
) -> None:
    officer = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    now = datetime.now(UTC)
    with runtime.db.transaction() as session:
        session.execute(
            insert(WatchDisclosure), [_row(officer.account_id, "old", now - timedelta(days=3))]
        )
    cfg = dataclasses.replace(watch_config.load(settings), prune_every=1)
    actor = Actor(
        account_id=officer.account_id,
        username=officer.username,
        roles=frozenset({Role.CONSTABLE}),
        jurisdiction_paths=(),
    )
    disclosure = Disclosure(actor=actor, resource_type="person", record_ids=("new",), purpose=None)
    with runtime.db.transaction() as session:
        assert judge(session, cfg, disclosure, now).release
    assert _left(runtime) == ["new"]
