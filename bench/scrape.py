"""The scraping attack of issue 4, point 1, against a real server: how many protected records
does a valid constable session carry away before it is cut off? And (issue 18) a station house
officer, a district chief and state headquarters, each through exports and then the API.

Seeds a demo instance (``kotwal.demo``: 30 stations, synthetic persons, one account per role)
into a temporary data directory, starts ``kotwal run`` in a subprocess, and then plays the
attacker with the constable's password *and* authenticator (the worst case: it steps up
whenever asked):

1. through the JSON API: search every common given name (50 hits a page) and open each hit;
2. the security officer logs in, reads the alert (account, records, timeline, signals) and
   lifts the suspension with a reason;
3. through the console pages, as a browser would: log in, search, open each person.

Before that it measures what the budget check costs: a district chief opens the same 100
records, well under budget, on a server with the breach defences off and then on.

"protected" counts the records whose protected fields (the name, at least) some answer carried
readable: the figure the budget caps. "any" also counts records seen only as a masked row
outside the constable's jurisdiction (identifier and station: public fields, not charged).
Prints one line per path; the last line is one JSON object.

    .venv/bin/python bench/scrape.py [--persons 6000] [--postgres]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyotp
from sqlalchemy import select

from kotwal import demo
from kotwal.core.config import Settings
from kotwal.core.identity import TOTP_STEP, totp_step
from kotwal.core.policy import Jurisdiction
from kotwal.core.runtime import open_runtime
from kotwal.records.models import Person
from scaffold import scratch_postgres

KOTWAL = str(Path(sys.executable).with_name("kotwal"))
LINK = re.compile(r'href="/persons/([0-9a-f-]{36})"')
LISTED_NAME = re.compile(r'href="/persons/([0-9a-f-]{36})">([^<]+)</a>')
#: The crawler starts from common words of Telangana names and then searches every word of
#: every name it is shown.
SHOWN_TEXT = re.compile(r"<(?:h1|dd)>([^<]+)</(?:h1|dd)>")
COST_SAMPLE = 100
#: A server's start and stop on a busy 2-core machine (the face models load at start).
STARTUP_SECONDS = 240
#: A made-up FIR number is refused (a purpose names a registered case); an attacker's best is a
#: reason that nothing checks, which puts every read before a supervisor (watch_purpose_reads).
PURPOSE = "complaint: enquiry into a petition"
# A table of data, aligned by hand: it reads better in rows than one item a line.
SEED_QUERIES = ("Goud", "Chary", "Naidu", "Reddy", "Kumari", "Naik", "Rao", "Kumar", "Srinivas",
                "Lakshmi", "Mohammed", "Ravi")  # fmt: skip
CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@dataclass
class Authenticator:
    """The attacker's copy of the constable's TOTP app: each code once, newest step."""

    secret: str
    last: int = 0

    def code(self) -> str:
        while max(totp_step() - 1, self.last + 1) > totp_step() + 1:
            time.sleep(TOTP_STEP - time.time() % TOTP_STEP + 0.05)
        step = max(totp_step() - 1, self.last + 1)
        self.last = step
        return str(pyotp.TOTP(self.secret).at(step * TOTP_STEP))


@dataclass
class Haul:
    """What one path of the attack obtained."""

    obtained: set[str] = field(default_factory=set)
    unmasked: set[str] = field(default_factory=set)
    requests: int = 0
    step_ups: int = 0
    stopped_by: str = ""

    def take(self, record: dict[str, Any]) -> None:
        self.obtained.add(str(record["id"]))
        if isinstance(record.get("name"), str):
            self.unmasked.add(str(record["id"]))

    def summary(self) -> dict[str, Any]:
        return {
            "protected": len(self.unmasked),
            "any": len(self.obtained),
            "requests": self.requests,
            "step_ups": self.step_ups,
            "stopped_by": self.stopped_by,
        }


class Crawl:
    """The queue of name words still to search for."""

    def __init__(self) -> None:
        self.todo = list(SEED_QUERIES)
        self.seen = {q.lower() for q in self.todo}

    def add(self, names: list[str]) -> None:
        for name in names:
            for word in name.split():
                if len(word) >= 3 and word.isalpha() and word.lower() not in self.seen:
                    self.seen.add(word.lower())
                    self.todo.append(word)


def _problem(r: httpx.Response) -> str:
    if r.headers.get("content-type", "").startswith("application/problem+json"):
        return str(r.json().get("type", "")).rsplit(":", 1)[-1]
    return ""


def _login(http: httpx.Client, username: str, password: str, totp: Authenticator) -> httpx.Response:
    body = {"username": username, "password": password, "totp": totp.code()}
    r = http.post("/api/v1/auth/token", json=body)
    r.raise_for_status()
    return r


def scrape_api(base: str, username: str, password: str, totp: Authenticator) -> Haul:
    """Crawl the name search from a few common words, open every hit, step up when asked."""
    haul = Haul()
    with httpx.Client(base_url=base, timeout=30) as http:
        login = _login(http, username, password, totp)
        auth = {"authorization": f"Bearer {login.json()['access_token']}"}

        def get(url: str, **params: Any) -> httpx.Response:
            r = http.get(url, params=params, headers=auth)
            haul.requests += 1
            if _problem(r) == "step-up-required":
                s = http.post("/api/v1/session/step-up", json={"totp": totp.code()}, headers=auth)
                haul.requests += 1
                haul.step_ups += int(s.status_code == 204)
                r = http.get(url, params=params, headers=auth)
                haul.requests += 1
            if r.status_code != 200 and not haul.stopped_by:
                haul.stopped_by = f"{r.status_code} {_problem(r)}"
            return r

        crawl = Crawl()
        while crawl.todo:
            # With a made-up purpose (the worst case): without one, matches outside the
            # account's jurisdiction are only counted.
            r = get("/api/v1/persons/search", name=crawl.todo.pop(0), limit=50, purpose=PURPOSE)
            if r.status_code != 200:
                break
            hits = [h["person"] for h in r.json()["items"]]
            crawl.add([p["name"] for p in hits if isinstance(p["name"], str)])
            for person in hits:
                haul.take(person)
            for person in hits:
                # A masked hit (another station) is opened with a made-up purpose: the worst
                # case, since a declared purpose releases the record up to the reader's clearance.
                extra = {} if isinstance(person["name"], str) else {"purpose": PURPOSE}
                r = get(f"/api/v1/persons/{person['id']}", **extra)
                if r.status_code != 200:
                    break
                haul.take(r.json())
                crawl.add(
                    [r.json()[k] for k in ("name", "father_name") if isinstance(r.json()[k], str)]
                )
            if haul.stopped_by:
                break
    return haul


def exports(base: str, username: str, password: str, totp: Authenticator) -> Haul:
    """Export every station of the account's jurisdiction, then the whole of it, one after
    another until refused: the bulk path of the 2024 breach with a higher-ranked credential."""
    haul = Haul()
    with httpx.Client(base_url=base, timeout=120) as http:
        login = _login(http, username, password, totp)
        auth = {"authorization": f"Bearer {login.json()['access_token']}"}
        places = http.get("/api/v1/jurisdictions", headers=auth).json()
        codes = [p["code"] for p in places if p["kind"] == "station"] + [None]
        for code in codes:
            body = {"purpose": PURPOSE, **({"station_code": code} if code else {})}
            r = http.post("/api/v1/persons/export", json=body, headers=auth)
            haul.requests += 1
            if r.status_code == 403 and code is not None and _problem(r) == "forbidden":
                continue  # a station outside the account's jurisdiction
            if r.status_code != 200:
                haul.stopped_by = f"{r.status_code} {_problem(r)}"
                break
            # An export carries no ids: a row is known by all its values (a decoy row counts
            # as a record too, as the thief cannot tell them apart).
            for row in csv.DictReader(io.StringIO(r.text.removeprefix("\ufeff"))):
                key = "\x1f".join(row.values())
                haul.obtained.add(key)
                if row.get("name") and row["name"] != "[masked]":
                    haul.unmasked.add(key)
    return haul


def scrape_console(base: str, username: str, password: str, totp: Authenticator) -> Haul:
    """The same collection through the console's HTML pages, with a browser's cookies."""
    haul = Haul()
    with httpx.Client(base_url=base, timeout=30) as http:
        page = http.get("/login").text
        token = CSRF.search(page)
        assert token
        form = {
            "username": username,
            "password": password,
            "totp": totp.code(),
            "csrf_token": token.group(1),
        }
        r = http.post("/login", data=form)
        assert r.status_code == 303, r.text

        def page_of(url: str, retry: bool = True) -> str | None:
            r = http.get(url)
            haul.requests += 1
            if r.status_code == 303 and r.headers["location"] == "/step-up":
                form = CSRF.search(http.get("/step-up").text)
                assert form
                s = http.post("/step-up", data={"totp": totp.code(), "csrf_token": form.group(1)})
                haul.step_ups += int(s.status_code == 303)
                r = http.get(url)
                haul.requests += 3
            if r.status_code != 200:
                haul.stopped_by = haul.stopped_by or f"{r.status_code} {r.headers.get('location')}"
                return None
            if 'class="error" role="alert"' in r.text:  # a refusal shown in the search page
                return page_of(url, retry=False) if retry else None
            return r.text

        crawl = Crawl()
        while crawl.todo:
            listing = page_of(f"/persons?name={crawl.todo.pop(0)}")
            if listing is None:
                break
            listed = LISTED_NAME.findall(listing)
            crawl.add([name for _, name in listed])
            haul.unmasked.update(person_id for person_id, _ in listed)
            named = {person_id for person_id, _ in listed}
            for person_id in dict.fromkeys(LINK.findall(listing)):
                haul.obtained.add(person_id)
                query = "" if person_id in named else f"?purpose={PURPOSE.replace(' ', '+')}"
                opened = page_of(f"/persons/{person_id}{query}")
                if opened is None:
                    break
                crawl.add(SHOWN_TEXT.findall(opened))
                heading = opened.split("<h1>", 1)[-1].split("</h1>", 1)[0]
                if heading != "Person":  # the name is readable, not masked
                    haul.unmasked.add(person_id)
            if haul.stopped_by:
                break
    return haul


def review(base: str, username: str, password: str, totp: Authenticator) -> dict[str, Any]:
    """The security officer's side: the queue, the suspension alert's detail, the lift."""
    with httpx.Client(base_url=base, timeout=30) as http:
        login = _login(http, username, password, totp)
        auth = {"authorization": f"Bearer {login.json()['access_token']}"}
        queue = http.get("/api/v1/security/alerts", params={"status": "open"}, headers=auth).json()
        suspend = next((a for a in queue["items"] if a["action"] == "suspend"), None)
        if suspend is None:
            return {"alerts": len(queue["items"]), "suspension_alert": False}
        detail = http.get(f"/api/v1/security/alerts/{suspend['id']}", headers=auth).json()
        lifted = http.post(
            f"/api/v1/security/alerts/{suspend['id']}/lift",
            json={"reason": "bench/scrape.py: lifted to run the console path"},
            headers=auth,
        )
        return {
            "alerts": len(queue["items"]),
            "suspension_alert": True,
            "account": detail["username"],
            "records_named": len(detail["records"]),
            "withheld": sum(1 for r in detail["records"] if r["withheld"]),
            "timeline_entries": len(detail["timeline"]),
            "signals": [s["name"] for s in detail["signals"]],
            "lifted": lifted.status_code == 200,
        }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited during start-up ({server.returncode})")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not start in {STARTUP_SECONDS} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kotwal-scrape-") as tmp:
        data_dir = Path(tmp) / "data"
        env = {
            **os.environ,
            "KOTWAL_DATA_DIR": str(data_dir),
            "KOTWAL_LOCAL_HTTP": "true",
            "KOTWAL_DEMO": "true",
        }
        for name in ("KOTWAL_KEK", "KOTWAL_AUDIT_KEY", "KOTWAL_INDEX_KEY", "KOTWAL_DATABASE_URL"):
            env.pop(name, None)
        with scratch_postgres("scrape") if args.postgres else nullcontext(None) as url:
            if url is not None:
                env["KOTWAL_DATABASE_URL"] = url
            result = _run(args, env, data_dir)
    print(json.dumps(result, sort_keys=True))


@contextmanager
def _serving(env: dict[str, str]) -> Iterator[str]:
    """``kotwal run`` in a subprocess on a free port; yields its base URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(env["KOTWAL_DATA_DIR"]).parent / f"server-{port}.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(  # our own command, fixed arguments
            [KOTWAL, "run", "--surface", "officers", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        try:
            _wait(base, server)
        except SystemExit:
            print(log.read_text()[-3000:], file=sys.stderr)
            raise
        yield base
    finally:
        server.terminate()
        server.wait(timeout=STARTUP_SECONDS)


def open_latency(base: str, account: Any, totp: Authenticator, ids: list[str]) -> dict[str, float]:
    """Median and 95th percentile, in ms, of opening each record once (under any budget)."""
    times: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as http:
        token = _login(http, account.username, account.password, totp)
        auth = {"authorization": f"Bearer {token.json()['access_token']}"}
        for person_id in ids:
            t0 = time.perf_counter()
            r = http.get(f"/api/v1/persons/{person_id}", headers=auth)
            times.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
    }


