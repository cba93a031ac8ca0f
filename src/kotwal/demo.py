"""`kotwal demo`: a synthetic Telangana-like instance to try kotwal on, visibly not real.

Everything is generated from a seed, so two runs with the same seed and size give the same
records: a state with three commissionerates and thirty police stations (real place names,
public), one account per role, and persons with Latin and Telugu names, aliases, phones in the
unallocated 90000 range and addresses in "Demo Colony"; history sheets on some of them and
cases naming others (:mod:`kotwal.records.demo`). No real person's data is used.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pyotp
from sqlalchemy import select

from kotwal.core import identity
from kotwal.core.jurisdictions import by_code, create_jurisdiction
from kotwal.core.models import Account
from kotwal.core.policy import Actor, JurisdictionKind, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.manifest import DemoContext, Manifest, Progress, resolve
from kotwal.records import demo as records_demo
from kotwal.records import demo_persons
from kotwal.records.demo_persons import (  # re-exported: benches and tests make persons here
    SyntheticName as SyntheticName,
)
from kotwal.records.demo_persons import (
    synthetic_name as synthetic_name,
)
from kotwal.records.demo_persons import (
    synthetic_person as synthetic_person,
)

STATE_CODE = "TS-DEMO"
DEMO_PREFIX = "demo."
DEMO_MARK = "DEMO"

#: Commissionerate → its district → the station localities (public place names).
# A table of data, aligned by hand: it reads better in rows than one item a line.
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
                division = add(
                    f"{code}-DIV{half + 1}",
                    f"{district_name} Division {half + 1}",
                    JurisdictionKind.DIVISION,
                    district,
                )
                circle = add(
                    f"{code}-C{half + 1}",
                    f"{district_name} Circle {half + 1}",
                    JurisdictionKind.CIRCLE,
                    division,
                )
                for i, place in enumerate(places[half * 5 : half * 5 + 5], start=half * 5 + 1):
                    stations.append(
                        add(
                            f"{code}-PS-{i:02d}",
                            f"{place} Police Station",
                            JurisdictionKind.STATION,
                            circle,
                        )
                    )
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
                    uow,
                    SEEDER,
                    username=username,
                    display_name=f"{DEMO_MARK} {role.value.replace('_', ' ')}",
                    roles=frozenset({role}),
                    jurisdiction_id=node.id if node else None,
                )
            password, secret = _fresh_credentials()
            account.password_hash = identity.hash_password(password)
            account.must_change_password = False
            account.totp_secret = secret
            account.totp_last_step = 0
            account.failed_logins, account.locked_until, account.hard_locked = 0, None, False
            made.append(DemoAccount(username, role, password, secret))
    return made


def _fresh_credentials() -> tuple[str, str]:
    words = [
        "monsoon",
        "charminar",
        "biryani",
        "kakatiya",
        "godavari",
        "bathukamma",
        "irani",
        "chai",
        "lassi",
        "deccan",
        "plateau",
        "musi",
        "bonalu",
        "golconda",
    ]
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


def seed_persons(
    runtime: Runtime,
    stations: list[str],
    size: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    batch: int = 2000,
) -> int:
    """File ``size`` synthetic persons across the stations (see
    :func:`kotwal.records.demo_persons.seed_persons`)."""
    return demo_persons.seed_persons(
        runtime, _state_seeder(runtime), stations, size, seed, progress, batch
    )


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
    return Actor(
        account_id=None,
        username="cli:demo-seed",
        roles=frozenset({Role.STATE_HQ}),
        jurisdiction_paths=_root_path(runtime),
    )


def _root_path(runtime: Runtime) -> tuple[str, ...]:
    with UnitOfWork(runtime, write=False) as uow:
        node = by_code(uow, STATE_CODE)
        assert node is not None
        return (node.path,)


def seed_domains(
    runtime: Runtime,
    domains: tuple[Manifest, ...],
    size: int,
    seed: int,
    step: Callable[[str, int | None], Progress],
) -> None:
    """Build the demo state's tree, then let each enabled domain seed its data, in order."""
    stations = build_tree(runtime)
    ctx = DemoContext(runtime, stations, size, seed, _state_seeder(runtime), step)
    for manifest in domains:
        if manifest.demo is not None:
            resolve(manifest.demo)(ctx)


def link_domains(runtime: Runtime, domains: tuple[Manifest, ...], seed: int) -> list[str]:
    """After the accounts are issued: each domain's part (officers' accounts onto the roll)."""
    stations: list[str] = []
    ctx = DemoContext(runtime, stations, 0, seed, _state_seeder(runtime), _no_progress)
    lines = []
    for manifest in domains:
        if manifest.demo_accounts is not None:
            line = resolve(manifest.demo_accounts)(ctx, ACCOUNTS_BY_USERNAME)
            if line:
                lines.append(str(line))
    return lines


def _no_progress(_description: str, _total: int | None) -> Progress:
    return lambda _done, _of: None
