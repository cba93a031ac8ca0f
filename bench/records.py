"""Records at scale: name-search latency at 20,000 and 1,000,000 persons, audited reads over HTTP.

Three measurements, each printed to stderr as it finishes; the last stdout line is one JSON
object with every figure:

1. *Name search*: p50/p95 latency of ``records.service.search_by_name`` (candidate keys,
   scoring, the gate, the audit event, the commit that waits for it) for each size in
   ``--sizes`` on SQLite and on PostgreSQL, half of the queries as a sub-inspector at a station
   and half as a district chief. Each search is a new query: the matcher's memos of the query
   (its scores against candidates' spellings, its keys) are emptied before it, while the
   per-token memos stay as warm as in a running server; ``cold`` (every memo emptied: the
   first searches after a restart) and ``repeated`` (nothing emptied) are reported beside it.
   Beside them the CPU this process spent per search and the load
   average, since on a shared machine the wall clock also measures the wait for a core. The
   data is the demo's (``kotwal.demo``), filed through the same code path as ``kotwal demo``,
   in chunks of 10,000 persons each from its own seed. Seeding a million persons takes a
   while, so seeded databases are kept under ``--cache-dir`` and reused while size, seed, the
   persons the demo generates and the name keys are unchanged; a seeding cut short resumes at
   its next chunk, ``--as-is`` measures it at the size it reached, ``--fresh`` seeds anew.
2. *Audited reads over HTTP*: the real server (``kotwal run`` in a subprocess) on a copy of the
   store of the smallest size chosen by ``--http-store`` (``sqlite``, the default: a copy of its
   data directory; ``postgresql``: a throwaway database made with ``CREATE DATABASE ... TEMPLATE``
   from the bench database, with a copy of its keys, dropped afterwards; that store is seeded
   for the purpose if ``--stores`` does not list it); ``--http-officers`` sub-inspectors log in
   with password and TOTP, then ``--http-clients`` processes issue GETs of
   ``/api/v1/persons/{id}`` (each one disclosed through the gate, charged to the officer's
   disclosure budget and audited before the answer leaves) for ``--http-seconds``, then the
   same load on the bare ``/healthz``, and on ``/api/v1/me`` (a token checked, the account's
   roles and postings read, nothing opened or audited: the floor any authenticated answer
   stands on). Reported: the rates, the ratios to health, and for each of the three the
   server's CPU per answer (``server_cpu_ms``: user and system time of the server process and
   all its descendants, exited ones included, read from /proc, divided by the answers). The
   server runs as deployed, with its default worker processes (one per core;
   ``--server-workers`` overrides), and the load driver runs on the same machine and takes CPU
   from it, for all endpoints alike: on a machine of few cores the rates measure the driver as
   much as the server, while the CPU per answer does not depend on the driver and says what an
   answer costs the server (under ``--server-wrapper`` the wrapper's CPU is counted too; with
   PostgreSQL, the database server's is not).
3. *Name matching quality*: precision and recall on the labelled pairs (bench/names.py).

    .venv/bin/python bench/records.py [--sizes 20000,1000000] [--stores sqlite,postgresql]
                                      [--queries 200] [--http-seconds 10] [--http-clients 4]
                                      [--http-store sqlite|postgresql]

PostgreSQL is reached at ``KOTWAL_BENCH_POSTGRES_URL`` (default: the local server, trust
authentication); each size gets its own database ``kotwal_bench_<size>_<seed>_<fingerprint>_
<cache>``; the HTTP measurement's copy is ``kotwal_bench_http_<pid>_<cache>``. ``--discard``
removes the stores (files and databases) afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import json
import multiprocessing
import os
import random
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

import httpx
import pyotp
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from kotwal import demo
from kotwal.core import identity
from kotwal.core.config import Settings
from kotwal.core.jurisdictions import by_code
from kotwal.core.keys import generate_keys
from kotwal.core.migrate import upgrade
from kotwal.core.policy import Actor, Jurisdiction, JurisdictionKind, Role
from kotwal.core.runtime import Runtime, open_runtime, settle_startup_objects
from kotwal.core.uow import UnitOfWork
from kotwal.records import names
from kotwal.records.models import Person
from kotwal.records.service import search_by_name

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get(
    "KOTWAL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SEED = 2026
#: Spellings an officer types: variants of the demo's names, initials, reordering, Telugu script.
# A table of data, aligned by hand: it reads better in rows than one item a line.
QUERIES = [
    "Sreenivas", "Shrinivas Kommu", "Reddy Srinivas", "Laxmi", "Venkateshwarlu", "Mohd Imran",
    "K. Ravi Kumar", "Ravikumar Bandi", "శ్రీనివాస్", "Sravani Goud", "Mahesh Gollapudi",
    "Swapna Mekala", "Yusuf Shaik", "Praveen Thota", "Kiran Peddi", "Padma Chintala",
    "Suresh Boddu", "Rajesh Varma", "Sai Kiran Kandula", "రమేష్ నాయుడు",
]  # fmt: skip


STARTED = time.monotonic()


def say(message: str) -> None:
    """Progress goes to stderr, so that stdout ends with the JSON line alone."""
    print(f"[{time.monotonic() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


def fingerprint() -> str:
    """What the seeded data depends on besides size and seed: the persons the demo generates
    (a sample of them) and the name keys they are indexed by (the keys themselves, so that
    work on scoring, which the store does not hold, keeps a cached store valid)."""
    digest = hashlib.sha256()
    rng = random.Random(SEED)  # nosec B311 - reproducing the demo's fake data, no secret
    for n in range(300):
        person = demo.synthetic_person(rng, "0" * 36, n)
        digest.update(person.model_dump_json().encode())
        for spelling in (person.name, person.name_te or "", *person.aliases):
            digest.update("|".join(sorted(names.name_keys(spelling))).encode() + b"\n")
    return digest.hexdigest()[:10]


@dataclass(frozen=True)
class Store:
    kind: str  # "sqlite" or "postgresql"
    size: int
    data_dir: Path  # holds the keys (and the SQLite file)
    url: str

    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir, database_url=self.url)


def _pg_url(database: str) -> str:
    return make_url(PG_ADMIN).set(database=database).render_as_string(hide_password=False)


def _pg_admin(statement: str) -> None:
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


#: Persons are seeded in chunks of this many, each one transaction drawn from its own seed
#: (SEED + chunk number: the first chunk is what ``kotwal demo`` files), so that a seeding cut
#: short (a million persons take a while on a shared machine) resumes at its next chunk.
CHUNK = 10_000


def prepare(kind: str, size: int, cache: Path, fresh: bool, as_is: bool = False) -> Store:
    """A migrated store holding the demo data at ``size``, seeded now or reused from cache;
    ``as_is``: a store whose seeding was cut short, at the size it reached (not seeded on)."""
    tag = f"{size}_{SEED}_{fingerprint()}"
    data_dir = cache / f"{kind}_{tag}"
    done, begun = data_dir / "seeded.json", data_dir / "begun.json"
    # Several checkouts (and the tests) may bench at once: each cache has its own databases.
    place = hashlib.sha256(str(cache.resolve()).encode()).hexdigest()[:6]
    database = f"kotwal_bench_{tag}_{place}"
    url = f"sqlite:///{data_dir / 'kotwal.db'}" if kind == "sqlite" else _pg_url(database)
    store = Store(kind, size, data_dir, url)
    if done.exists() and not fresh:
        say(f"{kind} {size:,}: reusing {data_dir}")
        _migrate(store)  # migrations added since the data was seeded
        return store
    if as_is and begun.exists():
        _migrate(store)
        reached = _persons_filed(store)
        say(f"{kind} {size:,}: measuring as seeded so far, {reached:,} persons")
        return Store(kind, reached, data_dir, url)
    if fresh or not begun.exists():
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True, mode=0o700)
        generate_keys(data_dir / "keys")
        if kind == "postgresql":
            _pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            _pg_admin(f'CREATE DATABASE "{database}"')
        _migrate(store)
        runtime = open_runtime(store.settings())
        try:
            demo.build_tree(runtime)
        finally:
            runtime.close()
        record = {"database": database if kind == "postgresql" else None, "seconds": 0.0}
        begun.write_text(json.dumps(record))
    _migrate(store)
    record = json.loads(begun.read_text())
    record["seconds"] += _seed(store)
    record |= {"size": size, "seed": SEED, "seconds": round(record["seconds"], 1)}
    done.write_text(json.dumps(record))
    say(f"{kind} {size:,}: seeded in {record['seconds']:,.0f} s")
    return store


def _migrate(store: Store) -> None:
    runtime = open_runtime(store.settings())
    try:
        upgrade(runtime.db.engine)
    finally:
        runtime.close()


def _persons_filed(store: Store) -> int:
    runtime = open_runtime(store.settings())
    try:
        with UnitOfWork(runtime, write=False) as uow:
            return uow.session.scalar(select(func.count()).select_from(Person)) or 0
    finally:
        runtime.close()


def _seed(store: Store) -> float:
    """File the chunks of persons the store lacks; the seconds it took."""
    runtime = open_runtime(store.settings())
    started = time.perf_counter()
    try:
        with UnitOfWork(runtime, write=False) as uow:
            have = uow.session.scalar(select(func.count()).select_from(Person)) or 0
            stations = list(
                uow.session.execute(
                    select(Jurisdiction.id)
                    .where(Jurisdiction.kind == JurisdictionKind.STATION)
                    .order_by(Jurisdiction.code)
                ).scalars()
            )
        if have % CHUNK and have != store.size:
            raise RuntimeError(f"{store.data_dir} holds a part of a chunk; run with --fresh")
        for chunk in range(have // CHUNK, -(-store.size // CHUNK)):
            count = min(CHUNK, store.size - chunk * CHUNK)
            demo.seed_persons(runtime, stations, count, SEED + chunk, batch=count)
            filed = chunk * CHUNK + count
            rate = (filed - have) / (time.perf_counter() - started)
            say(f"{store.kind} {store.size:,}: {filed:,} persons filed ({rate:,.0f}/s)")
        if store.kind == "postgresql":
            # What autovacuum does soon after a bulk load: statistics for the planner and the
            # visibility map that lets the name-key index be read without the table.
            engine = runtime.db.engine.execution_options(isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text("VACUUM ANALYZE"))
    finally:
        runtime.close()
    return time.perf_counter() - started


def discard(cache: Path) -> None:
    """Remove every store seeded under ``cache``: its files and its PostgreSQL databases."""
    for record in cache.glob("*/begun.json"):
        database = json.loads(record.read_text()).get("database")
        if database:
            _pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    shutil.rmtree(cache, ignore_errors=True)


def seed_seconds(store: Store) -> float | None:
    """How long the cached store took to seed, when its seeding was completed."""
    path = store.data_dir / "seeded.json"
    return float(json.loads(path.read_text())["seconds"]) if path.exists() else None


# --------------------------------------------------------------------------------------------
# Name search latency
# --------------------------------------------------------------------------------------------


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


def summary(ms: list[float]) -> dict[str, float]:
    """p50, p95 and max of a list of milliseconds."""
    ordered = sorted(ms)
    p95 = ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(ordered[-1], 1),
        "n": len(ordered),
    }


#: The name matcher's memos of a query: emptied before each search of the main figure, since an
#: officer's search is for a name not searched before (a repeated query's scores are memoised,
#: and measuring repeats of a few spellings measured the memo: p95 18 ms at 1,000,000 persons
#: where a new query took several times that).
#: The memo of readings is keyed by the query's canonical form, so a new spelling of a name searched
#: before would find its scores there: it is emptied too.
QUERY_MEMOS = (names.score, names.similarity, names._reading_score, names.name_key_tiers)


def _all_memos() -> list[Any]:
    """Every memo of the name matcher, the per-token ones that a running server keeps warm
    included (emptied for the cold figure: the first searches after a restart)."""
    return [f for f in vars(names).values() if callable(getattr(f, "cache_clear", None))]


def _timed_searches(
    runtime: Runtime, officers: list[Actor], runs: int, memos: list[Any], seed: int
) -> tuple[list[float], list[float], list[int]]:
    rng = random.Random(seed)  # nosec B311 - choosing queries, no secret
    took: list[float] = []
    cpu: list[float] = []
    hits: list[int] = []
    for n in range(runs):
        query, officer = rng.choice(QUERIES), officers[n % 2]
        for memo in memos:
            memo.cache_clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        with UnitOfWork(runtime, write=False) as uow:
            hits.append(len(search_by_name(uow, officer, query, None).hits))
        took.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return took, cpu, hits


def name_search(store: Store, queries: int) -> dict[str, Any]:
    """Latency of name searches through the service, as two officers: ``queries`` new queries
    (the query's memos emptied first), then a quarter as many repeated (nothing emptied) and as
    many cold (every memo emptied)."""
    runtime = open_runtime(store.settings())
    settle_startup_objects()  # as the server does when it starts (kotwal.web.app)
    try:
        officers = [
            _actor(runtime, "HYD-PS-01", Role.SUB_INSPECTOR),
            _actor(runtime, "HYD-D", Role.DISTRICT_CHIEF),
        ]
        # Warm the connection pool, the code paths, and the per-token memos a running server has.
        _timed_searches(runtime, officers, len(QUERIES), [], seed=3)
        took, cpu, hits = _timed_searches(runtime, officers, queries, list(QUERY_MEMOS), 11)
        few = max(2, queries // 4)
        # Repeats before the cold searches: refilling every memo after those sets off full
        # garbage collections, which would fall on the repeats and say nothing about them.
        repeated = _timed_searches(runtime, officers, few, [], 13)[0]
        cold = _timed_searches(runtime, officers, few, _all_memos(), 12)[0]
    finally:
        runtime.close()
    # The CPU this process spent (the database server's own is not in it): on a machine
    # shared with other work it shows what the search costs apart from waiting for a core.
    cpu_figures = summary(cpu)
    figures = summary(took) | {
        "cpu_p50_ms": cpu_figures["p50_ms"],
        "cpu_p95_ms": cpu_figures["p95_ms"],
        "mean_hits": round(statistics.mean(hits), 1),
        "load_average": round(os.getloadavg()[0], 1),
        "cold": summary(cold),
        "repeated": summary(repeated),
    }
    say(f"{store.kind} {store.size:,}: name search {figures}")
    return figures


# --------------------------------------------------------------------------------------------
# Audited reads over HTTP against the real server
# --------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


Login = tuple[str, str, str]  # username, password, TOTP secret


def _enrol(store: Store, officers: int) -> tuple[list[str], list[Login]]:
    """Sub-inspectors at HYD-PS-01 enrolled as ``kotwal demo`` enrols its accounts (password
    and TOTP secret made now); the ids of persons filed at that station."""
    runtime = open_runtime(store.settings())
    logins: list[Login] = []
    try:
        with UnitOfWork(runtime, write=True) as uow:
            station = by_code(uow, "HYD-PS-01")
            assert station is not None
            for n in range(officers):
                username = f"bench.si{n}"
                account, password = identity.create_account(
                    uow,
                    demo.SEEDER,
                    username=username,
                    display_name="bench sub-inspector",
                    roles=frozenset({Role.SUB_INSPECTOR}),
                    jurisdiction_id=station.id,
                )
                secret = pyotp.random_base32()
                account.must_change_password = False  # the one-time password is used as is
                account.totp_secret = secret
                logins.append((username, password, secret))
            ids = list(
                uow.session.execute(
                    select(Person.id).where(Person.station_id == station.id).limit(2000)
                ).scalars()
            )
    finally:
        runtime.close()
    return ids, logins


def _drive(
    base: str, tokens: list[str], paths: list[str], window: tuple[float, float], out: Any
) -> None:
    """One client: GETs in a loop on a kept-alive connection during ``window``, each as one of
    the officers in turn; counts the answers."""
    ok = failed = 0
    begin, end = window
    rng = random.Random(os.getpid())  # nosec B311 - choosing paths, no secret
    headers = [{"authorization": f"Bearer {token}"} for token in tokens]
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            client.get("/healthz")  # connect before the window opens
            time.sleep(max(0.0, begin - time.time()))
            while time.time() < end:
                answer = client.get(rng.choice(paths), headers=headers[ok % len(headers)])
                if answer.status_code == 200:
                    ok += 1
                else:
                    failed += 1
    except Exception as exc:
        out.put((ok, failed, f"{type(exc).__name__}: {exc}"))
        return
    out.put((ok, failed, ""))


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user and system) spent by process ``pid`` and all its descendants, read from
    /proc; with the CPU of their children that have exited and been waited for (cutime and
    cstime), so that a worker process that is replaced keeps its CPU counted. A process that
    vanishes while /proc is read is left out."""
    parents: dict[int, int] = {}
    spent: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            line = stat.read_text()
        except OSError:  # gone since the listing
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after it.
        fields = line[line.rindex(")") + 2 :].split()
        child = int(stat.parent.name)
        parents[child] = int(fields[1])  # field 4
        # Fields 14 to 17: utime, stime, cutime, cstime, in clock ticks.
        spent[child] = sum(int(f) for f in fields[11:15])
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(spent.get(p, 0) for p in tree) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Phase:
    """One load phase: the answers it got, their rate, and the server CPU they cost."""

    answers: int
    per_s: float
    server_cpu_s: float

    @property
    def cpu_ms_per_answer(self) -> float:
        return self.server_cpu_s * 1000 / self.answers


def _rate(
    base: str, tokens: list[str], paths: list[str], clients: int, seconds: float, server: int
) -> Phase:
    """Answers from ``clients`` processes, all loading the server (pid ``server``) at once;
    the server's CPU is taken just before the window opens (the clients have connected) and
    once every answer is in."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    begin = time.time() + 1.0  # the processes start and connect before the window opens
    workers = [
        context.Process(
            target=_drive, args=(base, tokens[n::clients], paths, (begin, begin + seconds), queue)
        )
        for n in range(clients)
    ]
    for worker in workers:
        worker.start()
    time.sleep(max(0.0, begin - 0.05 - time.time()))
    cpu_before = _tree_cpu(server)
    try:
        # A client that died without a word (killed, out of memory) must not hang the bench.
        results: list[tuple[int, int, str]] = [queue.get(timeout=seconds + 90) for _ in workers]
        cpu = _tree_cpu(server) - cpu_before
    except Empty:
        raise RuntimeError(
            f"a load client did not report within {seconds + 90:.0f} s (exit codes: "
            f"{[w.exitcode for w in workers]})"
        ) from None
    finally:
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
    errors = [r[2] for r in results if r[2]]
    if errors:
        raise RuntimeError(f"a load client failed: {errors[0]}")
    ok, failed = sum(r[0] for r in results), sum(r[1] for r in results)
    if failed:
        raise RuntimeError(f"{failed} requests failed during the load (of {ok + failed})")
    if not ok:
        raise RuntimeError("no answer during the load")
    return Phase(answers=ok, per_s=ok / seconds, server_cpu_s=cpu)


@dataclass(frozen=True)
class HttpLoad:
    """How the HTTP measurement loads the server."""

    clients: int = 4
    seconds: float = 10.0
    officers: int = 40
    server_workers: int | None = None  # None: the server's default (one per core)
    wrapper: tuple[str, ...] = ()  # a command the server runs under (a profiler)


def http_reads(store: Store, load: HttpLoad) -> dict[str, Any]:
    """Audited person reads per second and bare health checks per second, one server.

    The server runs on a copy of the store, so the cache keeps no trace of the load. The
    load comes from ``load.officers`` sub-inspectors, each a real login, taking turns, so that
    each officer's trail stays about the size of a working hour's (the budget check reads the
    trail on every read; a sub-inspector is asked to step up after 80 records an hour). The
    breach defences stay on, their accounting part of every read, but the budget is raised out
    of reach so that a faster run does not end in refusals.
    """
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        shutil.copytree(store.data_dir, data_dir)  # the keys, and the SQLite file if any
        if store.kind == "sqlite":
            copy = Store(store.kind, store.size, data_dir, f"sqlite:///{data_dir / 'kotwal.db'}")
            return _serve_and_load(copy, load)
        # PostgreSQL: a database copied from the seeded one, which must have no connection
        # open (every runtime of this process is closed and its engine disposed by now).
        source = make_url(store.url).database
        assert source is not None
        place = source.rsplit("_", 1)[-1]
        database = f"kotwal_bench_http_{os.getpid()}_{place}"
        _pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        _pg_admin(f'CREATE DATABASE "{database}" TEMPLATE "{source}"')
        try:
            copy = Store(store.kind, store.size, data_dir, _pg_url(database))
            return _serve_and_load(copy, load)
        finally:
            _pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _serve_and_load(store: Store, load: HttpLoad) -> dict[str, Any]:
    clients, seconds = load.clients, load.seconds
    ids, logins = _enrol(store, max(load.officers, clients))
    say(f"http: enrolled {len(logins)} sub-inspectors; {len(ids):,} persons at their station")
    for path in store.data_dir.glob("kotwal.db*"):
        path.chmod(0o600)  # as `kotwal init` leaves it: the server refuses a readable database
    port = _free_port()
    workers = ["--workers", str(load.server_workers)] if load.server_workers else []
    out_of_reach = [10**9] * 4
    env = os.environ | {
        "KOTWAL_DATA_DIR": str(store.data_dir),
        "KOTWAL_LOCAL_HTTP": "true",
        "KOTWAL_WATCH_BUDGETS": json.dumps({Role.SUB_INSPECTOR.value: out_of_reach}),
    }
    if store.kind == "sqlite":
        env.pop("KOTWAL_DATABASE_URL", None)  # the server's default: kotwal.db in its data dir
    else:
        env["KOTWAL_DATABASE_URL"] = store.url
    log = store.data_dir / "server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [
                *load.wrapper,
                str(Path(sys.executable).parent / "kotwal"),
                "run",
                # The officers' surface only: the citizens' default port (8100) may be taken,
                # by another bench running beside this one in the test suite.
                "--surface",
                "officers",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *workers,
            ],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base, server, log)
        say("http: the server answers")
        tokens = [_log_in(base, login) for login in logins]
        say("http: logged in with password and TOTP")
        person_paths = [f"/api/v1/persons/{i}" for i in ids]
        reads = _rate(base, tokens, person_paths, clients, seconds, server.pid)
        say(
            f"http: {reads.per_s:,.0f} audited person reads/s with {clients} clients, "
            f"{reads.cpu_ms_per_answer:.2f} ms of server CPU each"
        )
        health = _rate(base, tokens, ["/healthz"], clients, seconds, server.pid)
        say(
            f"http: {health.per_s:,.0f} health answers/s with {clients} clients, "
            f"{health.cpu_ms_per_answer:.2f} ms of server CPU each"
        )
        me = _rate(base, tokens, ["/api/v1/me"], clients, seconds, server.pid)
        say(
            f"http: {me.per_s:,.0f} authenticated /me answers/s with {clients} clients, "
            f"{me.cpu_ms_per_answer:.2f} ms of server CPU each"
        )
    finally:
        _stop(server)
    return {
        "persons": store.size,
        "store": store.kind,
        "clients": clients,
        "seconds": seconds,
        "server_workers": load.server_workers or min(os.cpu_count() or 1, 8),
        "load_average": round(os.getloadavg()[0], 2),
        "officers": len(logins),
        "audited_reads_per_s": round(reads.per_s),
        "health_per_s": round(health.per_s),
        "ratio": round(reads.per_s / health.per_s, 3),
        "authenticated_me_per_s": round(me.per_s),
        "authenticated_ratio": round(me.per_s / health.per_s, 3),
        "server_cpu_ms": {
            "audited_read": round(reads.cpu_ms_per_answer, 2),
            "health": round(health.cpu_ms_per_answer, 2),
            "me": round(me.cpu_ms_per_answer, 2),
        },
    }


def _log_in(base: str, login: Login) -> str:
    username, password, secret = login
    body = {"username": username, "password": password, "totp": pyotp.TOTP(secret).now()}
    answer = httpx.post(f"{base}/api/v1/auth/token", json=body, timeout=60)
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Ctrl-C to the server's whole process group, as a terminal sends it (a profiler the
    server runs under writes its report), then a kill for whatever outlived it: a wrapper that
    exits on Ctrl-C without passing it on left the server's workers running after the bench.
    A server that already stopped (it failed to start) is no error here: the caller's is."""
    try:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)


