"""Patrol: sustained ping ingest end to end, HTTP to database, on the embedded default.

``--units`` patrol units, each with its own tracker token (made at run time, only hashes
stored), report positions in the OsmAnd protocol (``GET /api/v1/patrol/osmand?id=...``) to
``kotwal run`` serving a fresh SQLite instance with ``--workers`` processes. A load generator
(plain asyncio sockets, HTTP/1.1 keep-alive, one request in flight per connection, in a
process of its own) keeps ``--connections`` trackers sending for ``--seconds``, cycling through
the units. A 200 is sent only once the ping's batch is committed, so the rate counts positions
durable in the database; at the end the track table is counted and must hold every accepted
ping. While the load runs, a station house officer's control-room stream is open
(``/patrol/control/events`` with a console session) and a probe unit pings every 1.5 s: the
time from each probe's ping to its position arriving in the stream (target p95 <= 2 s).

Units are spread over a city of about 30 x 30 km. Then the nearest-available-unit query that
dispatch runs for an incident, ``--queries`` times at random places in that city, every unit
available (target p95 <= 20 ms among 5,000 units); its CPU time too, since the machine may be
busy.

Then coverage: ``--beats`` beats of 1 km (a 32 x 32 grid over the city), each patrolled by one
unit through a shift of ``--shift-hours`` with a fix every 10 s (2,880 fixes each for 8 hours,
written straight into the track table), five check-in points a beat and a check-in at two of
them; the coverage of every shift (points visited, area passed through) is computed as the
service does it for the API, timed (target <= 10 s for 1,000 beats over one shift).

The issue's target: 5,000 units every 10 s is 500 pings/s, and x4 headroom is 2,000 pings/s.

    .venv/bin/python bench/patrol.py [--units 5000] [--seconds 20] [--connections 64]

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
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import func, select

import scaffold
from kotwal.core import identity
from kotwal.core.clock import utcnow
from kotwal.core.config import Settings
from kotwal.core.migrate import upgrade
from kotwal.core.policy import Actor, Role
from kotwal.core.uow import UnitOfWork
from kotwal.domains import open_runtime
from kotwal.patrol import coverage, service
from kotwal.patrol.models import (
    PatrolArea,
    PatrolCheckin,
    PatrolDevice,
    PatrolLatestPosition,
    PatrolPoint,
    PatrolPosition,
    PatrolShift,
    PatrolUnit,
)
from kotwal.patrol.service import token_hash

PATH = "/api/v1/patrol/osmand"
#: Around Hyderabad.
LAT0, LON0 = 17.385, 78.4867


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(data: Path, units: int) -> list[str]:
    """A migrated instance with one station, ``units`` units and a tracker each; the tokens."""
    settings = Settings(data_dir=data)
    runtime = open_runtime(settings)
    try:
        upgrade(runtime.db.engine)
        station = scaffold.station(runtime)
        tokens = [secrets.token_urlsafe(32) for _ in range(units)]
        now = utcnow()
        with UnitOfWork(runtime, write=True) as uow:
            for n, token in enumerate(tokens):
                unit = PatrolUnit(
                    call_sign=f"BENCH-{n:05d}",
                    vehicle_number=f"TS00BN{n:05d}",
                    kind="patrol_car",
                    station_id=station.id,
                    jurisdiction_path=station.path,
                    status="available",
                    status_at=now,
                )
                uow.session.add(unit)
                uow.session.flush()
                uow.session.add(
                    PatrolDevice(
                        unit_id=unit.id,
                        label="bench",
                        token_hash=token_hash(token),
                        jurisdiction_path=station.path,
                        created_by="cli:bench",
                    )
                )
        return tokens
    finally:
        runtime.close()
        for path in data.glob("kotwal.db*"):
            path.chmod(0o600)  # the server refuses a database file others can read


def prepare_watcher(data: Path) -> dict[str, str]:
    """A station house officer with a console session (the control room's viewer) and a probe
    unit with its own tracker, whose pings are timed to the page."""
    settings = Settings(data_dir=data)
    runtime = open_runtime(settings)
    try:
        with UnitOfWork(runtime, write=True) as uow:
            unit = uow.session.execute(select(PatrolUnit)).scalars().first()
            assert unit is not None
            bench = Actor(account_id=None, username="cli:bench")
            account, _ = identity.create_account(
                uow,
                bench,
                username="bench.sho",
                display_name="Bench SHO",
                roles=frozenset({Role.STATION_HOUSE_OFFICER}),
                jurisdiction_id=unit.station_id,
            )
            account.must_change_password = False
            # Enrolled, as every officer is after first login (never used to log in here).
            account.totp_secret = base64.b32encode(secrets.token_bytes(20)).decode()
            issued = identity.issue_session(
                uow.session, settings, account, kind="console", client_addr="127.0.0.1"
            )
            probe = PatrolUnit(
                call_sign="BENCH-PROBE",
                vehicle_number="TS00BP00001",
                kind="patrol_car",
                station_id=unit.station_id,
                jurisdiction_path=unit.jurisdiction_path,
                status="available",
                status_at=utcnow(),
            )
            uow.session.add(probe)
            uow.session.flush()
            token = secrets.token_urlsafe(32)
            uow.session.add(
                PatrolDevice(
                    unit_id=probe.id,
                    label="probe",
                    token_hash=token_hash(token),
                    jurisdiction_path=unit.jurisdiction_path,
                    created_by="cli:bench",
                )
            )
        return {"cookie": issued.token, "token": token, "unit": probe.id}
    finally:
        runtime.close()


def screen_latency(port: int, watcher: dict[str, str], seconds: float) -> dict[str, Any]:
    """From a probe's ping arriving to its new position reaching the control room's event
    stream (what the page draws from), while the load runs: a ping every 1.5 s (the stream
    sends each second where units are now, so a ping superseded within a second is never
    sent, and is not counted)."""
    base = f"http://127.0.0.1:{port}"
    sent: dict[str, float] = {}
    seen: list[float] = []
    events: dict[str, Any] = {"n": 0, "bytes": 0, "ended": ""}
    stop, first = threading.Event(), threading.Event()

    def read() -> None:
        try:
            with httpx.stream(
                "GET",
                f"{base}/patrol/control/events",
                cookies={"kotwal-session": watcher["cookie"]},
                timeout=httpx.Timeout(10.0, read=None),
            ) as r:
                if r.status_code != 200:
                    events["ended"] = f"status {r.status_code}"
                    first.set()
                    return
                for line in r.iter_lines():
                    if stop.is_set():
                        return
                    if not line.startswith("data: "):
                        continue
                    arrived = time.perf_counter()
                    first.set()
                    events["n"] += 1
                    events["bytes"] += len(line)
                    for p in json.loads(line[6:]).get("positions", []):
                        key = f"{p['lat']:.6f}"
                        if p["unit_id"] == watcher["unit"] and key in sent:
                            seen.append(arrived - sent.pop(key))
            events["ended"] = events["ended"] or "stream closed"
        except httpx.HTTPError as exc:
            events["ended"] = f"{type(exc).__name__}: {exc}"

    reader = threading.Thread(target=read, daemon=True)
    until = time.monotonic() + seconds
    reader.start()
    first.wait(timeout=30)  # the first event (every unit) has arrived
    with httpx.Client(base_url=base) as client:
        k = 0
        while time.monotonic() < until or k < 2:
            k += 1
            lat = f"{LAT0 + 0.2 + k * 1e-5:.6f}"
            began = time.perf_counter()
            r = client.get(PATH, params={"id": watcher["token"], "lat": lat, "lon": LON0})
            if r.status_code == 200:
                sent[lat] = began
            time.sleep(1.5)
    time.sleep(3)
    stop.set()
    seen.sort()
    return {
        "screen_probes": k,
        "screen_seen": len(seen),
        "screen_p50_ms": round(statistics.median(seen) * 1000, 1) if seen else None,
        "screen_p95_ms": round(seen[int(len(seen) * 0.95)] * 1000, 1) if seen else None,
        "screen_events": events["n"],
        "screen_stream": events["ended"] or "open",
    }


def serve(data: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KOTWAL_DATA_DIR": str(data),
        "KOTWAL_LOCAL_HTTP": "true",
        # The control room's map charges every unit and position it shows to its viewer's
        # disclosure budget: a map of 5,000 units needs a budget set for it (the default
        # station house officer's is 300 distinct records an hour).
        "KOTWAL_WATCH_BUDGETS": json.dumps({"station_house_officer": [20000, 30000, 40000, 60000]}),
    }
    # `kotwal run` as its console script does it, with this interpreter.
    command = [sys.executable, "-c", "from kotwal.cli import app; app()"]
    server = subprocess.Popen(
        # The officers' surface only: the citizens' default port (8100) may be taken.
        [*command, "run", "--surface", "officers", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120  # a busy machine starts the workers slowly
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    said = server.stderr.read() if server.stderr is not None else b""
    raise RuntimeError("the server did not start: " + said.decode(errors="replace"))


def session_cpu_seconds(session: int) -> float:
    """CPU time (user and system) used so far by every process of a session: the server and
    its workers. The machine may be busy with other work; this counts only the server's."""
    tick = os.sysconf("SC_CLK_TCK") or 100
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state ppid pgrp session ... utime (12th) stime (13th).
        if int(fields[3]) == session:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def stop(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGINT)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def place(unit: int) -> tuple[float, float]:
    """Where a unit patrols: spread over a city of about 30 x 30 km (5,000 units there are
    five or six a square kilometre, as in a commissionerate at full strength)."""
    return LAT0 + (unit * 7919 % 3001) / 10_000 - 0.15, LON0 + (
        unit * 104_729 % 3001
    ) / 10_000 - 0.15


def _request(token: str, unit: int, n: int) -> bytes:
    lat, lon = place(unit)
    lat, lon = lat + (n % 7) * 1e-5, lon + (n % 5) * 1e-5  # moving a little between pings
    query = (
        f"id={token}&lat={lat:.6f}&lon={lon:.6f}&timestamp={int(time.time())}"
        f"&speed=12.3&bearing=90&accuracy=8&batt=80"
    )
    return f"GET {PATH}?{query} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()


async def _tracker(
    port: int, tokens: list[str], start: int, step: int, until: float, out: dict[str, Any]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    n = start
    try:
        while time.monotonic() < until:
            sent = time.perf_counter()
            writer.write(_request(tokens[n % len(tokens)], n % len(tokens), n))
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if length:
                await reader.readexactly(length)
            status = head[9:12]
            out["latencies"].append(time.perf_counter() - sent)
            out["ok" if status == b"200" else "refused"] += 1
            n += step
    finally:
        writer.close()


def load(port: int, tokens: list[str], connections: int, seconds: float, queue: Any) -> None:
    """The load generator's process: ``connections`` trackers for ``seconds``."""

    async def main() -> dict[str, Any]:
        out: dict[str, Any] = {"ok": 0, "refused": 0, "latencies": []}
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(_tracker(port, tokens, i, connections, until, out) for i in range(connections))
        )
        return out

    began, cpu = time.perf_counter(), time.process_time()
    out = asyncio.run(main())
    out["elapsed"] = time.perf_counter() - began
    out["driver_cpu"] = time.process_time() - cpu
    latencies = sorted(out.pop("latencies"))
    out["p50_ms"] = round(statistics.median(latencies) * 1000, 1) if latencies else None
    out["p95_ms"] = round(latencies[int(len(latencies) * 0.95)] * 1000, 1) if latencies else None
    queue.put(out)


def count_positions(data: Path, probe: str) -> int:
    """Positions stored for the load's units (the probe's own are not the load's)."""
    runtime = open_runtime(Settings(data_dir=data))
    try:
        with runtime.db.transaction(write=False) as session:
            stmt = (
                select(func.count())
                .select_from(PatrolPosition)
                .where(PatrolPosition.unit_id != probe)
            )
            return int(session.execute(stmt).scalar_one())
    finally:
        runtime.close()


def nearest(data: Path, queries: int) -> dict[str, Any]:
    """The nearest-available-unit query (``service.nearest_available``, as dispatch runs it
    for an incident) at random places among the units the ingest placed: every unit is
    available and within reach, the worst case for the query."""
    runtime = open_runtime(Settings(data_dir=data))
    rng = random.Random(7)  # nosec B311 - places to ask about, not secrets
    try:
        with UnitOfWork(runtime, write=False) as uow:
            path = uow.session.execute(select(PatrolUnit.jurisdiction_path)).scalars().first()
            units = int(
                uow.session.execute(
                    select(func.count()).select_from(PatrolLatestPosition)
                ).scalar_one()
            )
        dispatcher = Actor(
            account_id=None,
            username="cli:bench",
            roles=frozenset({Role.STATION_HOUSE_OFFICER}),
            jurisdiction_paths=(str(path),),
        )
        times, cpu = [], []
        for _ in range(queries):
            lat, lon = LAT0 + rng.uniform(-0.15, 0.15), LON0 + rng.uniform(-0.15, 0.15)
            began, began_cpu = time.perf_counter(), time.thread_time()
            with UnitOfWork(runtime, write=False) as uow:
                found = service.nearest_available(uow, dispatcher, lat, lon, limit=5)
            times.append(time.perf_counter() - began)
            cpu.append(time.thread_time() - began_cpu)
            assert found, "no unit proposed"
    finally:
        runtime.close()
    times.sort()
    cpu.sort()
    return {
        "nearest_cpu_p95_ms": round(cpu[int(len(cpu) * 0.95)] * 1000, 2),
        "units_with_positions": units,
        "nearest_p50_ms": round(statistics.median(times) * 1000, 2),
        "nearest_p95_ms": round(times[int(len(times) * 0.95)] * 1000, 2),
    }


def _square(lon: float, lat: float, size: float) -> str:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _fold(x: Any, low: float, size: float) -> Any:
    """A walk folded back into [low, low + size] (reflected at the edges)."""
    t = np.mod(x - low, 2 * size)
    return low + size - np.abs(t - size)


def coverage_bench(data: Path, beats: int, hours: float) -> dict[str, Any]:
    """``beats`` beats, each patrolled by one unit over a shift of ``hours`` with a fix every
    10 s; the coverage of every shift computed and timed."""
    runtime = open_runtime(Settings(data_dir=data))
    rng = np.random.default_rng(11)
    fixes = int(hours * 360)
    size = 0.009  # ~1 km of latitude
    side = int(np.ceil(np.sqrt(beats)))
    end = utcnow().replace(microsecond=0) - timedelta(days=1)  # clear of the ingest's pings
    start = end - timedelta(hours=hours)
    stamp = "%Y-%m-%d %H:%M:%S.%f"
    try:
        with UnitOfWork(runtime, write=True) as uow:
            units = uow.session.execute(
                select(PatrolDevice.unit_id, PatrolDevice.id, PatrolDevice.jurisdiction_path)
                .order_by(PatrolDevice.unit_id)
                .limit(beats)
            ).all()
            station_id = uow.session.execute(select(PatrolUnit.station_id)).scalars().first()
            path = units[0][2]
            lon0, lat0 = LON0 - side * size / 2, LAT0 - side * size / 2
            area = PatrolArea(
                kind="station_area",
                code="BENCH-PS",
                name="bench station",
                station_id=station_id,
                jurisdiction_path=path,
                geometry=_square(lon0, lat0, side * size),
                min_lon=lon0,
                min_lat=lat0,
                max_lon=lon0 + side * size,
                max_lat=lat0 + side * size,
                created_by="cli:bench",
            )
            uow.session.add(area)
            uow.session.flush()
            shifts, walks = [], []
            for n, (unit_id, _device, _path) in enumerate(units):
                x, y = lon0 + (n % side) * size, lat0 + (n // side) * size
                beat = PatrolArea(
                    kind="beat",
                    code=f"BENCH-B{n:04d}",
                    name=f"bench beat {n}",
                    station_id=station_id,
                    jurisdiction_path=path,
                    parent_id=area.id,
                    geometry=_square(x, y, size),
                    min_lon=x,
                    min_lat=y,
                    max_lon=x + size,
                    max_lat=y + size,
                    created_by="cli:bench",
                )
                uow.session.add(beat)
                uow.session.flush()
                shift = PatrolShift(
                    unit_id=unit_id,
                    beat_id=beat.id,
                    jurisdiction_path=path,
                    starts_at=start,
                    ends_at=end,
                    ended_at=end,
                    created_by="cli:bench",
                )
                uow.session.add(shift)
                uow.session.flush()
                shifts.append(shift.id)
                for k in range(5):
                    point = PatrolPoint(
                        kind="atm",
                        name=f"ATM {n}-{k}",
                        lat=y + size * (k + 0.5) / 5,
                        lon=x + size / 2,
                        radius_m=50,
                        station_id=station_id,
                        jurisdiction_path=path,
                        beat_id=beat.id,
                        created_by="cli:bench",
                    )
                    uow.session.add(point)
                    uow.session.flush()
                    if k < 2:
                        uow.session.add(
                            PatrolCheckin(
                                point_id=point.id,
                                unit_id=unit_id,
                                shift_id=shift.id,
                                beat_id=beat.id,
                                jurisdiction_path=path,
                                day=end.date().isoformat(),
                                at=start + timedelta(hours=k + 1),
                                fixed_at=start + timedelta(hours=k + 1),
                                lat=point.lat,
                                lon=point.lon,
                                distance_m=5.0,
                                by_name="cli:bench",
                            )
                        )
                # A patrol's walk: steps of up to ~60 m, folded back into the beat.
                steps = rng.normal(0, 0.00035, size=(fixes, 2))
                walks.append(
                    (
                        _fold(x + size / 2 + np.cumsum(steps[:, 0]), x, size),
                        _fold(y + size / 2 + np.cumsum(steps[:, 1]), y, size),
                    )
                )
        times = [(start + timedelta(seconds=10 * i)).strftime(stamp) for i in range(fixes)]
        began = time.perf_counter()
        with runtime.db.engine.begin() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            cursor = raw.cursor()
            for (unit_id, device_id, _path), (lons, lats) in zip(units, walks, strict=True):
                cursor.executemany(
                    "INSERT INTO patrol_positions (unit_id, device_id, fixed_at, received_at, "
                    "lat, lon, speed, bearing, accuracy, battery) VALUES (?, ?, ?, ?, ?, ?, "
                    "NULL, NULL, 8, 80)",
                    [
                        (unit_id, device_id, t, t, float(la), float(lo))
                        for t, la, lo in zip(times, lats, lons, strict=True)
                    ],
                )
        written = time.perf_counter() - began
        with UnitOfWork(runtime, write=False) as uow:
            rows = list(
                uow.session.execute(select(PatrolShift).where(PatrolShift.id.in_(shifts))).scalars()
            )
            coverage.beat_grid.cache_clear()
            began, began_cpu = time.perf_counter(), time.thread_time()
            found = coverage.coverage_of(uow, rows)
            elapsed = time.perf_counter() - began
            cpu = time.thread_time() - began_cpu
    finally:
        runtime.close()
    areas = [c.area_share or 0.0 for c in found]
    assert len(found) == len(units) and all(c.points_visited == 2 for c in found)
    return {
        "coverage_beats": len(found),
        "coverage_fixes": sum(c.fixes for c in found),
        "coverage_seconds": round(elapsed, 2),
        "coverage_cpu_seconds": round(cpu, 2),
        "coverage_area_share_median": round(float(np.median(areas)), 3),
        "coverage_positions_written_per_second": round(len(found) * fixes / written),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queries", type=int, default=200, help="nearest-unit queries")
    parser.add_argument("--beats", type=int, default=1000, help="beats for the coverage run")
    parser.add_argument("--shift-hours", type=float, default=8.0)
    args = parser.parse_args()

    with scaffold.scratch_data_dir() as data:
        tokens = prepare(data, args.units)
        watcher = prepare_watcher(data)
        port = free_port()
        server = serve(data, port, args.workers)
        try:
            queue: Any = multiprocessing.get_context("spawn").Queue()
            client = multiprocessing.get_context("spawn").Process(
                target=load, args=(port, tokens, args.connections, args.seconds, queue)
            )
            cpu_before = session_cpu_seconds(server.pid)
            client.start()
            screen = screen_latency(port, watcher, args.seconds)
            result = queue.get()
            cpu_used = session_cpu_seconds(server.pid) - cpu_before
            client.join()
        finally:
            stop(server)
        stored = count_positions(data, watcher["unit"])
        near = nearest(data, args.queries)
        cover = coverage_bench(data, min(args.beats, args.units), args.shift_hours)
    rate = result["ok"] / result["elapsed"]
    cpu_ms = cpu_used * 1000 / max(result["ok"], 1)
    driver_ms = result["driver_cpu"] * 1000 / max(result["ok"], 1)
    cores = os.cpu_count() or 1
    # What the machine would sustain with nothing else running: its cores shared by the
    # server and this load driver in the proportions measured.
    idle_rate = cores * 1000 / (cpu_ms + driver_ms)
    print(
        f"{result['ok']:,} pings accepted in {result['elapsed']:.1f} s: {rate:,.0f} pings/s "
        f"(p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms), {stored:,} positions stored, "
        f"{result['refused']} refused; CPU per ping {cpu_ms:.2f} ms server + {driver_ms:.2f} ms "
        f"driver: {idle_rate:,.0f}/s with {cores} cores free for both; {args.workers} workers, "
        f"{args.connections} connections, {args.units:,} units"
    )
    print(
        f"nearest available unit among {near['units_with_positions']:,} placed: "
        f"p50 {near['nearest_p50_ms']} ms, p95 {near['nearest_p95_ms']} ms (CPU p95 "
        f"{near['nearest_cpu_p95_ms']} ms; {args.queries} queries)"
    )
    print(
        f"ping to the control room's stream (a probe every 1.5 s under the load): p50 "
        f"{screen['screen_p50_ms']} ms, p95 {screen['screen_p95_ms']} ms "
        f"({screen['screen_seen']} of {screen['screen_probes']} probes seen; stream "
        f"{screen['screen_stream']})"
    )
    print(
        f"coverage of {cover['coverage_beats']:,} beats over a {args.shift_hours:g} h shift "
        f"({cover['coverage_fixes']:,} fixes): {cover['coverage_seconds']} s "
        f"(CPU {cover['coverage_cpu_seconds']} s), median area passed through "
        f"{cover['coverage_area_share_median']:.1%}"
    )
    figures = {
        "bench": "patrol",
        "store": "sqlite",
        "units": args.units,
        "workers": args.workers,
        "connections": args.connections,
        "cores": os.cpu_count(),
        "seconds": round(result["elapsed"], 2),
        "pings_accepted": result["ok"],
        "pings_refused": result["refused"],
        "positions_stored": stored,
        "pings_per_second": round(rate, 1),
        "latency_p50_ms": result["p50_ms"],
        "latency_p95_ms": result["p95_ms"],
        "server_cpu_ms_per_ping": round(cpu_ms, 3),
        "driver_cpu_ms_per_ping": round(driver_ms, 3),
        "pings_per_second_if_cores_free": round(idle_rate, 1),
        **near,
        **screen,
        **cover,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
