"""The disclosure budget's cost as an account's day fills up: one officer repeats one search.

The budget is judged on every disclosure, inside the audit group commit's transaction that
every read committing at that moment shares, so its cost is paid by everyone. This script
charges one account the same ``--hits``-record listing ``--searches`` times (each charge in its
own write transaction, as a read's audit commit runs it: the judge, the rows it records, the
commit), on SQLite and on PostgreSQL, and prints the milliseconds per charge over the first
and the last 100 charges. A judge whose cost follows what the account has already received
shows it here: before the window was bounded (migration 0014) the same repeated search went
from 52 ms to 450 ms a request over HTTP.

    .venv/bin/python bench/watch.py [--searches 1000] [--hits 50]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import scaffold
from kotwal.core import identity
from kotwal.core.config import Settings
from kotwal.core.keys import load_keys
from kotwal.core.migrate import upgrade
from kotwal.core.observers import Disclosure
from kotwal.core.policy import Actor, Role
from kotwal.core.runtime import Runtime, open_runtime
from kotwal.core.uow import UnitOfWork
from kotwal.watch import config as watch_config
from kotwal.watch.config import Budget
from kotwal.watch.service import judge
from scaffold import SYSTEM, scratch_postgres, state_and_station

EDGE = 100  # charges averaged at the start and at the end


def _officer(runtime: Runtime) -> Actor:
    with UnitOfWork(runtime, write=True) as uow:
        station = state_and_station(uow)
        account, _ = identity.create_account(
            uow,
            SYSTEM,
            username="si.watch.bench",
            display_name="bench sub-inspector",
            roles=frozenset({Role.SUB_INSPECTOR}),
            jurisdiction_id=station.id,
        )
        return Actor(
            account.id,
            account.username,
            frozenset({Role.SUB_INSPECTOR}),
            jurisdiction_paths=(station.path,),
        )


def _run(url: str, data: Path, searches: int, hits: int) -> dict[str, float]:
    settings = Settings(data_dir=data, database_url=url)
    runtime = open_runtime(settings, keyring=load_keys(settings))
    try:
        upgrade(runtime.db.engine)
        officer = _officer(runtime)
        # Out of reach, so that every charge is released and recorded: this measures the
        # judge's cost, not where the budget stops a scraper.
        huge = Budget(10**8, 10**8, 10**8, 10**8)
        cfg = dataclasses.replace(watch_config.load(settings), budgets=dict.fromkeys(Role, huge))
        ids = tuple(str(uuid.uuid4()) for _ in range(hits))
        listing = Disclosure(officer, "person", ids, None, kind="list")
        ms: list[float] = []
        for n in range(searches):
            start = time.perf_counter()
            with runtime.db.transaction(write=True) as session:
                verdict = judge(session, cfg, listing, datetime.now(UTC))
            ms.append((time.perf_counter() - start) * 1000)
            assert verdict.release, verdict.problem
            if (n + 1) % 250 == 0:
                print(f"  {n + 1:,} searches, last {statistics.fmean(ms[-EDGE:]):.2f} ms")
        return {
            "first_ms": round(statistics.fmean(ms[:EDGE]), 2),
            "last_ms": round(statistics.fmean(ms[-EDGE:]), 2),
        }
    finally:
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--hits", type=int, default=50)
    args = parser.parse_args()
    if args.searches < 2 * EDGE or args.hits < 1:
        parser.error(f"give --searches of at least {2 * EDGE} and --hits of at least 1")
    figures: dict[str, object] = {
        "cores": os.cpu_count(),
        "searches": args.searches,
        "hits": args.hits,
    }
    with scaffold.scratch_data_dir() as data:
        print("SQLite:")
        figures["sqlite"] = sqlite = _run(f"sqlite:///{data / 'bench.db'}", data, **_a(args))
        print(f"SQLite: {sqlite['first_ms']} ms a charge at first, {sqlite['last_ms']} at last")
        with scratch_postgres("watch") as url:
            print("PostgreSQL:")
            figures["postgresql"] = pg = _run(url, data, **_a(args))
        print(f"PostgreSQL: {pg['first_ms']} ms a charge at first, {pg['last_ms']} at last")
    print(json.dumps(figures))


def _a(args: argparse.Namespace) -> dict[str, int]:
    return {"searches": args.searches, "hits": args.hits}


if __name__ == "__main__":
    main()
