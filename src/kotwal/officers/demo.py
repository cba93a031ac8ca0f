"""The force part of `kotwal demo`: 300 synthetic officers with ranks and posting histories, a
station house officer for every demo station, and station profiles (address, phone, location).

Everything is generated from the seed, so two runs with the same seed give the same force.
The data is visibly synthetic: belt numbers begin ``DEMO-``, phones sit in the unallocated
90000 range, e-mail addresses end in ``.invalid`` and addresses are in "Demo Colony". Names are
common Telugu and Urdu names combined at random; no real officer's data is used. Officers are
entered through the force service, so the seeding is audited like any other entry.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from kotwal.core import identity
from kotwal.core.jurisdictions import by_code
from kotwal.core.policy import Actor, Jurisdiction, JurisdictionKind, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.demo import STATE_CODE
from kotwal.manifest import DemoContext
from kotwal.officers import service
from kotwal.officers.models import Officer
from kotwal.officers.schemas import (
    EarlierPosting,
    OfficerCreate,
    OfficerUpdate,
    Rank,
    StationProfileCreate,
)

OFFICERS = 300

#: Common given names and family names (Latin script), combined at random.
# A table of data, aligned by hand: it reads better in rows than one item a line.
GIVEN = ["Srinivas", "Ravi", "Ramesh", "Suresh", "Mahesh", "Naresh", "Venkatesh", "Lakshmi",
         "Sravani", "Swapna", "Anil", "Sunil", "Kiran", "Prasad", "Raju", "Krishna", "Madhavi",
         "Padma", "Rajesh", "Srikanth", "Praveen", "Imran", "Salma", "Yousuf", "Ravi Kumar",
         "Sai Kiran", "Anjaiah", "Mallesh", "Shankar", "Sridevi"]  # fmt: skip
# A table of data, aligned by hand: it reads better in rows than one item a line.
SURNAMES = ["Kommu", "Bandi", "Gollapudi", "Reddy", "Naidu", "Goud", "Yadav", "Chary", "Varma",
            "Pasupuleti", "Kandula", "Boddu", "Mekala", "Peddi", "Thota", "Chinthala", "Shaik",
            "Mohammed", "Rathod", "Kethavath"]  # fmt: skip

#: A station's strength in the demo: (rank, belt prefix, post), the first being its SHO.
STRENGTH: list[tuple[Rank, str, str]] = [
    (Rank.INSPECTOR, "CI", "Station House Officer"),
    (Rank.SUB_INSPECTOR, "SI", "Sub-Inspector (Law and Order)"),
    (Rank.SUB_INSPECTOR, "SI", "Sub-Inspector (Crime)"),
    (Rank.ASI, "ASI", "Assistant Sub-Inspector"),
    (Rank.HEAD_CONSTABLE, "HC", "Station Writer"),
    (Rank.HEAD_CONSTABLE, "HC", "Beat in-charge"),
    (Rank.CONSTABLE, "PC", "Beat constable"),
    (Rank.CONSTABLE, "PC", "Beat constable"),
    (Rank.CONSTABLE, "PC", "Court duty"),
    (Rank.CONSTABLE, "PC", "Blue Colts patrol"),
]

#: Where each demo commissionerate's stations lie (around the city, WGS 84).
CENTRES: dict[str, tuple[float, float]] = {
    "HYD": (17.385, 78.4867),
    "CYB": (17.447, 78.376),
    "WGL": (17.969, 79.594),
}
#: A box around Telangana: every demo location falls inside it.
LATITUDES, LONGITUDES = (15.8, 19.95), (77.2, 81.35)
#: Postings in the demo end before this day, so none lies in the future whenever it is run.
LATEST_START = date(2025, 12, 31)


@dataclass(frozen=True)
class DemoOfficer:
    """One made-up officer: what to enter, and whether they command their station."""

    entry: OfficerCreate
    commands: bool


def _name(rng: random.Random) -> str:
    given, surname = rng.choice(GIVEN), rng.choice(SURNAMES)
    return f"{surname} {given}" if rng.random() < 0.6 else f"{given} {surname}"


def _career(
    rng: random.Random, stations: list[str], here: str, posted_on: date
) -> list[EarlierPosting]:
    """Up to three earlier postings at other stations, back to back, ending the day before
    the current one began."""
    earlier: list[EarlierPosting] = []
    end = posted_on - timedelta(days=1)
    for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
        start = end - timedelta(days=rng.randint(365, 3 * 365))
        unit = rng.choice([s for s in stations if s != here])
        earlier.append(EarlierPosting(unit_id=unit, from_date=start, to_date=end))
        end = start - timedelta(days=1)
    return earlier


def synthetic_officer(
    rng: random.Random, stations: list[str], station_index: int, slot: int, n: int
) -> DemoOfficer:
    """The ``slot``-th officer of a station; the same ``rng`` state gives the same officer."""
    rank, prefix, post = STRENGTH[slot % len(STRENGTH)]
    here = stations[station_index]
    posted_on = LATEST_START - timedelta(days=rng.randint(0, 3 * 365))
    belt = f"DEMO-{prefix}-{n + 1:04d}"
    entry = OfficerCreate(
        name=_name(rng),
        rank=rank,
        belt_number=belt,
        unit_id=here,
        post=post,
        posted_on=posted_on,
        earlier_postings=_career(rng, stations, here, posted_on),
        official_phone=f"90001{n:05d}",
        official_email=f"{belt.lower()}@police.demo.invalid",
        personal_phone=f"90002{rng.randrange(100000):05d}",
        personal_address=f"Qtr. No. {rng.randint(1, 400)}, Police Lines, Demo Colony {n % 97}",
    )
    return DemoOfficer(entry, commands=slot == 0)


@dataclass(frozen=True)
class StationNode:
    """A demo station as read from the tree (plain values, usable after the read ends)."""

    id: str
    code: str
    name: str


def station_profile(
    rng: random.Random, node: StationNode, index: int, sho_id: str | None
) -> StationProfileCreate:
    """A station's made-up address, phone and location near its commissionerate's city."""
    lat, lon = CENTRES.get(node.code.split("-")[0], (17.385, 78.4867))
    place = node.name.removesuffix(" Police Station")
    return StationProfileCreate(
        station_id=node.id,
        address=f"H.No. {rng.randint(1, 20)}-{rng.randint(1, 300)}, Station Road, {place}, "
        f"Demo Colony {index}",
        phone=f"90003{index:05d}",
        latitude=round(min(max(lat + rng.uniform(-0.08, 0.08), LATITUDES[0]), LATITUDES[1]), 5),
        longitude=round(min(max(lon + rng.uniform(-0.08, 0.08), LONGITUDES[0]), LONGITUDES[1]), 5),
        sho_officer_id=sho_id,
    )


def demo_stations(runtime: Runtime) -> tuple[str, list[StationNode]]:
    """The demo state's path and its police stations, by code."""
    with UnitOfWork(runtime, write=False) as uow:
        state = by_code(uow, STATE_CODE)
        if state is None:
            raise ValueError("the demo jurisdiction tree is missing; build it first")
        stmt = (
            select(Jurisdiction.id, Jurisdiction.code, Jurisdiction.name)
            .where(
                Jurisdiction.kind == JurisdictionKind.STATION.value,
                Jurisdiction.path.startswith(state.path, autoescape=True),
            )
            .order_by(Jurisdiction.code)
        )
        return state.path, [StationNode(*row) for row in uow.session.execute(stmt)]