def _wait_for(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer within 60 s")


# --------------------------------------------------------------------------------------------
# Name matching quality
# --------------------------------------------------------------------------------------------


def quality() -> dict[str, float]:
    """Precision and recall on the labelled lists, computed by bench/names.py's own code."""
    spec = importlib.util.spec_from_file_location("bench_names", ROOT / "bench" / "names.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    figures: dict[str, float] = {}
    for label, filename in module.FILES.items():
        result = module.quality(module.load(filename))
        figures |= {
            f"{label}_precision": round(result.precision, 4),
            f"{label}_recall": round(result.recall, 4),
            f"{label}_key_recall": round(result.key_recall, 4),
        }
    say(f"names: {figures}")
    return figures


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the measurements asked for; print progress to stderr and the JSON line last."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,1000000", help="comma-separated person counts")
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--queries", type=int, default=200, help="name searches per store")
    parser.add_argument("--http-seconds", type=float, default=10.0)
    parser.add_argument("--http-clients", type=int, default=4)
    parser.add_argument(
        "--http-officers", type=int, default=40, help="sub-inspectors logged in for the load"
    )
    parser.add_argument(
        "--server-workers", type=int, default=None, help="server processes (default: per core)"
    )
    parser.add_argument(
        "--http-store",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the store the HTTP measurement serves (seeded if --stores does not list it)",
    )
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP measurement")
    parser.add_argument(
        "--server-wrapper",
        default="",
        help="a command the server runs under, e.g. 'py-spy record -o reads.svg --' to profile",
    )
    default_cache = Path(tempfile.gettempdir()) / "kotwal-bench"
    parser.add_argument("--cache-dir", type=Path, default=default_cache)
    parser.add_argument("--fresh", action="store_true", help="seed anew even if cached")
    parser.add_argument(
        "--discard", action="store_true", help="remove the seeded stores afterwards"
    )
    parser.add_argument(
        "--as-is",
        action="store_true",
        help="measure stores whose seeding was cut short at the size they reached",
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    kinds = [k.strip() for k in args.stores.split(",") if k.strip()]
    args.cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    figures: dict[str, Any] = {"cores": os.cpu_count(), "seed": SEED, "queries": args.queries}
    searches: dict[str, dict[str, Any]] = {kind: {} for kind in kinds}
    seeded: dict[str, dict[str, float | None]] = {kind: {} for kind in kinds}
    figures["name_search"], figures["seed_seconds"] = searches, seeded
    try:
        for size in sizes:
            for kind in kinds:
                store = prepare(kind, size, args.cache_dir, args.fresh, args.as_is)
                seeded[kind][str(store.size)] = seed_seconds(store)
                searches[kind][str(store.size)] = name_search(store, args.queries)
        if not args.no_http:
            # Prepared even when --stores does not list it (reused if already seeded).
            smallest = prepare(args.http_store, sizes[0], args.cache_dir, fresh=False)
            load = HttpLoad(
                clients=args.http_clients,
                seconds=args.http_seconds,
                officers=args.http_officers,
                server_workers=args.server_workers,
                wrapper=tuple(shlex.split(args.server_wrapper)),
            )
            figures["http"] = http_reads(smallest, load)
        figures["names"] = quality()
    finally:  # a failed run (a server that would not start) leaves nothing behind either
        if args.discard:
            discard(args.cache_dir)
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main()
