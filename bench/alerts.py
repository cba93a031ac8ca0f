"""Public alerts' delivery: the submit rate to a local SMPP peer, the share of what it received
that carries valid DLT IDs, and how fast a large alert's messages are queued.

- **Submit.** An alert approved by two officers is fanned out to ``--messages`` numbers, and a
  delivery worker (``kotwal.alerts.worker``, ``--binds`` transceiver binds, as
  ``kotwal alerts worker`` runs it) submits them to the SMPP server of the ``smpp34`` package
  on 127.0.0.1, run in a process of its own. The rate is messages accepted by the peer per
  second, from the worker's start to the last acceptance; the peer checks each submit_sm's
  PE_ID and TEMPLATE_ID TLVs against what was registered.
- **Subscribe.** ``--recipients`` numbers subscribed to the station by headquarters
  (``audiences.subscribe``, each number sealed under its own data key), ``--chunk`` per
  transaction: the rate of an opt-in list's import.
- **Queue.** An alert to the station approved by two officers and fanned out to all of them
  (``audiences.expand_alert``: one ``INSERT ... SELECT``, a message per subscriber pointing to
  the subscriber and to the area's message): the seconds from the approval's commit to the
  last recipient queued.

Both on SQLite and, when PostgreSQL answers at ``KOTWAL_BENCH_POSTGRES_URL``, on PostgreSQL.

    .venv/bin/python bench/alerts.py [--messages 20000] [--recipients 1000000] [--binds 2]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

import smpp34
from sqlalchemy import select

import scaffold
from kotwal.alerts import audiences, registry, service, smsc, worker
from kotwal.alerts.config import DeliverySettings
from kotwal.alerts.demo import PE_ID, RAIN_EN, demo_registry
from kotwal.alerts.models import AlertTemplate
from kotwal.alerts.schemas import AlertDraftIn, CapCategory, SubscriberIn
from kotwal.alerts.smsc import SmscIn
from kotwal.core.config import Settings
from kotwal.core.keys import load_keys
from kotwal.core.migrate import upgrade
from kotwal.core.policy import Actor, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.domains import open_runtime
from scaffold import scratch_postgres

RAIN_ID = "1999000000000000101"
RAIN_TEXT = RAIN_EN.replace("{#var#}", "Malakpet", 1).replace("{#var#}", "14-08-2026", 1)
RAIN_TEXT = RAIN_TEXT.replace("{#var#}", "100", 1)
PE_TAG, TEMPLATE_TAG = 0x1400, 0x1401
ESME_RMISSINGOPTPARAM = 0xC3


# --- the peer, in its own process ------------------------------------------------------------


def serve_peer(
    port: int, ready: Any, received: Synchronized[int], valid: Synchronized[int]
) -> None:
    """smpp34's SMPP server: accept every submit_sm that carries the DLT TLVs, count those
    whose PE_ID and TEMPLATE_ID are the registered ones."""

    async def main() -> None:
        server = smpp34.Server(host="127.0.0.1", port=port, system_id="PEER")
        await server.start()
        ready.set()
        wanted = {PE_TAG: PE_ID.encode(), TEMPLATE_TAG: RAIN_ID.encode()}
        count = 0
        while True:
            event = await server.next()
            if not isinstance(event, smpp34.SubmitSmEvent):
                continue
            tlvs = {t.tag: bytes(t.value) for t in event.tlvs}
            ok = all(tlvs.get(tag) == value for tag, value in wanted.items())
            count += 1
            if ok:
                event.accept(message_id=f"b{count}")
            else:
                event.reject(ESME_RMISSINGOPTPARAM)
            with received.get_lock():
                received.value += 1
            if ok:
                with valid.get_lock():
                    valid.value += 1

    asyncio.run(main())


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the product's side --------------------------------------------------------------------


def _actor(role: Role, path: str, name: str) -> Actor:
    return Actor(
        account_id=None, username=f"cli:{name}", roles=frozenset({role}), jurisdiction_paths=(path,)
    )


@dataclass(frozen=True)
class Place:
    """Where the bench's alerts go: the station, the state, the rain template."""

    template: str
    station_id: str
    station_path: str
    state_path: str
    station_code: str


def register(runtime: Runtime) -> Place:
    """A state with one station, and the demo's DLT registry registered by headquarters."""
    with UnitOfWork(runtime, write=True) as uow:
        station = scaffold.state_and_station(uow)
        state_path = "/" + station.path.strip("/").split("/")[0] + "/"
        registry.import_registry(uow, _actor(Role.STATE_HQ, state_path, "hq"), demo_registry())
        template = uow.session.execute(
            select(AlertTemplate.id).where(AlertTemplate.dlt_template_id == RAIN_ID)
        ).scalar_one()
        return Place(template, station.id, station.path, state_path, station.code)


def approved_alert(runtime: Runtime, place: Place) -> str:
    """A rain warning for the station, drafted and approved by two officers; its id."""
    sho = _actor(Role.STATION_HOUSE_OFFICER, place.station_path, "sho")
    draft = AlertDraftIn(template_id=place.template, text=RAIN_TEXT, areas=[place.station_id])
    with UnitOfWork(runtime, write=True) as uow:
        alert_id = str(service.draft_alert(uow, sho, draft)["id"])
    dcp = _actor(Role.DISTRICT_CHIEF, place.state_path, "dcp")
    with UnitOfWork(runtime, write=True) as uow:
        service.approve_alert(uow, dcp, alert_id)
    return alert_id


def numbers(count: int, start: int = 0) -> list[str]:
    """Made-up ten-digit mobile numbers."""
    return [f"9{i:09d}" for i in range(start, start + count)]


