"""`kotwal demo`: a synthetic Telangana-like instance to try kotwal on, visibly not real.

Everything is generated from a seed, so two runs with the same seed and size give the same
records: a state with three commissionerates and thirty police stations (real place names,
public), one account per role, and persons with Latin and Telugu names, aliases, phones in the
unallocated 90000 range and addresses in "Demo Colony"; history sheets on some of them and
cases naming others (:mod:`kotwal.records.demo`). No real person's data is used.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pyotp
from sqlalchemy import select

from kotwal import demo_names as names
from kotwal.core import identity
from kotwal.core.jurisdictions import by_code, create_jurisdiction
from kotwal.core.models import Account
from kotwal.core.policy import Actor, JurisdictionKind, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.records import demo as records_demo
from kotwal.records.schemas import PersonCategory, PersonCreate, PersonStatus, Sex
from kotwal.records.service import file_persons_unloaded

STATE_CODE = "TS-DEMO"
DEMO_PREFIX = "demo."
DEMO_MARK = "DEMO"

#: Commissionerate → its district → the station localities (public place names).
COMMISSIONERATES: dict[str, tuple[str, str, list[str]]] = {
    "HYD": ("Hyderabad Commissionerate", "Hyderabad City", [
        "Charminar", "Golconda", "Begum Bazar", "Afzalgunj", "Chilkalguda",
        "Saifabad", "Banjara Hills", "Jubilee Hills", "Panjagutta", "Abids"]),
    "CYB": ("Cyberabad Commissionerate", "Cyberabad West", [
        "Madhapur", "Gachibowli", "Kukatpally", "Miyapur", "Raidurgam",
        "KPHB Colony", "Chandanagar", "Shamshabad", "Rajendranagar", "Narsingi"]),
    "WGL": ("Warangal Commissionerate", "Warangal Urban", [
        "Hanamkonda", "Kazipet", "Subedari", "Mattewada", "Intezargunj",
        "KU Campus", "Hasanparthy", "Madikonda", "Dharmasagar", "Jangaon"]),
}  # fmt: skip

MARKS = ["mole on left cheek", "scar above right eye", "tattoo of a trident on right forearm",
         "cut mark on chin", "burn mark on left hand", None, None, None]  # fmt: skip

#: Demo account → role and where it is posted ("" = no posting).
ACCOUNTS: list[tuple[str, Role, str]] = [
    ("constable", Role.CONSTABLE, "HYD-PS-01"),
    ("head-constable", Role.HEAD_CONSTABLE, "HYD-PS-01"),
    ("si", Role.SUB_INSPECTOR, "HYD-PS-01"),
    ("sho", Role.STATION_HOUSE_OFFICER, "HYD-PS-01"),
    ("acp", Role.CIRCLE_OFFICER, "HYD-C1"),
    ("dcp", Role.DISTRICT_CHIEF, "HYD-D"),
    ("hq", Role.STATE_HQ, STATE_CODE),
    ("frs", Role.FRS_OPERATOR, "HYD-D"),
    ("arms", Role.ARMS_LICENSING_OFFICER, "HYD-D"),
    ("auditor", Role.AUDITOR, ""),
    ("security", Role.SECURITY_OFFICER, ""),
    ("admin", Role.SYSTEM_ADMIN, ""),
]

#: The demo accounts as (username, role, posting code).
ACCOUNTS_BY_USERNAME: list[tuple[str, Role, str]] = [
    (DEMO_PREFIX + name, role, posting) for name, role, posting in ACCOUNTS
]

SEEDER = Actor(account_id=None, username="cli:demo-seed")


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    password: str
    totp_secret: str


def seeded(runtime: Runtime) -> bool:
    with UnitOfWork(runtime, write=False) as uow:
        return by_code(uow, STATE_CODE) is not None


def build_tree(runtime: Runtime) -> list[str]:
    """The jurisdiction tree; returns the station ids in code order."""
    stations: list[str] = []
    with UnitOfWork(runtime, write=True) as uow:

        def add(code: str, name: str, kind: JurisdictionKind, parent: str | None) -> str:
            node = create_jurisdiction(
                uow, SEEDER, code=code, name=name, kind=kind, parent_id=parent
            )
            return node.id

        state = add(STATE_CODE, "Telangana (demo)", JurisdictionKind.STATE, None)
        for code, (zone_name, district_name, places) in COMMISSIONERATES.items():
            zone = add(code, zone_name, JurisdictionKind.ZONE, state)
            district = add(f"{code}-D", district_name, JurisdictionKind.DISTRICT, zone)
            for half in (0, 1):
                division = add(f"{code}-DIV{half + 1}", f"{district_name} Division {half + 1}",
                               JurisdictionKind.DIVISION, district)  # fmt: skip
                circle = add(f"{code}-C{half + 1}", f"{district_name} Circle {half + 1}",
                             JurisdictionKind.CIRCLE, division)  # fmt: skip
                for i, place in enumerate(places[half * 5 : half * 5 + 5], start=half * 5 + 1):
                    stations.append(add(f"{code}-PS-{i:02d}", f"{place} Police Station",
                                        JurisdictionKind.STATION, circle))  # fmt: skip
    return stations


def create_accounts(runtime: Runtime) -> list[DemoAccount]:
    """One enrolled account per role, with a fresh password and TOTP secret (shown once)."""
    made: list[DemoAccount] = []
    with UnitOfWork(runtime, write=True) as uow:
        for name, role, posting in ACCOUNTS:
            node = by_code(uow, posting) if posting else None
            username = DEMO_PREFIX + name
            account = identity.find_account(uow.session, username)
            if account is None:
                account, _ = identity.create_account(
                    uow, SEEDER, username=username,
                    display_name=f"{DEMO_MARK} {role.value.replace('_', ' ')}",
                    roles=frozenset({role}), jurisdiction_id=node.id if node else None,
                )  # fmt: skip
            password, secret = _fresh_credentials()
            account.password_hash = identity.hash_password(password)
            account.must_change_password = False
            account.totp_secret = secret
            account.totp_last_step = 0
            account.failed_logins, account.locked_until, account.hard_locked = 0, None, False
            made.append(DemoAccount(username, role, password, secret))
    return made


def _fresh_credentials() -> tuple[str, str]:
    words = ["monsoon", "charminar", "biryani", "kakatiya", "godavari", "bathukamma", "irani",
             "chai", "lassi", "deccan", "plateau", "musi", "bonalu", "golconda"]  # fmt: skip
    phrase = "-".join(secrets.choice(words) for _ in range(4)) + f"-{secrets.randbelow(100):02d}"
    return phrase, pyotp.random_base32()


def current_code(runtime: Runtime, username: str) -> str:
    """The authenticator code of a demo account right now (demo accounts only)."""
    from kotwal.core.crypto import open_field

    if not username.startswith(DEMO_PREFIX):
        raise ValueError("codes are shown only for demo accounts")
    with UnitOfWork(runtime, write=False) as uow:
        account = uow.session.execute(
            select(Account).where(Account.username == username)
        ).scalar_one_or_none()
        if account is None or not account.display_name.startswith(DEMO_MARK):
            raise ValueError(f"no demo account {username!r}")
        secret = open_field(uow.session, account, "totp_secret")
    return pyotp.TOTP(str(secret)).now()


Part = tuple[str, str]  # a name part in Latin script and in Telugu


@dataclass(frozen=True)
class SyntheticName:
    """A made-up person's name in both scripts, their father's name and a short form."""

    parts: tuple[Part, ...]
    father: str
    short: str
    female: bool

    @property
    def latin(self) -> str:
        return " ".join(p[0] for p in self.parts)

    @property
    def telugu(self) -> str:
        return " ".join(p[1] for p in self.parts)


def synthetic_name(rng: random.Random) -> SyntheticName:
    """A Telangana-like name: mostly Telugu (house name, given name, perhaps a community name,
    family name first or last), some Muslim and a few Christian names, a fifth of them women's."""
    community = rng.choices(("telugu", "muslim", "christian"), weights=(83, 13, 4))[0]
    female = rng.random() < 0.2
    if community == "muslim":
        return _muslim_name(rng, female)
    house = rng.choice(names.HOUSE)
    if community == "christian":
        given = rng.choice(names.CHRISTIAN_FEMALE if female else names.CHRISTIAN_MALE)
        suffix = None
    elif female:
        given = rng.choice(names.FEMALE)
        suffix = rng.choice(names.FEMALE_SUFFIX) if rng.random() < 0.2 else None
    else:
        given = rng.choice(names.MALE)
        suffix = rng.choice(names.MALE_SUFFIX) if rng.random() < 0.45 else None
    # Telugu usage puts the house name first; many records put it last, or leave it out
    # behind a community name ("Srinivas Reddy").
    order = rng.random()
    parts: tuple[Part, ...]
    if suffix:
        parts = (house, given, suffix) if order < 0.75 else (given, suffix)
    else:
        parts = (house, given) if order < 0.6 else (given, house)
    fathers = names.CHRISTIAN_MALE if community == "christian" else names.MALE
    father = [house[0], rng.choice([f for f in fathers if f != given])[0]]
    if suffix and not female:
        father.append(suffix[0])  # a son carries his father's community name
    return SyntheticName(
        parts=parts,
        father=" ".join(father),
        short=f"{house[0][0]}. {given[0]}",
        female=female,
    )


