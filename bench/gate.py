"""End-to-end audited disclosures: officers reading pages of person records through the gate.

Each client thread acts as a request handler: it opens a read unit of work, loads a page of
persons, passes them through ``core.gate.disclose`` (policy, bulk decryption of the released
confidential fields, one audit event per record) and commits, which returns only when the
page's audit events are durable (group commit). Run on SQLite and on PostgreSQL.

    .venv/bin/python bench/gate.py [--clients 8] [--seconds 6] [--persons 2000] [--page 20]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

import scaffold
from kotwal.core.config import Settings
from kotwal.core.gate import disclose
from kotwal.core.keys import load_keys
from kotwal.core.migrate import upgrade
from kotwal.core.policy import Actor, Role
from kotwal.core.runtime import Runtime, open_runtime
from kotwal.core.uow import UnitOfWork
from kotwal.records.models import Person
from kotwal.records.schemas import PersonCategory, PersonCreate
from kotwal.records.service import create_person


def _seed(runtime: Runtime, persons: int) -> Actor:
    station = scaffold.station(runtime)
    officer = Actor(
        account_id=str(uuid.uuid4()),
        username="si.bench",
        roles=frozenset({Role.SUB_INSPECTOR}),
        jurisdiction_paths=(station.path,),
    )
    rng = random.Random(7)
    writer = Actor(officer.account_id, "si.bench", officer.roles, officer.jurisdiction_paths)
    for start in range(0, persons, 500):
        with UnitOfWork(runtime, write=True) as uow:
            for i in range(start, min(start + 500, persons)):
                create_person(
                    uow,
                    writer,
                    PersonCreate(
                        name=f"Synthetic Person {i}",
                        category=PersonCategory.OFFENDER,
                        station_id=station.id,
                        phone=f"90000{rng.randrange(100000):05d}",
                        address=f"H.No. {i}, Synthetic Colony",
                    ),
                )
    return officer


def _measure(
    runtime: Runtime, officer: Actor, clients: int, seconds: float, page: int
) -> dict[str, Any]:
    with runtime.db.transaction(write=False) as s:
        ids = list(s.execute(select(Person.id)).scalars())
    counts = [0] * clients
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        rng = random.Random(n)
        while time.monotonic() < stop:
            with UnitOfWork(runtime, write=False) as uow:
                chosen = rng.sample(ids, page)
                rows = list(
                    uow.session.execute(select(Person).where(Person.id.in_(chosen))).scalars()
                )
                shown = disclose(uow, officer, None, rows)
                assert all(isinstance(r["phone"], str) for r in shown)
            counts[n] += len(rows)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    total = sum(counts)
    return {
        "disclosures": total,
        "per_s": round(total / elapsed),
        "pages_per_s": round(total / page / elapsed),
    }


def _run(url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings(data_dir=data_dir, database_url=url)
    keyring = load_keys(settings)
    runtime = open_runtime(settings, keyring=keyring)
    try:
        upgrade(runtime.db.engine)
        officer = _seed(runtime, args.persons)
        return _measure(runtime, officer, args.clients, args.seconds, args.page)
    finally:
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--page", type=int, default=20)
    args = parser.parse_args()
    figures: dict[str, object] = {
        "cores": os.cpu_count(),
        "clients": args.clients,
        "page": args.page,
    }
    with scaffold.scratch_data_dir() as data:
        sqlite = _run(f"sqlite:///{data / 'bench.db'}", data, args)
        print(f"SQLite:     {sqlite['per_s']:,} disclosures/s ({sqlite['pages_per_s']:,} pages/s)")
        with scaffold.scratch_postgres("gate") as url:
            pg = _run(url, data, args)
        print(f"PostgreSQL: {pg['per_s']:,} disclosures/s ({pg['pages_per_s']:,} pages/s)")
    figures |= {
        "gate_disclosures_per_s_sqlite": sqlite["per_s"],
        "gate_disclosures_per_s_postgresql": pg["per_s"],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
