"""Server time per console page at the demo's size (issue 25): p50 and p95 per page.

Seeds a demo instance (``kotwal demo --size N --no-serve``: every domain's demo data, one
account per role) into a data directory (kept with ``--data-dir`` and reused when it is already
seeded), serves it with ``kotwal run --surface officers`` on a free port, logs each role in
through the console's form (password and TOTP), and requests each page ``--rounds`` times,
one request at a time after two warm-up requests: the start page's dashboards for every role
that has one, the person search, a person's whole record, the overdue reviews, a station, an
officer, the licence list, the alert queue, My activity and the audit log. A page opening
records cycles through the same few records, so the disclosure budgets, which count distinct
records, are not what is measured.

The time is measured at the client over loopback from the request to the last byte: the
server's time plus a loopback round trip (well under a millisecond). Also printed: the load
average, since on a shared machine the clock also measures the wait for a core. The last line
is one JSON object.

    .venv/bin/python bench/console.py [--size 20000] [--rounds 40] [--postgres]
                                      [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import httpx
import pyotp
from sqlalchemy import select

from kotwal.core import identity
from kotwal.core.config import Settings
from kotwal.core.identity import TOTP_STEP, totp_step
from kotwal.core.models import Account
from kotwal.core.runtime import open_runtime
from kotwal.officers.models import Officer
from kotwal.records.models import HistorySheet, Person
from scaffold import scratch_postgres
from scrape import _serving

KOTWAL = str(Path(sys.executable).with_name("kotwal"))
CREDENTIALS = re.compile(r"username: (\S+)\s+role: \S+\s+password: (\S+)\s+totp_secret: (\S+)")
CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
#: Records a page cycles through (few: the budget counts distinct records per hour).
CYCLE = 8
#: Roles whose start page carries dashboards.
DASHBOARDS = ("sho", "acp", "dcp", "hq", "arms", "security", "auditor")


def seed(env: dict[str, str], size: int) -> dict[str, tuple[str, str]]:
    """``kotwal demo`` at ``size`` without serving; the accounts' passwords and TOTP secrets
    (issued anew on every run, which keeps the data)."""
    started = time.perf_counter()
    done = subprocess.run(  # our own command, fixed arguments
        [KOTWAL, "demo", "--size", str(size), "--no-serve"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    print(
        f"demo at {size:,} persons ready in {time.perf_counter() - started:.0f} s", file=sys.stderr
    )
    return {u: (p, s) for u, p, s in CREDENTIALS.findall(done.stdout)}


def login(base: str, username: str, password: str, secret: str) -> httpx.Client:
    """A console session through the login form, as a browser makes one."""
    http = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    form = http.get("/login").text
    csrf = CSRF.search(form)
    assert csrf is not None, "no CSRF field on the login form"
    step = totp_step()
    code = pyotp.TOTP(secret).at(step * TOTP_STEP)
    r = http.post(
        "/login",
        data={"username": username, "password": password, "totp": code, "csrf_token": csrf[1]},
    )
    if r.status_code != 303:
        raise SystemExit(f"{username} could not log in: {r.status_code} {r.text[:300]}")
    return http


def targets(settings: Settings) -> dict[str, Any]:
    """Records to open, inside the demo station house officer's station."""
    runtime = open_runtime(settings)
    try:
        with runtime.db.transaction(write=False) as session:
            sho = session.execute(
                select(Account.id).where(Account.username == "demo.sho")
            ).scalar_one()
            (path,) = identity.jurisdiction_paths(session, sho)
            station = path.rstrip("/").rsplit("/", 1)[-1]
            persons = list(
                session.scalars(
                    select(HistorySheet.person_id)
                    .where(HistorySheet.jurisdiction_path.startswith(path))
                    .limit(CYCLE)
                )
            )
            if len(persons) < CYCLE:
                persons += list(
                    session.scalars(
                        select(Person.id)
                        .where(Person.jurisdiction_path.startswith(path))
                        .limit(CYCLE)
                    )
                )
            officers = list(
                session.scalars(select(Officer.id).where(Officer.unit_id == station).limit(CYCLE))
            )
            name = session.scalars(
                select(Person.name).where(Person.jurisdiction_path.startswith(path)).limit(1)
            ).one()
    finally:
        runtime.close()
    return {
        "station": station,
        "persons": persons[:CYCLE],
        "officers": officers,
        "surname": name.split()[-1],
    }


