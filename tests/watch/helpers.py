"""Helpers for the breach-defence tests: persons filed in bulk without being disclosed (as
the demo seeds them), and a scraper that collects what the API hands out."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from kotwal.core.policy import Actor, Jurisdiction, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.demo import synthetic_person
from kotwal.records.service import file_persons
from tests.factories import Officer
from tests.helpers import console_login, csrf_token


def seed_persons(runtime: Runtime, station_id: str, count: int, seed: int = 7) -> list[str]:
    """File ``count`` synthetic persons at a station; nothing is disclosed to anyone."""
    rng = random.Random(seed)  # reproducible fake data, no secret
    with UnitOfWork(runtime, write=True) as uow:
        people = [synthetic_person(rng, station_id, n) for n in range(count)]
        return [p.id for p in file_persons(uow, filer(uow, station_id), people)]


def filer(uow: UnitOfWork, station_id: str) -> Actor:
    """The seeding command's actor: may file at ``station_id`` and has no budget."""
    station = uow.session.get(Jurisdiction, station_id)
    assert station is not None
    return Actor(
        account_id=None,
        username="cli:test-seed",
        roles=frozenset({Role.HEAD_CONSTABLE}),
        jurisdiction_paths=(station.path,),
    )


def problem_type(response: Any) -> str:
    """The problem type slug of a problem+json answer ("" for anything else)."""
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return ""
    return str(response.json().get("type", "")).rsplit(":", 1)[-1]


@dataclass
class Scrape:
    """What a scraper obtained and how it was stopped."""

    obtained: set[str] = field(default_factory=set)
    requests: int = 0
    stopped_by: list[tuple[int, str]] = field(default_factory=list)


def scrape_api(
    client: TestClient, officer: Officer, *, step_up: bool = True, max_requests: int = 600
) -> Scrape:
    """A script with a valid session tries to collect every person: it searches for every
    common given name and opens each hit; asked to step up, it enters a fresh TOTP code (the
    worst case: the attacker holds the authenticator too). It stops once it is refused."""
    out = Scrape()
    todo = list(SEED_QUERIES)
    seen = {q.lower() for q in todo}
    while todo:
        query = todo.pop(0)
        r = _get(
            client, officer, out, "/api/v1/persons/search", {"name": query, "limit": 50}, step_up
        )
        hits = _take(out, r, lambda body: [h["person"] for h in body["items"]])
        if r.status_code == 200:
            todo += queries(seen, _words([h["person"] for h in r.json()["items"]]))
        for person_id in hits:
            if out.stopped_by or out.requests >= max_requests:
                return out
            r = _get(client, officer, out, f"/api/v1/persons/{person_id}", None, step_up)
            _take(out, r, lambda body: [body])
            if r.status_code == 200:
                todo += queries(seen, _words([r.json()]))
        if out.stopped_by or out.requests >= max_requests:
            return out
    return out


def _words(records: list[dict[str, Any]]) -> list[str]:
    """The readable names in records (name and father's name) to crawl on."""
    return [
        str(r[key])
        for r in records
        for key in ("name", "father_name")
        if isinstance(r.get(key), str)
    ]


def _get(
    client: TestClient,
    officer: Officer,
    out: Scrape,
    url: str,
    params: dict[str, Any] | None,
    step_up: bool,
) -> Any:
    r = client.get(url, params=params, headers=officer.bearer)
    out.requests += 1
    if step_up and problem_type(r) == "step-up-required":
        s = client.post(
            "/api/v1/session/step-up", json={"totp": officer.totp()}, headers=officer.bearer
        )
        out.requests += 1
        if s.status_code == 204:
            r = client.get(url, params=params, headers=officer.bearer)
            out.requests += 1
    return r


def _take(out: Scrape, r: Any, rows: Any) -> list[str]:
    if r.status_code == 200:
        records = rows(r.json())
        # Obtained: a record whose protected fields (its name, at least) came back readable.
        out.obtained.update(str(p["id"]) for p in records if isinstance(p.get("name"), str))
        return [str(p["id"]) for p in records]
    out.stopped_by.append((r.status_code, problem_type(r)))
    return []


#: Where a crawler starts: common words of Telangana names. It then searches for every word of
#: every name it is shown, as a real scraper would, so it does not depend on the demo's lists.
SEED_QUERIES = (
    "Goud",
    "Chary",
    "Naidu",
    "Reddy",
    "Kumari",
    "Naik",
    "Rao",
    "Kumar",
    "Srinivas",
    "Lakshmi",
    "Mohammed",
    "Ravi",
)


def queries(seen: set[str], names: list[str]) -> list[str]:
    """New words to search for, taken from the names a listing showed."""
    fresh = []
    for name in names:
        for word in name.split():
            if len(word) >= 3 and word.isalpha() and word.lower() not in seen:
                seen.add(word.lower())
                fresh.append(word)
    return fresh


_PERSON_LINK = re.compile(r'href="/persons/([0-9a-f-]{36})"')
_LISTED_NAME = re.compile(r'href="/persons/([0-9a-f-]{36})">([^<]+)</a>')
_SHOWN_TEXT = re.compile(r"<(?:h1|dd)>([^<]+)</(?:h1|dd)>")


def scrape_console(client: TestClient, officer: Officer, *, max_requests: int = 600) -> Scrape:
    """The same collection through the console's pages: search each common given name, open
    every person linked from the results, step up when sent to the step-up page. A record
    counts as obtained when its page opened or its name was listed."""
    out = Scrape()
    console_login(client, officer)
    todo = list(SEED_QUERIES)
    seen = {q.lower() for q in todo}
    while todo:
        page = _page(client, officer, out, f"/persons?name={todo.pop(0)}")
        if page is None:
            return out
        listed = _LISTED_NAME.findall(page)
        todo += queries(seen, [name for _, name in listed])
        out.obtained.update(person_id for person_id, _ in listed)  # names readable in the list
        for person_id in dict.fromkeys(_PERSON_LINK.findall(page)):
            if out.requests >= max_requests:
                return out
            opened = _page(client, officer, out, f"/persons/{person_id}")
            if opened is None:
                return out
            todo += queries(seen, _SHOWN_TEXT.findall(opened))
    return out


def _page(
    client: TestClient, officer: Officer, out: Scrape, url: str, retry: bool = True
) -> str | None:
    r = client.get(url, follow_redirects=False)
    out.requests += 1
    if r.status_code == 303 and r.headers["location"] == "/step-up":
        csrf = csrf_token(client.get("/step-up").text)
        client.post(
            "/step-up", data={"totp": officer.totp(), "csrf_token": csrf}, follow_redirects=False
        )
        r = client.get(url, follow_redirects=False)
        out.requests += 2
    if r.status_code != 200:
        out.stopped_by.append((r.status_code, r.headers.get("location", "")))
        return None
    if 'class="error" role="alert"' in r.text:
        # The search page reports a refusal in place of results (step-up or suspension):
        # the scraper tries again, which meets the step-up page or the login form.
        if retry:
            return _page(client, officer, out, url, retry=False)
        out.stopped_by.append((r.status_code, "refused in page"))
        return None
    return str(r.text)