def _run(args: argparse.Namespace, env: dict[str, str], data_dir: Path) -> dict[str, Any]:
    subprocess.run([KOTWAL, "init"], env=env, check=True, capture_output=True)
    settings = Settings(data_dir=data_dir, database_url=env.get("KOTWAL_DATABASE_URL"))
    runtime = open_runtime(settings)
    try:
        started = time.perf_counter()
        stations = demo.build_tree(runtime)
        demo.seed_persons(runtime, stations, args.persons, args.seed)
        accounts = {a.username: a for a in demo.create_accounts(runtime)}
        seeded = time.perf_counter() - started
        with runtime.db.transaction(write=False) as session:
            district = session.scalars(
                select(Jurisdiction.path).where(Jurisdiction.code == "HYD-D")
            ).one()
            sample = list(
                session.scalars(
                    select(Person.id)
                    .where(Person.jurisdiction_path.startswith(district))
                    .order_by(Person.id)
                    .limit(COST_SAMPLE)
                )
            )
    finally:
        runtime.close()
    constable = accounts[demo.DEMO_PREFIX + "constable"]
    security = accounts[demo.DEMO_PREFIX + "security"]
    chief = accounts[demo.DEMO_PREFIX + "dcp"]
    chief_totp = Authenticator(chief.totp_secret)
    # The cost of charging budgets: a district chief opens the same records, under budget,
    # with the breach defences off and then on (two servers, one after the other).
    with _serving({**env, "KOTWAL_WATCH_ENABLED": "false"}) as base:
        without = open_latency(base, chief, chief_totp, sample)
    with _serving(env) as base:
        with_watch = open_latency(base, chief, chief_totp, sample)
        print(
            f"Cost:    opening a record p50 {without['p50_ms']} ms without the budget check, "
            f"{with_watch['p50_ms']} ms with it ({len(sample)} records)"
        )
        totp = Authenticator(constable.totp_secret)
        officer_totp = Authenticator(security.totp_secret)
        t0 = time.perf_counter()
        api = scrape_api(base, constable.username, constable.password, totp)
        api_seconds = time.perf_counter() - t0
        print(
            f"API:     {len(api.unmasked)} protected records obtained ({len(api.obtained)} any) "
            f"in {api.requests} requests, {api_seconds:.1f} s; stopped by {api.stopped_by}"
        )
        reviewed = review(base, security.username, security.password, officer_totp)
        print(f"Review:  {reviewed}")
        t0 = time.perf_counter()
        console = scrape_console(base, constable.username, constable.password, totp)
        console_seconds = time.perf_counter() - t0
        print(
            f"Console: {len(console.unmasked)} protected records obtained "
            f"({len(console.obtained)} any) in {console.requests} requests, "
            f"{console_seconds:.1f} s; stopped by {console.stopped_by}"
        )
        second = review(base, security.username, security.password, officer_totp)
        ranks = _higher_ranks(base, accounts)
    return {
        "per_role": ranks,
        "protected_records_before_cut_off": {
            "api": len(api.unmasked),
            "console": len(console.unmasked),
        },
        "database": "postgresql" if args.postgres else "sqlite",
        "persons": args.persons,
        "seed_seconds": round(seeded, 1),
        "api": {**api.summary(), "seconds": round(api_seconds, 1)},
        "console": {**console.summary(), "seconds": round(console_seconds, 1)},
        "review_after_api": reviewed,
        "review_after_console": second,
        "open_record_without_watch": without,
        "open_record_with_watch": with_watch,
        "cores": os.cpu_count(),
    }