def subscribe(runtime: Runtime, place: Place, first: int, last: int, chunk: int) -> float:
    """Seconds to subscribe numbers ``first`` to ``last`` to the station, ``chunk`` per
    transaction, as headquarters imports an opt-in list."""
    hq = _actor(Role.STATE_HQ, place.state_path, "hq")
    started = time.perf_counter()
    for start in range(first, last, chunk):
        entries = [
            SubscriberIn(
                number=n,
                categories=[CapCategory.SAFETY, CapCategory.MET],
                areas=[place.station_code],
                source="bench",
            )
            for n in numbers(min(chunk, last - start), start)
        ]
        with UnitOfWork(runtime, write=True) as uow:
            audiences.subscribe(uow, hq, entries)
        if ((start - first) // chunk) % 10 == 9:
            print(f"  {start + chunk:,} subscribed, {time.perf_counter() - started:.1f} s")
    return time.perf_counter() - started


def fan_out(runtime: Runtime, alert_id: str) -> tuple[int, float]:
    """Recipients queued for an approved alert, and the seconds it took."""
    started = time.perf_counter()
    with UnitOfWork(runtime, write=True) as uow:
        queued = audiences.expand_alert(uow, alert_id)
    return queued, time.perf_counter() - started


def submit(
    runtime: Runtime, place: Place, messages: int, binds: int, window: int
) -> dict[str, float]:
    """Submit ``messages`` to a peer process; the rate and the share with valid DLT IDs."""
    ctx = multiprocessing.get_context("spawn")
    port, ready = free_port(), ctx.Event()
    received, valid = ctx.Value("l", 0), ctx.Value("l", 0)
    peer = ctx.Process(target=serve_peer, args=(port, ready, received, valid), daemon=True)
    peer.start()
    try:
        if not ready.wait(30):
            raise SystemExit("the SMPP peer did not start")
        subscribe(runtime, place, 0, messages, 50_000)
        fan_out(runtime, approved_alert(runtime, place))
        link = _link(runtime, port, binds, window)
        seconds = _run_worker(runtime, link, received, messages)
        return {
            "messages": messages,
            "binds": binds,
            "window": window,
            "seconds": round(seconds, 2),
            "submit_sm_per_s": round(messages / seconds),
            "received": int(received.value),
            "valid_dlt_share": round(valid.value / max(1, received.value), 4),
        }
    finally:
        peer.terminate()
        peer.join(10)


def _link(runtime: Runtime, port: int, binds: int, window: int) -> smsc.SmscLink:
    data = SmscIn(
        host="127.0.0.1",
        port=port,
        system_id="bench",
        chain_id="1999000000000777",
        binds=binds,
        window=window,
    )
    hq = Actor(account_id=None, username="cli:hq", roles=frozenset({Role.STATE_HQ}))
    with UnitOfWork(runtime, write=True) as uow:
        smsc.configure(uow, hq, data, secrets.token_hex(4))
    return smsc.load(runtime)


def _run_worker(
    runtime: Runtime, link: smsc.SmscLink, received: Synchronized[int], messages: int
) -> float:
    stop = threading.Event()
    settings = DeliverySettings(claim_batch=200)
    started = time.perf_counter()
    thread = threading.Thread(
        target=worker.run, args=(runtime, link, stop), kwargs={"settings": settings}
    )
    thread.start()
    try:
        deadline = started + max(120.0, messages / 100)
        while received.value < messages and time.perf_counter() < deadline:
            time.sleep(0.01)
        return time.perf_counter() - started
    finally:
        stop.set()
        thread.join(120)


def store(url: str, data: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Both measures on one database."""
    settings = Settings(data_dir=data, database_url=url)
    runtime = open_runtime(settings, keyring=load_keys(settings))
    try:
        upgrade(runtime.db.engine)
        place = register(runtime)
        sent = submit(runtime, place, args.messages, args.binds, args.window)
        print(
            f"  submit: {sent['submit_sm_per_s']:,} submit_sm/s over {args.binds} binds, "
            f"{sent['valid_dlt_share']:.2%} with valid DLT IDs"
        )
        joined = subscribe(runtime, place, args.messages, args.recipients, args.chunk)
        imported = args.recipients - args.messages
        print(f"  subscribe: {imported:,} numbers in {joined:.1f} s")
        queued, seconds = fan_out(runtime, approved_alert(runtime, place))
        print(f"  queue: {queued:,} messages in {seconds:.1f} s")
        return {
            "submit": sent,
            "subscribe": {
                "numbers": imported,
                "chunk": args.chunk,
                "seconds": round(joined, 1),
                "per_s": round(imported / joined),
            },
            "queue": {
                "recipients": queued,
                "seconds": round(seconds, 1),
                "per_s": round(queued / seconds),
            },
        }
    finally:
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=50_000)
    parser.add_argument("--binds", type=int, default=2)
    parser.add_argument("--window", type=int, default=20)
    parser.add_argument("--stores", default="sqlite,postgresql")
    args = parser.parse_args()
    if args.messages < 10 or args.recipients < 10 or args.chunk < 1:
        parser.error("give at least 10 --messages and --recipients, and a --chunk of 1 or more")
    figures: dict[str, Any] = {"cores": os.cpu_count(), "what": "alerts delivery"}
    wanted = set(args.stores.split(","))
    with scaffold.scratch_data_dir() as data:
        if "sqlite" in wanted:
            print("SQLite:")
            figures["sqlite"] = store(f"sqlite:///{data / 'bench.db'}", data, args)
        if "postgresql" in wanted:
            with scratch_postgres("alerts") as url:
                print("PostgreSQL:")
                figures["postgresql"] = store(url, data, args)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
