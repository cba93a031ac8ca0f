"""The demo's persons: made-up names in Latin and Telugu script (Telugu, Muslim and Christian
naming patterns of Telangana), aliases, phones in the unallocated 90000 range and addresses in
"Demo Colony". The same seed always gives the same persons; no real person's data is used."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from kotwal import demo_names as names
from kotwal.core.policy import Actor
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.records.schemas import PersonCategory, PersonCreate, PersonStatus, Sex
from kotwal.records.service import file_persons_unloaded

# A table of data, aligned by hand: it reads better in rows than one item a line.
MARKS = ["mole on left cheek", "scar above right eye", "tattoo of a trident on right forearm",
         "cut mark on chin", "burn mark on left hand", None, None, None]  # fmt: skip


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
    hq: Actor,
    stations: list[str],
    size: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    batch: int = 2000,
) -> int:
    """File ``size`` synthetic persons across the stations, in batches of one transaction,
    as ``hq`` (an actor over the whole demo state)."""
    rng = random.Random(seed)  # noqa: S311  # nosec B311 - reproducible fake data, no secret
    done = 0
    keys_memo: dict[str, frozenset[str]] = {}
    while done < size:
        with UnitOfWork(runtime, write=True) as uow:
            people = [
                synthetic_person(rng, stations[n % len(stations)], n)
                for n in range(done, min(done + batch, size))
            ]
            file_persons_unloaded(uow, hq, people, keys_memo)
        done = min(done + batch, size)
        if progress is not None:
            progress(done)
    return done