def _muslim_name(rng: random.Random, female: bool) -> SyntheticName:
    given = rng.choice(names.MUSLIM_FEMALE if female else names.MUSLIM_MALE)
    family = rng.choice(names.MUSLIM_FAMILY)
    pattern = rng.random()
    parts: tuple[Part, ...]
    if female:
        parts = (family, given) if pattern < 0.85 else (given, ("Begum", "బేగం"))
    elif pattern < 0.55:
        parts = (family, given)
    elif pattern < 0.75:
        parts = (family, rng.choice(names.MUSLIM_MIDDLE), given)
    else:
        parts = (given, rng.choice(names.MUSLIM_LAST))
    father = rng.choice(names.MUSLIM_MALE)[0]
    return SyntheticName(
        parts=parts,
        father=f"{family[0]} {father}",
        short=f"{given[0]} {family[0][0]}.",
        female=female,
    )


def synthetic_person(rng: random.Random, station_id: str, n: int) -> PersonCreate:
    """One made-up person; the same ``rng`` state always gives the same person."""
    name = synthetic_name(rng)
    aliases: list[str] = []
    if rng.random() < 0.3:
        nickname = rng.choice(names.NICKNAMES)
        aliases.append(nickname[1] if rng.random() < 0.3 else nickname[0])  # Telugu or Latin
    if rng.random() < 0.15:
        aliases.append(name.short)
    category = rng.choices(list(PersonCategory), weights=[70, 20, 6, 4])[0]
    status = rng.choices(list(PersonStatus), weights=[70, 8, 12, 4, 6])[0]
    return PersonCreate(
        name=name.latin,
        name_te=name.telugu if rng.random() < 0.6 else None,
        father_name=name.father,
        aliases=aliases,
        marks=rng.choice(MARKS),
        category=category,
        sex=Sex.FEMALE if name.female else Sex.MALE,
        birth_year=rng.randint(1955, 2006),
        status=status,
        station_id=station_id,
        phone=f"90000{rng.randrange(100000):05d}" if rng.random() < 0.8 else None,
        address=f"H.No. {rng.randint(1, 20)}-{rng.randint(1, 300)}, Demo Colony {n % 97}",
    )