def seed_force(
    runtime: Runtime,
    seed: int,
    progress: Callable[[int], None] | None = None,
    officers: int = OFFICERS,
) -> int:
    """Enter ``officers`` synthetic officers across the demo stations (one transaction per
    station), each station's first officer its SHO, and give every station its profile.
    Does nothing when officers exist already; returns how many were entered."""
    state_path, nodes = demo_stations(runtime)
    with UnitOfWork(runtime, write=False) as uow:
        if service.count_officers(uow):
            return 0
    rng = random.Random(f"kotwal-force-{seed}")  # noqa: S311  # nosec B311 - fake data
    hq = Actor(
        account_id=None,
        username="cli:demo-seed",
        roles=frozenset({Role.STATE_HQ}),
        jurisdiction_paths=(state_path,),
    )
    stations = [n.id for n in nodes]
    done = 0
    for index, node in enumerate(nodes):
        share = officers // len(nodes) + (1 if index < officers % len(nodes) else 0)
        with UnitOfWork(runtime, write=True) as uow:
            sho_id = None
            for slot in range(share):
                made = synthetic_officer(rng, stations, index, slot, done + slot)
                officer = service.file_officer(uow, hq, made.entry)
                if made.commands:
                    sho_id = officer.id
            service.file_station_profile(uow, hq, station_profile(rng, node, index + 1, sho_id))
        done += share
        if progress is not None:
            progress(done)
    return done


