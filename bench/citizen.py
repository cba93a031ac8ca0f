"""Citizen services: trip position ingest and SOS intake to the control room, end to end.

``kotwal run`` serves a fresh SQLite instance (the embedded default) with ``--workers``
processes, both surfaces. ``--trips`` citizens, each with a device session (made at run time,
only hashes stored), start a Travel Made Safe trip; a load generator (plain asyncio sockets,
HTTP/1.1 keep-alive, one request in flight per connection, in a process of its own) keeps them
sending positions (``POST /citizen/v1/trips/{id}/fixes``, ``--batch`` positions a request, as
an app sends what it gathered) over ``--connections`` connections for ``--seconds``. A 200 is
sent once the batch is committed (sealed under the trip's key, the trip's deviation checks
run); at the end the positions table is counted and must hold every accepted position.

While the load runs, SOS probes: every ``--sos-every`` seconds another citizen raises an SOS
(``POST /citizen/v1/sos``) at a random place in the station's area, and the control room (a
district chief's API token) polls its SOS queue (``GET /api/v1/citizen/sos``) every 200 ms until
the SOS is there, then acknowledges and closes it: the time from sending the SOS to seeing it
is the figure (target p95 <= 2 s under 200 active trips).

    .venv/bin/python bench/citizen.py [--trips 200] [--seconds 20] [--batch 10]
                                      [--accounts 200000]

``--accounts`` seeds that many more citizens first (an account and a sealed vault row each,
as a first login makes them), timed, so that the load runs against a city's citizen base.

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from kotwal.citizen.models import CitizenAccount, CitizenIdentity, CitizenSession
from kotwal.citizen.models import CitizenTripPosition as Position
from kotwal.citizen.service import number_key, token_digest
from kotwal.core import identity
from kotwal.core.clock import utcnow
from kotwal.core.config import Settings
from kotwal.core.db import new_id
from kotwal.core.jurisdictions import create_jurisdiction
from kotwal.core.keys import generate_keys
from kotwal.core.migrate import upgrade
from kotwal.core.policy import Actor, JurisdictionKind, Role
from kotwal.core.uow import UnitOfWork
from kotwal.domains import open_runtime
from kotwal.patrol import service as patrol
from patrol import free_port, session_cpu_seconds, stop

BENCH = Actor(account_id=None, username="cli:bench")
#: How often the control room asks for its SOS queue (each answer is audited, row by row).
POLL = 0.2
#: A station's area of 6 x 6 km around Hyderabad's centre.
LAT0, LON0, SIZE = 17.36, 78.45, 0.054


def _area() -> dict[str, Any]:
    ring = [
        [LON0, LAT0],
        [LON0 + SIZE, LAT0],
        [LON0 + SIZE, LAT0 + SIZE],
        [LON0, LAT0 + SIZE],
        [LON0, LAT0],
    ]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "kind": "station_area",
                    "station": "PS-1",
                    "code": "PS-1",
                    "name": "Station area",
                },
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }


def prepare(data: Path, citizens: int) -> dict[str, Any]:
    """A migrated instance: state > district > station with its area on the map, a district
    chief with an API token (the control room), and ``citizens`` citizens with a device
    session each; their tokens."""
    settings = Settings(data_dir=data)
    runtime = open_runtime(settings)
    try:
        upgrade(runtime.db.engine)
        with UnitOfWork(runtime, write=True) as uow:
            state = create_jurisdiction(
                uow, BENCH, code="TS", name="State", kind=JurisdictionKind.STATE, parent_id=None
            )
            district = create_jurisdiction(
                uow,
                BENCH,
                code="HYD",
                name="District",
                kind=JurisdictionKind.DISTRICT,
                parent_id=state.id,
            )
            station = create_jurisdiction(
                uow,
                BENCH,
                code="PS-1",
                name="Station",
                kind=JurisdictionKind.STATION,
                parent_id=district.id,
            )
        with UnitOfWork(runtime, write=True) as uow:
            mapper = Actor(
                account_id=None,
                username="cli:bench",
                roles=frozenset({Role.STATION_HOUSE_OFFICER}),
                jurisdiction_paths=(station.path,),
            )
            patrol.import_geojson(uow, mapper, _area())
            account, _ = identity.create_account(
                uow,
                BENCH,
                username="bench.chief",
                display_name="Bench control room",
                roles=frozenset({Role.DISTRICT_CHIEF}),
                jurisdiction_id=district.id,
            )
            account.must_change_password = False
            account.totp_secret = base64.b32encode(secrets.token_bytes(20)).decode()
            officer = identity.issue_session(
                uow.session, settings, account, kind="api", client_addr="127.0.0.1"
            ).token
        tokens: list[str] = []
        now = utcnow()
        with UnitOfWork(runtime, write=True) as uow:
            for n in range(citizens):
                digits = f"9{n:09d}"
                citizen = CitizenAccount(id=new_id(), number_key=number_key(runtime, digits))
                uow.session.add(citizen)
                uow.session.flush()
                uow.session.add(CitizenIdentity(id=new_id(), citizen_id=citizen.id, mobile=digits))
                token = "kc_" + secrets.token_urlsafe(32)
                uow.session.add(
                    CitizenSession(
                        id=new_id(),
                        citizen_id=citizen.id,
                        token_hash=token_digest(token),
                        device_label="bench",
                        created_at=now,
                        last_seen_at=now,
                        expires_at=now + timedelta(days=1),
                    )
                )
                tokens.append(token)
        return {"officer": officer, "citizens": tokens}
    finally:
        runtime.close()
        for path in data.glob("kotwal.db*"):
            path.chmod(0o600)  # the server refuses a database file others can read


def serve(data: Path, port: int, workers: int, citizen_port: int) -> subprocess.Popen[bytes]:
    """``kotwal run`` on both surfaces (officers on ``port``, citizens on ``citizen_port``),
    as its console script does it, once it answers."""
    env = {**os.environ, "KOTWAL_DATA_DIR": str(data), "KOTWAL_LOCAL_HTTP": "true"}
    command = [sys.executable, "-c", "from kotwal.cli import app; app()", "run"]
    command += ["--port", str(port), "--citizen-port", str(citizen_port)]
    server = subprocess.Popen(
        [*command, "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120  # a busy machine starts the workers slowly
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", citizen_port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    said = server.stderr.read() if server.stderr is not None else b""
    raise RuntimeError("the server did not start: " + said.decode(errors="replace"))


def seed_accounts(data: Path, accounts: int, batch: int = 5_000) -> float:
    """``accounts`` more citizens (account and sealed vault row each, as a first login makes
    them), in batches of one transaction each; the seconds it took."""
    runtime = open_runtime(Settings(data_dir=data))
    began = time.monotonic()
    try:
        for first in range(0, accounts, batch):
            with UnitOfWork(runtime, write=True) as uow:
                accounts_batch: list[CitizenAccount] = []
                vault: list[CitizenIdentity] = []
                for n in range(first, min(first + batch, accounts)):
                    digits = f"8{n:09d}"
                    account = CitizenAccount(id=new_id(), number_key=number_key(runtime, digits))
                    accounts_batch.append(account)
                    vault.append(CitizenIdentity(id=new_id(), citizen_id=account.id, mobile=digits))
                uow.session.add_all(accounts_batch)
                uow.session.flush()
                uow.session.add_all(vault)
    finally:
        runtime.close()
    return time.monotonic() - began


def start_trips(port: int, tokens: list[str]) -> list[tuple[str, str]]:
    """Each citizen starts a trip over HTTP; (token, trip id) pairs."""
    body = {
        "vehicle_number": "TS09UB1234",
        "origin": "Ameerpet",
        "destination": "Kukatpally",
        "expected_arrival": (utcnow() + timedelta(hours=2)).isoformat(),
    }
    trips = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for token in tokens:
            r = client.post(
                "/citizen/v1/trips", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            r.raise_for_status()
            trips.append((token, str(r.json()["id"])))
    return trips


def _fixes(n: int, batch: int, trip: int) -> bytes:
    now = utcnow()
    lat = LAT0 + 0.002 + (trip * 37 % 400) / 10_000
    lon = LON0 + 0.002 + (trip * 91 % 400) / 10_000
    fixes = [
        {
            "at": (now + timedelta(seconds=k)).isoformat(),
            "lat": round(lat + (n + k) * 1e-5, 6),
            "lon": round(lon, 6),
            "accuracy": 8,
        }
        for k in range(batch)
    ]
    return json.dumps({"fixes": fixes}).encode()


async def _sender(
    port: int,
    trips: list[tuple[str, str]],
    start: int,
    step: int,
    batch: int,
    until: float,
    out: dict[str, int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    n = start
    try:
        while time.monotonic() < until:
            token, trip = trips[n % len(trips)]
            body = _fixes(n, batch, n % len(trips))
            writer.write(
                (
                    f"POST /citizen/v1/trips/{trip}/fixes HTTP/1.1\r\nHost: bench\r\n"
                    f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode()
                + body
            )
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if head.startswith(b"HTTP/1.1 200"):
                out["accepted"] += batch
                out["requests"] += 1
            else:
                out["refused"] += 1
            n += step
    finally:
        writer.close()


def load(
    port: int,
    trips: list[tuple[str, str]],
    connections: int,
    batch: int,
    seconds: float,
    result: Any,
) -> None:
    """The load generator's process: ``connections`` apps sending positions until time."""
    out = {"accepted": 0, "refused": 0, "requests": 0}

    async def main() -> None:
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(_sender(port, trips, c, connections, batch, until, out) for c in range(connections))
        )

    began = time.monotonic()
    asyncio.run(main())
    result.put({**out, "elapsed": time.monotonic() - began})


