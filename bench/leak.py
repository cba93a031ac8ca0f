"""Leak trace hit rate: does `kotwal leak trace` name the right copy and rank the right account
first for 20-row samples drawn through different accounts and copies, after reformatting?

Builds a temporary SQLite instance (or the PostgreSQL database given by --database-url, which
it empties of nothing: use a scratch database): four stations with --persons synthetic persons
each, primary decoys, a sub-inspector and a station house officer per station, and background
work (other officers reading some of the same records). Then, for each sample, in turn:

- api: a sub-inspector reads 25 records of their station through the records service (the
  same service and gate the API calls) and 20 of them leak; the copy is the primary;
- export: a station house officer exports their station (a new export copy with its own
  decoys) and 20 rows of the file leak; the copy is that export.

Each leak is reformatted (kotwal.leak.samples: columns dropped and reordered under other header
words, case changed, names cut short or to initials, phones reformatted, some values changed,
CSV/JSON/text) and traced. A sample hits when the copy named is the one it came from and the
account ranked first is the one that took it. Backups are measured apart (--backups N, SQLite
only): the copy alone can be right there, and only when a backup decoy is in the sample.

    .venv/bin/python bench/leak.py [--samples 24] [--persons 150] [--backups 4] [--seed 1]

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sqlite3
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyotp
from sqlalchemy import select

import scaffold
from kotwal.core import identity
from kotwal.core.config import Settings
from kotwal.core.db import new_id
from kotwal.core.jurisdictions import create_jurisdiction
from kotwal.core.keys import load_keys
from kotwal.core.migrate import upgrade
from kotwal.core.policy import Actor, JurisdictionKind, Role
from kotwal.core.runtime import Runtime, open_runtime
from kotwal.core.uow import UnitOfWork
from kotwal.decoys import service as decoys
from kotwal.decoys.backup import create_backup
from kotwal.decoys.generator import fake_person
from kotwal.decoys.models import DecoyCopy
from kotwal.leak.samples import leaked_sample
from kotwal.leak.service import trace
from kotwal.records.exporter import export_persons
from kotwal.records.models import Person
from kotwal.records.schemas import PersonCreate
from kotwal.records.service import file_person, read_person

SEEDER = Actor(account_id=None, username="cli:bench-seed")
PURPOSE = "FIR BENCH/2026/0001 review of station records"


def _tree(runtime: Runtime) -> tuple[str, list[tuple[str, str, str]]]:
    """The root path and (id, code, path) of four stations."""
    with UnitOfWork(runtime, write=True) as uow:

        def add(code: str, kind: JurisdictionKind, parent: str | None) -> Any:
            return create_jurisdiction(
                uow, SEEDER, code=code, name=f"{code} (bench)", kind=kind, parent_id=parent
            )

        state = add("TS-B", JurisdictionKind.STATE, None)
        zone = add("Z1", JurisdictionKind.ZONE, state.id)
        stations = [add(f"PS-{n}", JurisdictionKind.STATION, zone.id) for n in range(1, 5)]
        return state.path, [(s.id, s.code, s.path) for s in stations]


def _actor(runtime: Runtime, role: Role, station: str) -> Actor:
    with UnitOfWork(runtime, write=True) as uow:
        account, _ = identity.create_account(
            uow,
            SEEDER,
            username=f"b{new_id()[:8]}",
            display_name="bench officer",
            roles=frozenset({role}),
            jurisdiction_id=station,
        )
        account.must_change_password = False
        account.totp_secret = pyotp.random_base32()  # set-up finished; never used to log in
        uow.session.flush()
        actor = identity.actor_for(uow.session, account, None, "bench")
    # A session of its own, as a login would give it: the trace ranks accounts and sessions.
    return Actor(
        account_id=actor.account_id,
        username=actor.username,
        roles=actor.roles,
        jurisdiction_paths=actor.jurisdiction_paths,
        session_id=new_id(),
    )


def _seed(
    runtime: Runtime, root: str, stations: list[tuple[str, str, str]], n: int, rng: random.Random
) -> None:
    hq = Actor(
        account_id=None,
        username="cli:bench-seed",
        roles=frozenset({Role.STATE_HQ}),
        jurisdiction_paths=(root,),
    )
    with UnitOfWork(runtime, write=True) as uow:
        for station_id, _, _ in stations:
            for _ in range(n):
                fake = fake_person(rng, phone_prefix="9")
                body = {**fake.as_dict(), "station_id": station_id}
                file_person(uow, hq, PersonCreate.model_validate(body))
        decoys.plant(uow, SEEDER, count=20)


def _records_at(runtime: Runtime, station_id: str) -> list[str]:
    with UnitOfWork(runtime, write=False) as uow:
        planted = {
            str(e["record_id"]) for e in decoys.register_contents(uow.session, decoys.PRIMARY)
        }
        ids = uow.session.execute(select(Person.id).where(Person.station_id == station_id))
        return [i for i in ids.scalars() if i not in planted]


def _read(
    runtime: Runtime, actor: Actor, ids: list[str], codes: dict[str, str]
) -> list[dict[str, Any]]:
    rows = []
    with UnitOfWork(runtime, write=False) as uow:
        for person_id in ids:
            record = read_person(uow, actor, person_id, None)
            record["station_code"] = codes.get(record["station_id"], "")
            rows.append(record)
    return rows


def _export(runtime: Runtime, actor: Actor) -> tuple[list[dict[str, str]], str]:
    out = io.StringIO()
    with UnitOfWork(runtime, write=False) as uow:
        export_persons(uow, actor, out, station_code=None, purpose=PURPOSE)
    with UnitOfWork(runtime, write=False) as uow:
        stmt = (
            select(DecoyCopy.id)
            .where(DecoyCopy.kind == "export", DecoyCopy.created_by == actor.account_id)
            .order_by(DecoyCopy.created_at.desc())
            .limit(1)
        )
        copy_id = str(uow.session.execute(stmt).scalar_one())
    return list(csv.DictReader(io.StringIO(out.getvalue()))), copy_id


def _backup_rows(runtime: Runtime, path: Path) -> list[dict[str, Any]]:
    """What a thief holding the backup file and the keys would dump from it."""
    from kotwal.core.db import Database

    copy = Database(f"sqlite:///{path}")
    other = Runtime(
        settings=runtime.settings, db=copy, keyring=runtime.keyring, committer=runtime.committer
    )
    rows = []
    with UnitOfWork(other, write=False) as uow:
        from kotwal.core.crypto import open_field

        for person in uow.session.execute(select(Person)).scalars():
            rows.append(
                {
                    "name": person.name,
                    "father_name": person.father_name,
                    "birth_year": person.birth_year,
                    "sex": person.sex,
                    "phone": open_field(uow.session, person, "phone"),
                }
            )
    copy.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=24)
    parser.add_argument("--persons", type=int, default=150, help="persons per station")
    parser.add_argument("--backups", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--verbose", action="store_true", help="print the samples that miss")
    parser.add_argument("--database-url", default=None, help="a scratch database; default SQLite")
    args = parser.parse_args()
    rng = random.Random(args.seed)  # nosec B311 - synthetic data
    with scaffold.scratch_data_dir() as data:
        settings = Settings(data_dir=data, database_url=args.database_url, watch_enabled=False)
        runtime = open_runtime(settings, keyring=load_keys(settings))
        try:
            upgrade(runtime.db.engine)
            result = _run(runtime, args, rng, data.parent)
        finally:
            runtime.close()
    print(json.dumps(result))


def _run(
    runtime: Runtime, args: argparse.Namespace, rng: random.Random, tmp: Path
) -> dict[str, Any]:
    root, stations = _tree(runtime)
    codes = {sid: code for sid, code, _ in stations}
    _seed(runtime, root, stations, args.persons, rng)
    readers = {sid: _actor(runtime, Role.SUB_INSPECTOR, sid) for sid, _, _ in stations}
    shos = {sid: _actor(runtime, Role.STATION_HOUSE_OFFICER, sid) for sid, _, _ in stations}
    colleagues = {sid: _actor(runtime, Role.HEAD_CONSTABLE, sid) for sid, _, _ in stations}
    hits: Counter[str] = Counter()
    took: list[float] = []
    kinds = ["api", "export"]
    for n in range(args.samples):
        kind = kinds[n % 2]
        station_id, code, _ = stations[(n // 2) % len(stations)]
        records = _records_at(runtime, station_id)
        # Background: a colleague's honest reads of some of the same records.
        _read(runtime, colleagues[station_id], rng.sample(records, 8), codes)
        if kind == "api":
            taker = readers[station_id]
            rows = _read(runtime, taker, rng.sample(records, 25), codes)
            expected = decoys.PRIMARY
        else:
            taker = shos[station_id]
            rows, expected = _export(runtime, taker)
        data, style = leaked_sample(rows, rng)
        started = time.perf_counter()
        report = trace(runtime, SEEDER, data)
        took.append((time.perf_counter() - started) * 1000)
        copy_ok = report.copy.copy_id == expected
        account_ok = bool(report.accounts) and report.accounts[0].account_id == taker.account_id
        hits[f"{kind}:copy"] += copy_ok
        hits[f"{kind}:account"] += account_ok
        hits["both"] += copy_ok and account_ok
        hits[f"basis:{report.copy.basis}"] += 1
        if not (copy_ok and account_ok) and args.verbose:
            print(data.decode()[:400])
        print(
            f"{n + 1:3d} {kind:6s} {code} {style:12s} matched {report.matched:2d}/{report.rows} "
            f"decoys {len(report.decoys)} copy {'ok' if copy_ok else 'WRONG'} "
            f"({report.copy.basis}) account {'ok' if account_ok else 'WRONG'}"
        )
    backups = _backups(runtime, args, rng, tmp) if args.database_url is None else {}
    per = max(1, args.samples // 2)
    return {
        "samples": args.samples,
        "persons": args.persons * len(stations),
        "hit_rate": round(hits["both"] / args.samples, 3),
        "copy_hit_rate": round((hits["api:copy"] + hits["export:copy"]) / args.samples, 3),
        "account_hit_rate": round((hits["api:account"] + hits["export:account"]) / args.samples, 3),
        "api": {"copy": hits["api:copy"] / per, "account": hits["api:account"] / per},
        "export": {"copy": hits["export:copy"] / per, "account": hits["export:account"] / per},
        "copy_basis": {k[6:]: v for k, v in hits.items() if k.startswith("basis:")},
        "trace_ms_p50": round(statistics.median(took), 1),
        "trace_ms_max": round(max(took), 1),
        "backups": backups,
    }


def _backups(
    runtime: Runtime, args: argparse.Namespace, rng: random.Random, tmp: Path
) -> dict[str, Any]:
    named = with_decoy = 0
    for n in range(args.backups):
        report = create_backup(runtime, SEEDER, tmp / f"backup-{n}.db")
        rows = _backup_rows(runtime, report.path)
        data, _ = leaked_sample(rows, rng)
        traced = trace(runtime, SEEDER, data)
        with_decoy += any(d["copy_id"] == report.copy_id for d in traced.decoys)
        named += traced.copy.copy_id == report.copy_id
        sqlite3.connect(report.path).close()
    return {"samples": args.backups, "copy_named": named, "sample_held_a_backup_decoy": with_decoy}


if __name__ == "__main__":
    main()