#: Which officer record each demo account is: a station account takes a serving officer of
#: its rank at its station; an account posted above a station gets an officer record of its
#: own at that unit. Auditor, security officer and administrator are functional accounts.
ACCOUNT_RANKS: dict[Role, tuple[Rank, str]] = {
    Role.CONSTABLE: (Rank.CONSTABLE, "Beat constable"),
    Role.HEAD_CONSTABLE: (Rank.HEAD_CONSTABLE, "Station Writer"),
    Role.SUB_INSPECTOR: (Rank.SUB_INSPECTOR, "Sub-Inspector (Law and Order)"),
    Role.STATION_HOUSE_OFFICER: (Rank.INSPECTOR, "Station House Officer"),
    Role.CIRCLE_OFFICER: (Rank.ASP, "Assistant Commissioner of Police"),
    Role.DISTRICT_CHIEF: (Rank.SP, "Deputy Commissioner of Police"),
    Role.STATE_HQ: (Rank.IGP, "Inspector General of Police (Headquarters)"),
    Role.FRS_OPERATOR: (Rank.SUB_INSPECTOR, "Face Recognition Operator"),
    Role.ARMS_LICENSING_OFFICER: (Rank.INSPECTOR, "Arms Licensing Officer"),
}


@dataclass(frozen=True)
class LinkedAccount:
    """A demo account and the officer record it belongs to."""

    username: str
    officer_id: str
    officer_name: str
    rank: Rank
    unit_code: str


def link_accounts(
    runtime: Runtime, accounts: list[tuple[str, Role, str]], seed: int
) -> list[LinkedAccount]:
    """Tie each demo account (username, role, posting code) to an officer record, so that the
    person behind a login is on the force's roll like any officer (safe to repeat)."""
    state_path, _ = demo_stations(runtime)
    hq = Actor(
        account_id=None,
        username="cli:demo-seed",
        roles=frozenset({Role.STATE_HQ}),
        jurisdiction_paths=(state_path,),
    )
    rng = random.Random(f"kotwal-force-accounts-{seed}")  # noqa: S311  # nosec B311 - fake data
    linked: list[LinkedAccount] = []
    with UnitOfWork(runtime, write=True) as uow:
        for n, (username, role, code) in enumerate(accounts):
            if role not in ACCOUNT_RANKS or not code:
                continue
            account = identity.find_account(uow.session, username)
            unit = by_code(uow, code)
            if account is None or unit is None:
                continue
            officer = _officer_of(uow, account.id) or _take_or_enter(
                uow, hq, rng, role, unit, account.id, n
            )
            rank = Rank(officer.rank)
            account.display_name = f"DEMO {officer.name}, {rank.value.replace('_', ' ')}, {code}"
            linked.append(LinkedAccount(username, officer.id, officer.name, rank, code))
    return linked


def _officer_of(uow: UnitOfWork, account_id: str) -> Officer | None:
    return uow.session.scalar(select(Officer).where(Officer.account_id == account_id))


def _take_or_enter(
    uow: UnitOfWork,
    hq: Actor,
    rng: random.Random,
    role: Role,
    unit: Jurisdiction,
    account_id: str,
    n: int,
) -> Officer:
    rank, post = ACCOUNT_RANKS[role]
    if unit.kind == JurisdictionKind.STATION.value:
        serving = uow.session.scalar(
            select(Officer)
            .where(
                Officer.unit_id == unit.id,
                Officer.rank == rank.value,
                Officer.account_id.is_(None),
                Officer.status == "serving",
            )
            .order_by(Officer.belt_number)
            .limit(1)
        )
        if serving is not None:  # through the service: a new version, audited
            change = OfficerUpdate(expected_version=serving.version, account_id=account_id)
            service.update_officer(uow, hq, serving.id, change)
            return serving
    entry = OfficerCreate(
        name=_name(rng),
        rank=rank,
        belt_number=f"DEMO-ACC-{n + 1:04d}",
        unit_id=unit.id,
        post=post,
        posted_on=LATEST_START - timedelta(days=rng.randint(0, 2 * 365)),
        official_phone=f"90004{n:05d}",
        official_email=f"demo-acc-{n + 1:04d}@police.demo.invalid",
        account_id=account_id,
    )
    return service.file_officer(uow, hq, entry)


def seed(ctx: DemoContext) -> None:
    """The force part of ``kotwal demo``: the same size whatever ``--size`` says, ten officers
    per station."""
    step = ctx.step(f"generating {OFFICERS} synthetic officers", OFFICERS)
    seed_force(ctx.runtime, ctx.seed, lambda n: step(n, None))


def seed_accounts(ctx: DemoContext, accounts: list[tuple[str, Role, str]]) -> str:
    """Once the demo accounts are issued: make each officer's account an officer on the roll."""
    linked = link_accounts(ctx.runtime, accounts, ctx.seed)
    return (
        f"{len(linked)} demo accounts are officers on the force's roll (name, rank and unit "
        "on each account's page); auditor, security officer and administrator are functional."
    )