#: The higher-ranked credentials of the outside attack (issue 18): each is stolen with its
#: authenticator and plays every bulk channel, exports first.
RANKS = ("sho", "dcp", "hq")


def _higher_ranks(base: str, accounts: dict[str, Any]) -> dict[str, Any]:
    """Per role: records carried away by exports, then by the API crawl, together."""
    out: dict[str, Any] = {}
    for name in RANKS:
        account = accounts[demo.DEMO_PREFIX + name]
        totp = Authenticator(account.totp_secret)
        bulk = exports(base, account.username, account.password, totp)
        crawl = scrape_api(base, account.username, account.password, totp)
        # Export rows are known by their values, API records by id: the union over-counts
        # a record got both ways, so this is an upper bound.
        protected = bulk.unmasked | crawl.unmasked
        out[name] = {
            "protected": len(protected),
            "export_rows_protected": len(bulk.unmasked),
            "export_stopped_by": bulk.stopped_by,
            "api_protected": len(crawl.unmasked),
            "api_stopped_by": crawl.stopped_by,
        }
        print(
            f"{name.upper():8} {len(protected)} protected records ({len(bulk.unmasked)} by "
            f"export, stopped by {bulk.stopped_by or 'nothing'}; {len(crawl.unmasked)} by the "
            f"API, stopped by {crawl.stopped_by or 'nothing'})"
        )
    return out


if __name__ == "__main__":
    main()