def pages(t: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(page name, role, the paths it cycles through)."""
    out = [(f"home:{role}", role, ["/"]) for role in DASHBOARDS]
    out += [
        ("person", "sho", [f"/persons/{p}" for p in t["persons"]]),
        ("person_search", "si", [f"/persons?name={t['surname']}"]),
        ("overdue_reviews", "sho", ["/history-sheets/overdue"]),
        ("station", "sho", [f"/stations/{t['station']}"]),
        # A district chief's budget: the station house officer's hour is spent on the pages
        # above (each person's page releases the record and its sheets, cases and licences).
        ("officer", "dcp", [f"/officers/{o}" for o in t["officers"]] or ["/officers"]),
        ("licences", "arms", ["/arms/licences"]),
        ("alerts", "security", ["/security/alerts"]),
        ("my_activity", "si", ["/account/activity"]),
        ("audit_log", "auditor", ["/audit"]),
    ]
    return out


def measure(http: httpx.Client, paths: list[str], rounds: int) -> dict[str, Any]:
    """p50 and p95 in ms of ``rounds`` requests cycling through ``paths``, after warming up;
    a page that answers other than 200 (a step-up asked by the budget) is reported as such."""
    for path in paths[:2]:
        warm = http.get(path)
        if warm.status_code != 200:
            return {"status": warm.status_code, "location": warm.headers.get("location", "")}
    times = []
    for i in range(rounds):
        t0 = time.perf_counter()
        r = http.get(paths[i % len(paths)])
        times.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            return {"status": r.status_code, "location": r.headers.get("location", "")}
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(int(len(times) * 0.95) - 1, 0)], 1),
    }


def run(args: argparse.Namespace, env: dict[str, str], data_dir: Path) -> dict[str, Any]:
    accounts = seed(env, args.size)
    settings = Settings(data_dir=data_dir, database_url=env.get("KOTWAL_DATABASE_URL"))
    t = targets(settings)
    results: dict[str, Any] = {}
    with _serving(env) as base:
        sessions: dict[str, httpx.Client] = {}
        for page, role, paths in pages(t):
            if role not in sessions:
                password, secret = accounts[f"demo.{role}"]
                sessions[role] = login(base, f"demo.{role}", password, secret)
            results[page] = measure(sessions[role], paths, args.rounds)
            print(
                f"{page:18} {role:9} p50 {results[page]['p50_ms']:7.1f} ms  "
                f"p95 {results[page]['p95_ms']:7.1f} ms",
                file=sys.stderr,
            )
        for http in sessions.values():
            http.close()
    measured = {k: v for k, v in results.items() if "p95_ms" in v}
    worst = max(measured.items(), key=lambda kv: kv[1]["p95_ms"])
    return {
        "bench": "console",
        "store": "postgresql" if args.postgres else "sqlite",
        "persons": args.size,
        "rounds": args.rounds,
        "pages": results,
        "worst_p95": {"page": worst[0], "ms": worst[1]["p95_ms"]},
        "target_p95_ms": 100,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--data-dir", type=Path, help="keep the seeded demo here (SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kotwal-console-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        env = {
            **os.environ,
            "KOTWAL_DATA_DIR": str(data_dir),
            "KOTWAL_LOCAL_HTTP": "true",
            "KOTWAL_DEMO": "true",
        }
        for name in ("KOTWAL_KEK", "KOTWAL_AUDIT_KEY", "KOTWAL_INDEX_KEY", "KOTWAL_DATABASE_URL"):
            env.pop(name, None)
        with scratch_postgres("console") if args.postgres else nullcontext(None) as url:
            if url is not None:
                env["KOTWAL_DATABASE_URL"] = url
            result = run(args, env, data_dir)
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
