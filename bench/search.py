"""Person search latency at demo scale: how long an officer waits for a name search.

Seeds the synthetic demo dataset (``kotwal.demo``) into a temporary SQLite database, then runs
name searches through the service (candidate keys, scoring, the gate, the audit event) as a
sub-inspector and as a district chief, and phone lookups. Prints p50/p95/max in milliseconds;
the last line is one JSON object.

    .venv/bin/python bench/search.py [--size 20000] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Callable

import scaffold
from kotwal import demo
from kotwal.core.config import Settings
from kotwal.core.jurisdictions import by_code
from kotwal.core.keys import load_keys
from kotwal.core.migrate import upgrade
from kotwal.core.policy import Actor, Role
from kotwal.core.runtime import Runtime, open_runtime
from kotwal.core.uow import UnitOfWork
from kotwal.records.service import find_by_phone, search_by_name

# A table of data, aligned by hand: it reads better in rows than one item a line.
VARIANTS = ["Sreenivas", "Shrinivas Kommu", "Reddy Srinivas", "Laxmi", "Venkateshwarlu",
            "Mohd Imran", "K. Ravi Kumar", "Ravikumar Bandi", "శ్రీనివాస్", "Sravani Goud"]  # fmt: skip


def _actor(runtime: Runtime, code: str, role: Role) -> Actor:
    with UnitOfWork(runtime, write=False) as uow:
        node = by_code(uow, code)
        assert node is not None
        return Actor(
            account_id=None,
            username=f"bench.{role.value}",
            roles=frozenset({role}),
            jurisdiction_paths=(node.path,),
        )


def _time(runtime: Runtime, call: Callable[[UnitOfWork], object], n: int) -> list[float]:
    took: list[float] = []
    for _ in range(n):
        started = time.perf_counter()
        with UnitOfWork(runtime, write=False) as uow:
            call(uow)
        took.append((time.perf_counter() - started) * 1000)
    return took


def _summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 1),
        "max_ms": round(ordered[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(11)
    with scaffold.scratch_data_dir() as data:
        settings = Settings(data_dir=data)
        runtime = open_runtime(settings, keyring=load_keys(settings))
        try:
            upgrade(runtime.db.engine)
            started = time.perf_counter()
            stations = demo.build_tree(runtime)
            demo.seed_persons(runtime, stations, args.size, seed=2026)
            seeded = time.perf_counter() - started
            si = _actor(runtime, "HYD-PS-01", Role.SUB_INSPECTOR)
            dcp = _actor(runtime, "HYD-D", Role.DISTRICT_CHIEF)
            per = max(1, args.queries // 2)
            name_si = _time(
                runtime, lambda u: search_by_name(u, si, rng.choice(VARIANTS), None), per
            )
            name_dcp = _time(
                runtime, lambda u: search_by_name(u, dcp, rng.choice(VARIANTS), None), per
            )
            phone = _time(
                runtime,
                lambda u: find_by_phone(u, dcp, f"90000{rng.randrange(100000):05d}", None),
                per,
            )
        finally:
            runtime.close()
    figures = {
        "cores": os.cpu_count(),
        "persons": args.size,
        "seed_seconds": round(seeded, 1),
        "name_search_si": _summary(name_si),
        "name_search_district_chief": _summary(name_dcp),
        "phone_lookup": _summary(phone),
        "store": "sqlite",
    }
    print(f"seeded {args.size:,} persons in {seeded:.1f} s")
    for key in ("name_search_si", "name_search_district_chief", "phone_lookup"):
        print(f"{key:28s} {figures[key]}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