def seed_persons(
    runtime: Runtime,
    stations: list[str],
    size: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    batch: int = 2000,
) -> int:
    """File ``size`` synthetic persons across the stations, in batches of one transaction."""
    rng = random.Random(seed)  # noqa: S311  # nosec B311 - reproducible fake data, no secret
    hq = _state_seeder(runtime)
    done = 0
    keys_memo: dict[str, frozenset[str]] = {}
    while done < size:
        with UnitOfWork(runtime, write=True) as uow:
            people = [synthetic_person(rng, stations[n % len(stations)], n)
                      for n in range(done, min(done + batch, size))]  # fmt: skip
            file_persons_unloaded(uow, hq, people, keys_memo)
        done = min(done + batch, size)
        if progress is not None:
            progress(done)
    return done


def seed_history_sheets(
    runtime: Runtime,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
    today: date | None = None,
) -> int:
    """History sheets on about 8% of the demo's persons, some with reviews overdue."""
    return records_demo.seed_history_sheets(
        runtime, _state_seeder(runtime), seed, today=today, progress=progress
    )


def seed_cases(
    runtime: Runtime,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
    today: date | None = None,
) -> int:
    """Cases naming about a quarter of the demo's persons, with FIR numbers and sections."""
    return records_demo.seed_cases(
        runtime, _state_seeder(runtime), seed, today=today, progress=progress
    )


def _state_seeder(runtime: Runtime) -> Actor:
    """The seeding actor: state headquarters' rights over the whole demo state."""
    return Actor(account_id=None, username="cli:demo-seed", roles=frozenset({Role.STATE_HQ}),
                 jurisdiction_paths=_root_path(runtime))  # fmt: skip


def _root_path(runtime: Runtime) -> tuple[str, ...]:
    with UnitOfWork(runtime, write=False) as uow:
        node = by_code(uow, STATE_CODE)
        assert node is not None
        return (node.path,)