def sos_probes(
    citizen_port: int, officer_port: int, tokens: list[str], officer: str, every: float
) -> list[float]:
    """Each citizen in turn raises an SOS; the time until the control room's queue shows it."""
    seen: list[float] = []
    rng = random.Random(7)
    with (
        httpx.Client(base_url=f"http://127.0.0.1:{citizen_port}", timeout=30) as app,
        httpx.Client(
            base_url=f"http://127.0.0.1:{officer_port}",
            timeout=30,
            headers={"Authorization": f"Bearer {officer}"},
        ) as room,
    ):
        for token in tokens:
            fix = {
                "at": utcnow().isoformat(),
                "lat": LAT0 + 0.002 + rng.random() * (SIZE - 0.004),
                "lon": LON0 + 0.002 + rng.random() * (SIZE - 0.004),
            }
            began = time.perf_counter()
            r = app.post("/citizen/v1/sos", json=fix, headers={"Authorization": f"Bearer {token}"})
            if r.status_code != 201:
                continue
            wanted = r.json()["id"]
            while time.perf_counter() - began < 30:
                queue = room.get("/api/v1/citizen/sos")
                if queue.status_code == 200 and any(s["id"] == wanted for s in queue.json()):
                    seen.append(time.perf_counter() - began)
                    # Handled, as a control room would: the queue stays short.
                    room.post(f"/api/v1/citizen/sos/{wanted}/acknowledge")
                    room.post(f"/api/v1/citizen/sos/{wanted}/close")
                    break
                time.sleep(POLL)
            time.sleep(every)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=10, help="positions a request")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--sos", type=int, default=25, help="SOS probes during the load")
    parser.add_argument("--sos-every", type=float, default=0.4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--accounts", type=int, default=0, help="more citizens seeded first (the issue: 200,000)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir(mode=0o700)
        generate_keys(data / "keys")
        prepared = prepare(data, args.trips + args.sos)
        seeded = seed_accounts(data, args.accounts) if args.accounts else 0.0
        riders, callers = prepared["citizens"][: args.trips], prepared["citizens"][args.trips :]
        port, citizen_port = free_port(), free_port()
        server = serve(data, port, args.workers, citizen_port)
        try:
            trips = start_trips(citizen_port, riders)
            result: Any = multiprocessing.Queue()
            driver = multiprocessing.Process(
                target=load,
                args=(citizen_port, trips, args.connections, args.batch, args.seconds, result),
            )
            cpu_before = session_cpu_seconds(server.pid)
            driver.start()
            time.sleep(min(2.0, args.seconds / 4))  # the load under way
            seen = sos_probes(citizen_port, port, callers, prepared["officer"], args.sos_every)
            out = result.get(timeout=args.seconds + 120)
            driver.join()
            cpu = session_cpu_seconds(server.pid) - cpu_before
        finally:
            stop(server)
        runtime = open_runtime(Settings(data_dir=data))
        try:
            with runtime.db.transaction(write=False) as s:
                stored = int(s.execute(select(func.count()).select_from(Position)).scalar_one())
        finally:
            runtime.close()
    seen.sort()
    accepted = out["accepted"]
    figures = {
        "bench": "citizen",
        "cores": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 1),
        "workers": args.workers,
        "accounts_seeded": args.accounts,
        "seed_seconds": round(seeded, 1),
        "trips": args.trips,
        "batch": args.batch,
        "connections": args.connections,
        "seconds": round(out["elapsed"], 1),
        "positions_accepted": accepted,
        "positions_refused_requests": out["refused"],
        "positions_stored": stored,
        "positions_per_second": round(accepted / out["elapsed"], 1),
        "requests_per_second": round(out["requests"] / out["elapsed"], 1),
        "server_cpu_ms_per_position": round(cpu * 1000 / accepted, 3) if accepted else None,
        "sos_probes": len(callers),
        "sos_seen": len(seen),
        "sos_p50_ms": round(statistics.median(seen) * 1000, 1) if seen else None,
        "sos_p95_ms": round(seen[min(len(seen) - 1, int(len(seen) * 0.95))] * 1000, 1)
        if seen
        else None,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
