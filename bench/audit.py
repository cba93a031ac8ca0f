"""Audit log benchmarks: what group commit and the verifier sustain on this machine.

1. Audited disclosures per second with group commit, on SQLite and on PostgreSQL: several client
   threads each act like a request handler that discloses a page of records (20 by default) and
   may not answer until the page's audit events are durable, i.e. each calls
   ``GroupCommitter.write`` with one event per record disclosed and waits. A *disclosure* is one
   record disclosed to one officer (one audit event); *requests* are the pages.
2. ``audit verify`` events per second over 1,000,000 events on SQLite (generated quickly with
   ``append`` in large transactions, with a signed checkpoint every 10,000 events as the service
   would write).

Everything runs in a temporary data directory and a PostgreSQL database created for the run and
dropped afterwards (admin connection: ``KOTWAL_BENCH_POSTGRES_URL``, default the local server).
The last line printed is one JSON object with the figures.

    .venv/bin/python bench/audit.py [--clients 16] [--seconds 8] [--verify-events 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from kotwal.core import audit
from kotwal.core.audit import AuditEvent, GroupCommitter, Outcome
from kotwal.core.config import Settings
from kotwal.core.crypto import bind_keyring
from kotwal.core.db import Database
from kotwal.core.keys import KeyRing, generate_keys, load_keys
from kotwal.core.migrate import upgrade
from scaffold import scratch_postgres

SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


@dataclass
class DisclosureFigures:
    requests_per_s: float
    disclosures_per_s: float
    events_per_commit: float
    p50_ms: float
    p99_ms: float


def _page(officer: int, request: int, page_size: int) -> list[AuditEvent]:
    """The audit events of one request that shows an officer a page of history sheets."""
    actor_id = str(uuid.UUID(int=officer))
    session_id = str(uuid.UUID(int=10_000 + officer))
    return [
        AuditEvent(
            action="record.disclose",
            outcome=Outcome.SUCCESS,
            actor_id=actor_id,
            actor_name=f"si.officer{officer:03d}",
            resource_type="history_sheet",
            resource_id=str(uuid.UUID(int=request * page_size + i)),
            purpose="Cr.No. 412/2024 PS Banjara Hills",
            client_addr=f"10.20.{officer % 250}.{i + 1}",
            session_id=session_id,
            detail={"fields": 14, "masked": 3, "out_of_jurisdiction": False},
        )
        for i in range(page_size)
    ]


def bench_disclosures(
    db: Database, keyring: KeyRing, clients: int, seconds: float, page_size: int
) -> DisclosureFigures:
    """Clients disclose pages as fast as their audit writes come back, for ``seconds``."""
    committer = GroupCommitter(db, keyring=keyring)
    committer.start()
    stop = threading.Event()
    measuring = threading.Event()
    latencies: list[list[float]] = [[] for _ in range(clients)]

    def client(n: int) -> None:
        request = 0
        while not stop.is_set():
            events = _page(n, request, page_size)
            started = time.perf_counter()
            committer.write(events)
            if measuring.is_set():
                latencies[n].append(time.perf_counter() - started)
            request += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    time.sleep(min(1.0, seconds / 4))  # warm up: connections, caches
    batches0, events0 = committer.batches_committed, committer.events_committed
    measuring.set()
    started = time.perf_counter()
    time.sleep(seconds)
    measuring.clear()
    elapsed = time.perf_counter() - started
    batches, events = committer.batches_committed - batches0, committer.events_committed - events0
    stop.set()
    for t in threads:
        t.join()
    committer.stop()
    flat = sorted(x for per_client in latencies for x in per_client)
    return DisclosureFigures(
        requests_per_s=len(flat) / elapsed,
        disclosures_per_s=events / elapsed,
        events_per_commit=events / max(batches, 1),
        p50_ms=1000 * statistics.median(flat),
        p99_ms=1000 * flat[int(len(flat) * 0.99)],
    )


def fill(db: Database, keyring: KeyRing, total: int, batch: int = 50_000) -> float:
    """Append ``total`` events in large transactions, a checkpoint every 10,000; seconds."""
    template = _page(1, 0, 1)[0]
    started = time.perf_counter()
    written = 0
    while written < total:
        n = min(batch, total - written)
        with db.transaction(write=True) as session:
            bind_keyring(session, keyring)  # each event's MAC, as the service writes them
            for start in range(0, n, 10_000):
                events = [
                    AuditEvent(
                        action=template.action,
                        outcome=template.outcome,
                        actor_id=template.actor_id,
                        actor_name=template.actor_name,
                        resource_type=template.resource_type,
                        resource_id=str(uuid.UUID(int=written + start + i)),
                        purpose=template.purpose,
                        client_addr=template.client_addr,
                        session_id=template.session_id,
                        detail=template.detail,
                        at_us=1_700_000_000_000_000 + written + start + i,
                    )
                    for i in range(min(10_000, n - start))
                ]
                audit.append(session, events)
                audit.checkpoint(session, keyring)
        written += n
    return time.perf_counter() - started


def bench_verify(db: Database, keyring: KeyRing, total: int) -> tuple[float, float]:
    """Fill a fresh log with ``total`` events and time ``verify``: (events/s, fill seconds)."""
    fill_seconds = fill(db, keyring, total)
    started = time.perf_counter()
    result = audit.verify(db.engine, keyring.audit_public, mac_key=keyring.audit_mac_key)
    elapsed = time.perf_counter() - started
    if not result.ok or result.events_checked != total:
        raise SystemExit(f"verification failed on a sound log: {result.describe()}")
    return total / elapsed, fill_seconds


def migrated(url: str) -> Database:
    database = Database(url)
    upgrade(database.engine)
    return database


def sqlite_synchronous(db: Database) -> str:
    with db.engine.connect() as conn:
        return SYNCHRONOUS.get(int(conn.exec_driver_sql("PRAGMA synchronous").scalar_one()), "?")


def _print_disclosures(backend: str, figures: DisclosureFigures, clients: int) -> None:
    print(
        f"{backend:>10}: {figures.disclosures_per_s:>9,.0f} disclosures/s "
        f"({figures.requests_per_s:,.0f} requests/s, {clients} clients), "
        f"{figures.events_per_commit:,.0f} events per commit, "
        f"write latency p50 {figures.p50_ms:.1f} ms, p99 {figures.p99_ms:.1f} ms",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--page-size", type=int, default=20)
    parser.add_argument("--verify-events", type=int, default=1_000_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kotwal-bench-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir(mode=0o700)
        generate_keys(data / "keys")
        keyring = load_keys(Settings(data_dir=data))

        lite = migrated(f"sqlite:///{data / 'disclosures.db'}")
        synchronous = sqlite_synchronous(lite)
        print(
            f"audit bench: {os.cpu_count()} cores, SQLite synchronous={synchronous}, "
            f"{args.clients} clients x {args.page_size} records per request, "
            f"{args.seconds:.0f} s per backend",
            flush=True,
        )
        on_sqlite = bench_disclosures(lite, keyring, args.clients, args.seconds, args.page_size)
        lite.dispose()
        _print_disclosures("SQLite", on_sqlite, args.clients)

        with scratch_postgres("audit") as url:
            pg = migrated(url)
            on_pg = bench_disclosures(pg, keyring, args.clients, args.seconds, args.page_size)
            pg.dispose()
        _print_disclosures("PostgreSQL", on_pg, args.clients)

        big = migrated(f"sqlite:///{data / 'verify.db'}")
        verify_rate, fill_seconds = bench_verify(big, keyring, args.verify_events)
        big.dispose()
        print(
            f"    verify: {verify_rate:>9,.0f} events/s over {args.verify_events:,} events "
            f"(SQLite; generated in {fill_seconds:.1f} s)",
            flush=True,
        )

    print(
        json.dumps(
            {
                "disclosures_per_s_sqlite": round(on_sqlite.disclosures_per_s),
                "disclosures_per_s_postgresql": round(on_pg.disclosures_per_s),
                "requests_per_s_sqlite": round(on_sqlite.requests_per_s),
                "requests_per_s_postgresql": round(on_pg.requests_per_s),
                "disclosures_per_request": args.page_size,
                "clients": args.clients,
                "verify_events_per_s": round(verify_rate),
                "verify_events": args.verify_events,
                "cores": os.cpu_count(),
                "sqlite_synchronous": synchronous,
            }
        )
    )


if __name__ == "__main__":
    main()
