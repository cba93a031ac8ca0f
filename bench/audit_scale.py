"""The audit log at a state's scale on PostgreSQL, partitioned by month (migration 0035).

Seeds ``--events`` events (default 2,000,000) spread evenly over the last ``--months`` months,
through the writer's own ``append`` (hash chain and per-event MAC) in large transactions with a
signed checkpoint every 10,000 events, into a scratch database (``KOTWAL_BENCH_POSTGRES_URL``,
default the local server) dropped afterwards. Then measures:

- seeding: events per second and bytes on disk per event (table and indexes, all partitions);
- ``kotwal audit verify`` in full: events per second (target >= 200,000/s);
- ``--incremental`` after ``--tail`` more events: seconds (what an hourly run costs);
- the extrapolation to 50,000,000 events (the issue's figure), linear in the events: a
  projection from the measured rates, not a measurement.

The last line printed is one JSON object with the figures.

    .venv/bin/python bench/audit_scale.py [--events 2000000] [--months 12] [--tail 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from kotwal.core import audit
from kotwal.core.audit import AuditEvent, Outcome
from kotwal.core.audit_partitions import ensure_months, partitions
from kotwal.core.config import Settings
from kotwal.core.crypto import bind_keyring
from kotwal.core.db import Database
from kotwal.core.keys import KeyRing, generate_keys, load_keys
from kotwal.core.migrate import upgrade
from scaffold import scratch_postgres

TARGET_EVENTS = 50_000_000
BATCH = 10_000


def _events(first: int, n: int, start_us: int, step_us: int) -> list[AuditEvent]:
    return [
        AuditEvent(
            action="record.disclose",
            outcome=Outcome.SUCCESS,
            actor_id=str(uuid.UUID(int=(first + i) % 60_000)),
            actor_name=f"si.{(first + i) % 60_000}",
            session_id=str(uuid.UUID(int=10**9 + (first + i) % 60_000)),
            resource_type="person",
            resource_id=str(uuid.UUID(int=first + i)),
            client_addr="10.0.0.1",
            detail={"out_of_jurisdiction": False, "masked_fields": 0},
            at_us=start_us + (first + i) * step_us,
        )
        for i in range(n)
    ]


def seed(db: Database, keyring: KeyRing, total: int, start_us: int, step_us: int) -> float:
    """Append ``total`` events, 100,000 a transaction, a checkpoint every 10,000; seconds."""
    started = time.perf_counter()
    written = 0
    while written < total:
        n = min(100_000, total - written)
        with db.transaction(write=True) as session:
            bind_keyring(session, keyring)
            for offset in range(0, n, BATCH):
                k = min(BATCH, n - offset)
                audit.append(session, _events(written + offset, k, start_us, step_us))
                audit.checkpoint(session, keyring)
        written += n
        if written % 500_000 == 0:
            print(f"  seeded {written:,} events", flush=True)
    return time.perf_counter() - started


def disk_bytes(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(
            conn.exec_driver_sql(
                "SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits "
                "WHERE inhparent = 'audit_events'::regclass"
            ).scalar_one()
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--tail", type=int, default=10_000)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    now_us = int(datetime.now(UTC).timestamp() * 1_000_000)
    span_us = args.months * 30 * 86_400 * 1_000_000
    step_us = max(span_us // args.events, 1)
    start_us = now_us - span_us

    with (
        tempfile.TemporaryDirectory(prefix="kotwal-bench-") as tmp,
        scratch_postgres("ascale") as url,
    ):
        data = Path(tmp) / "data"
        data.mkdir(mode=0o700)
        generate_keys(data / "keys")
        keyring = load_keys(Settings(data_dir=data))
        db = Database(url)
        upgrade(db.engine)
        with db.engine.begin() as conn:  # as `kotwal audit partitions` would have, monthly
            ensure_months(conn, datetime.fromtimestamp(start_us / 1e6, UTC).date(), args.months)
        print(
            f"audit scale bench: {os.cpu_count()} cores, load {load:.1f}, "
            f"{args.events:,} events over {args.months} months",
            flush=True,
        )
        seed_s = seed(db, keyring, args.events, start_us, step_us)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE audit_events")
            conn.commit()
            used = [p for p in partitions(conn) if p.events]
        size = disk_bytes(db)
        print(
            f"  seeded in {seed_s:.1f} s ({args.events / seed_s:,.0f} events/s), "
            f"{len(used)} partitions hold events, {size / args.events:,.0f} bytes/event",
            flush=True,
        )

        started, cpu = time.perf_counter(), time.process_time()
        full = audit.verify(db.engine, keyring.audit_public, mac_key=keyring.audit_mac_key)
        full_s, full_cpu = time.perf_counter() - started, time.process_time() - cpu
        if not full.ok or full.events_checked != args.events:
            raise SystemExit(f"verification failed on a sound log: {full.describe()}")
        rate, cpu_rate = args.events / full_s, args.events / full_cpu
        print(
            f"  full verify: {full_s:.1f} s, {rate:,.0f} events/s wall; the verifier's own CPU "
            f"{full_cpu:.1f} s, {cpu_rate:,.0f} events per CPU second",
            flush=True,
        )

        seed(db, keyring, args.tail, now_us, 1)
        started = time.perf_counter()
        step = audit.verify(
            db.engine, keyring.audit_public, mac_key=keyring.audit_mac_key, after=full.verified_upto
        )
        step_s = time.perf_counter() - started
        if not step.ok:
            raise SystemExit(f"incremental verification failed: {step.describe()}")
        print(
            f"  incremental verify of the last {step.events_checked:,} events: {step_s:.2f} s",
            flush=True,
        )
        db.dispose()
        load_after = os.getloadavg()[0]

    projected_verify_s = TARGET_EVENTS / rate
    projected_seed_s = TARGET_EVENTS / (args.events / seed_s)
    print(
        f"  projected for {TARGET_EVENTS:,} events (linear, not measured): full verify "
        f"{projected_verify_s / 60:.0f} min, seeding {projected_seed_s / 3600:.1f} h, "
        f"{size / args.events * TARGET_EVENTS / 1e9:.0f} GB",
        flush=True,
    )
    print(
        json.dumps(
            {
                "events": args.events,
                "months": args.months,
                "partitions_used": len(used),
                "seed_events_per_s": round(args.events / seed_s),
                "bytes_per_event": round(size / args.events),
                "verify_events_per_s": round(rate),
                "verify_events_per_cpu_s": round(cpu_rate),
                "verify_target_events_per_s": 200_000,
                "incremental_events": step.events_checked,
                "incremental_verify_s": round(step_s, 3),
                "projected_50m_verify_min": round(projected_verify_s / 60, 1),
                "projected_50m_seed_h": round(projected_seed_s / 3600, 2),
                "projected_50m_gb": round(size / args.events * TARGET_EVENTS / 1e9, 1),
                "cores": os.cpu_count(),
                "load_before": round(load, 1),
                "load_after": round(load_after, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
