"""Synthetic arms licences for `kotwal demo`, visibly not real and the same for the same seed.

Licence numbers begin "DEMO/", UINs "DEMO-UIN-", weapon serials "DEMO"; holders are drawn from
the demo's name lists, live in "Demo Colony" and have phones in the unallocated 90000 range.
Dates are reckoned from the day the demo is seeded (the stations' today), so the licences do not
age into "lapsed" as the calendar moves: about 83% are in force for more than 90 days yet, 3%
each expire within 30, 31-60 and 61-90 days, 8% have lapsed (expired up to two years ago and not
renewed); a few are suspended or cancelled with a reason. Two in five were first issued one to
three five-year terms before the present one and renewed since, so a licence's number (which
keeps its first year) says nothing of its standing. The same seed and day give the same licences.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from kotwal.arms.schemas import (
    Grounds,
    LicenceAction,
    LicenceIssue,
    LicenceRenew,
    WeaponAdd,
    WeaponCategory,
)
from kotwal.arms.service import VALIDITY_YEARS, apply_renewal, apply_status_change, file_licence
from kotwal.core.clock import station_today
from kotwal.core.jurisdictions import by_code
from kotwal.core.policy import Actor, Jurisdiction, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.demo import STATE_CODE
from kotwal.manifest import DemoContext

#: Holders' names: common Telangana given names and family names (the holder is a man in most
#: licences, as in the registers).
# A table of data, aligned by hand: it reads better in rows than one item a line.
GIVEN_MEN = ["Srinivas", "Ravi", "Ramesh", "Suresh", "Mahesh", "Naresh", "Venkatesh", "Anil",
             "Sunil", "Kiran", "Prasad", "Raju", "Krishna", "Rajesh", "Srikanth", "Praveen",
             "Imran", "Yousuf", "Venkateswarlu", "Ravi Kumar", "Sai Kiran", "Narasimha Rao",
             "Ramachandra Reddy", "Anjaiah", "Mallesh"]  # fmt: skip
GIVEN_WOMEN = ["Lakshmi", "Sravani", "Swapna", "Madhavi", "Padma", "Salma", "Aruna"]
# A table of data, aligned by hand: it reads better in rows than one item a line.
SURNAMES = ["Kommu", "Bandi", "Gollapudi", "Reddy", "Naidu", "Goud", "Yadav", "Chary", "Varma",
            "Pasupuleti", "Kandula", "Boddu", "Mekala", "Peddi", "Thota", "Chinthala", "Shaik",
            "Mohammed", "Jupally", "Kasireddy", "Nalla", "Gaddam"]  # fmt: skip

#: (category, make, bore) of weapons commonly held on licence.
WEAPONS: list[tuple[WeaponCategory, str, str]] = [
    (WeaponCategory.REVOLVER, "IOF .32 Revolver Mk III", ".32"),
    (WeaponCategory.PISTOL, "IOF .32 Pistol", ".32"),
    (WeaponCategory.SHOTGUN_DBBL, "12 Bore DBBL Gun", "12 bore"),
    (WeaponCategory.SHOTGUN_SBBL, "12 Bore SBBL Gun", "12 bore"),
    (WeaponCategory.RIFLE, ".315 Sporting Rifle", ".315"),
    (WeaponCategory.MUZZLE_LOADER, "Muzzle Loading Gun", "ML"),
]
WEAPON_WEIGHTS = [35, 20, 25, 10, 7, 3]
# A table of data, aligned by hand: it reads better in rows than one item a line.
GROUNDS_WEIGHTS = {Grounds.SELF_PROTECTION: 70, Grounds.CROP_PROTECTION: 15, Grounds.SPORT: 8,
                   Grounds.HEIRLOOM: 5, Grounds.OTHER: 2}  # fmt: skip
#: Why a demo licence was suspended or cancelled.
# A table of data, aligned by hand: it reads better in rows than one item a line.
SUSPENSIONS = ["Holder named as accused in a case of criminal intimidation (demo)",
               "Weapon not produced for verification (demo)"]  # fmt: skip
# A table of data, aligned by hand: it reads better in rows than one item a line.
CANCELLATIONS = ["Holder deceased; weapon deposited at the station (demo)",
                 "Licence surrendered by the holder (demo)"]  # fmt: skip


#: Days from a term's first day to its last: 365-day years, never past the legal five, and no
#: 29 February to trip over.
TERM_DAYS = VALIDITY_YEARS * 365 - 1
#: A licence's standing on the demo's day, as (share, days from today to its expiry: least,
#: most). Most are in force well beyond the licensing officer's 90-day horizon; a minority have
#: lapsed.
# A table of data, aligned by hand: it reads better in rows than one item a line.
STANDING: list[tuple[float, int, int]] = [
    (0.08, -730, -1),          # lapsed: expired up to two years ago, not renewed
    (0.03, 0, 30),             # expiring within 30 days
    (0.03, 31, 60),            # within 60
    (0.03, 61, 90),            # within 90
    (0.83, 91, TERM_DAYS),     # in force beyond 90 days
]  # fmt: skip
#: The share of licences first issued before their present term (and renewed since).
RENEWED_SHARE = 0.4


@dataclass(frozen=True)
class DemoLicence:
    """A made-up licence as first issued, and the expiry dates of its renewals since, in order
    (none for a licence in its first term)."""

    issue: LicenceIssue
    renewals: tuple[date, ...] = ()

    @property
    def valid_until(self) -> date:
        """Its expiry date once renewed: the date its standing was drawn for."""
        return self.renewals[-1] if self.renewals else self.issue.valid_until


def synthetic_licence(
    rng: random.Random, station_id: str, station_code: str, n: int, today: date
) -> DemoLicence:
    """One made-up licence whose expiry is drawn relative to ``today`` (see :data:`STANDING`);
    the same ``rng`` state and day always give the same licence."""
    given = rng.choice(GIVEN_MEN if rng.random() < 0.92 else GIVEN_WOMEN)
    surname = rng.choice(SURNAMES)
    father = rng.choice(GIVEN_MEN)
    shares = [share for share, _, _ in STANDING]
    _, soonest, latest = rng.choices(STANDING, weights=shares)[0]
    valid_until = today + timedelta(days=rng.randint(soonest, latest))
    # The present term began a full term before its expiry (on or before today, as it must).
    term_start = valid_until - timedelta(days=TERM_DAYS)
    earlier_terms = rng.randint(1, 3) if rng.random() < RENEWED_SHARE else 0
    issued = term_start - timedelta(days=earlier_terms * (TERM_DAYS + 1))
    renewals = tuple(
        issued + timedelta(days=(k + 1) * (TERM_DAYS + 1) + TERM_DAYS) for k in range(earlier_terms)
    )
    count = 1 if rng.random() < 0.85 else 2
    weapons = []
    for i in range(count):
        category, make, bore = rng.choices(WEAPONS, weights=WEAPON_WEIGHTS)[0]
        mark = f"DEMO{n:06d}{chr(65 + i)}"
        weapons.append(
            WeaponAdd(category=category, make=make, bore=bore, serial=mark, endorsed_on=issued)
        )
    issue = LicenceIssue(
        licence_number=f"DEMO/{station_code}/{issued.year}/{n:05d}",
        uin=f"DEMO-UIN-{n:08d}",
        holder_name=f"{surname} {given}" if rng.random() < 0.6 else f"{given} {surname}",
        holder_father_name=f"{father} {surname}",
        # A holder was at least 21 when the licence was first issued (Arms Rules, 2016).
        holder_birth_year=rng.randint(1950, min(2000, issued.year - 21)),
        holder_address=f"H.No. {rng.randint(1, 20)}-{rng.randint(1, 300)}, Demo Colony {n % 97}",
        holder_phone=f"90000{rng.randrange(100000):05d}" if rng.random() < 0.8 else None,
        grounds=rng.choices(list(GROUNDS_WEIGHTS), weights=list(GROUNDS_WEIGHTS.values()))[0],
        area_of_validity="All India" if rng.random() < 0.1 else "State of Telangana",
        issuing_authority=f"Commissioner of Police, {station_code.split('-')[0]} (demo)",
        issued_on=issued,
        valid_until=issued + timedelta(days=TERM_DAYS),
        station_id=station_id,
        weapons=weapons,
    )
    return DemoLicence(issue, renewals)


def seed_licences(
    runtime: Runtime,
    stations: list[str],
    count: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    batch: int = 1000,
    today: date | None = None,
) -> int:
    """Record ``count`` synthetic licences across the stations, in batches of one
    transaction, dated relative to ``today`` (the stations' today unless given); the older ones
    are renewed term by term, and a few are then suspended or cancelled with a reason."""
    rng = random.Random(seed + 1959)  # noqa: S311  # nosec B311 - reproducible fake data
    today = today or station_today(runtime)
    with UnitOfWork(runtime, write=False) as uow:
        root = by_code(uow, STATE_CODE)
        if root is None:
            raise RuntimeError("build the demo tree first (kotwal.demo.build_tree)")
        root_path = root.path
        rows = uow.session.execute(
            select(Jurisdiction.id, Jurisdiction.code).where(Jurisdiction.id.in_(stations))
        )
        codes = {station_id: code for station_id, code in rows}
    officer = Actor(
        account_id=None,
        username="cli:demo-seed",
        roles=frozenset({Role.ARMS_LICENSING_OFFICER}),
        jurisdiction_paths=(root_path,),
    )
    done = 0
    while done < count:
        with UnitOfWork(runtime, write=True) as uow:
            for n in range(done, min(done + batch, count)):
                station = stations[n % len(stations)]
                data = synthetic_licence(rng, station, codes[station], n + 1, today)
                licence = file_licence(uow, officer, data.issue)
                for until in data.renewals:
                    renewal = LicenceRenew(valid_until=until, reason="Renewed on application")
                    apply_renewal(uow, officer, licence, renewal)
                roll = rng.random()
                if roll < 0.04:
                    reason = LicenceAction(reason=rng.choice(SUSPENSIONS))
                    apply_status_change(uow, officer, licence, "suspended", reason)
                elif roll < 0.06:
                    reason = LicenceAction(reason=rng.choice(CANCELLATIONS))
                    apply_status_change(uow, officer, licence, "cancelled", reason)
        done = min(done + batch, count)
        if progress is not None:
            progress(done)
    return done


def seed(ctx: DemoContext) -> None:
    """The arms part of ``kotwal demo``: a licence for every fourth person asked for (5,000
    for the default 20,000)."""
    count = ctx.size // 4
    step = ctx.step(f"generating {count:,} arms licences", count)
    seed_licences(ctx.runtime, ctx.stations, count, ctx.seed, lambda n: step(n, None))
