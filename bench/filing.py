"""Filing persons in bulk: how fast the demo seeds and the CSV importer files, per store.

Builds the demo's jurisdiction tree in a fresh SQLite file and a fresh PostgreSQL database,
then times (1) ``kotwal.demo.seed_persons`` (sealing, blind index, name keys, audit events,
one transaction per batch) and (2) ``kotwal.records.importer.import_persons`` on a CSV of
synthetic persons (check every row, then file them all in one transaction), and, where the
demo has them, the history sheet and case seeders. Prints rows per second (wall clock, so a
busy machine shows less) and this process's CPU time per row (the database server's, for
PostgreSQL, is not in it); the last line is one JSON object.

    .venv/bin/python bench/filing.py [--persons 10000] [--import-rows 5000] [--only sqlite]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from kotwal import demo
from kotwal.core.config import Settings
from kotwal.core.keys import load_keys
from kotwal.core.migrate import upgrade
from kotwal.core.policy import Actor, Jurisdiction, Role
from kotwal.core.runtime import Runtime, open_runtime
from kotwal.core.uow import UnitOfWork
from kotwal.records.importer import COLUMNS, ImportLimits, import_persons
from scaffold import scratch_data_dir, scratch_postgres


def _csv(runtime: Runtime, stations: list[str], rows: int) -> bytes:
    with UnitOfWork(runtime, write=False) as uow:
        rows_ = uow.session.execute(
            select(Jurisdiction.id, Jurisdiction.code).where(Jurisdiction.id.in_(stations))
        )
        codes = {str(i): str(c) for i, c in rows_}
    rng = random.Random(99)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for n in range(rows):
        p = demo.synthetic_person(rng, stations[n % len(stations)], n)
        writer.writerow(
            [
                p.name + f" {n}",
                p.name_te or "",
                p.father_name or "",
                ";".join(p.aliases),
                p.sex.value,
                p.birth_year or "",
                p.marks or "",
                p.category.value,
                p.status.value,
                codes[p.station_id],
                f"8{n:09d}" if p.phone else "",
                p.address or "",
            ]
        )
    return out.getvalue().encode()


def _run(url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings(data_dir=data_dir, database_url=url)
    runtime = open_runtime(settings, keyring=load_keys(settings))
    figures: dict[str, Any] = {}
    try:
        upgrade(runtime.db.engine)
        stations = demo.build_tree(runtime)
        started, cpu = time.perf_counter(), time.process_time()
        demo.seed_persons(runtime, stations, args.persons, seed=2026)
        took = time.perf_counter() - started
        figures["demo_persons_per_s"] = round(args.persons / took)
        figures["demo_person_client_cpu_us"] = round(
            (time.process_time() - cpu) / args.persons * 1e6
        )
        for name in ("seed_history_sheets", "seed_cases"):
            seeder = getattr(demo, name, None)
            if seeder is None:
                continue
            started = time.perf_counter()
            made = seeder(runtime, seed=2026)
            figures[f"{name}_per_s"] = round(made / (time.perf_counter() - started))
        data = _csv(runtime, stations, args.import_rows)
        hq = Actor(
            account_id=None,
            username="bench:import",
            roles=frozenset({Role.STATE_HQ}),
            jurisdiction_paths=demo._root_path(runtime),
        )
        started, cpu = time.perf_counter(), time.process_time()
        with UnitOfWork(runtime, write=True) as uow:
            report = import_persons(uow, hq, io.BytesIO(data), limits=ImportLimits())
        took = time.perf_counter() - started
        assert report.created == args.import_rows
        figures["import_rows_per_s"] = round(args.import_rows / took)
        figures["import_row_client_cpu_us"] = round(
            (time.process_time() - cpu) / args.import_rows * 1e6
        )
    finally:
        runtime.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--import-rows", type=int, default=5_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    figures: dict[str, Any] = {
        "cores": os.cpu_count(),
        "persons": args.persons,
        "import_rows": args.import_rows,
    }
    with scratch_data_dir() as data:
        if args.only in (None, "sqlite"):
            figures["sqlite"] = _run(f"sqlite:///{data / 'bench.db'}", data, args)
            print("SQLite:    ", figures["sqlite"])
        if args.only in (None, "postgresql"):
            with scratch_postgres("filing") as url:
                figures["postgresql"] = _run(url, data, args)
            print("PostgreSQL:", figures["postgresql"])
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
